"""Make the relative paths of one Compose document absolute, against the right base directory.

The base is the project directory for the files given with ``-f`` (or found), the extended
file's directory for ``extends.file``, and the included project's directory for ``include``.
Handled: bind mount sources (short ``./data:/x``, ``../x``, ``.``, ``~/x``, and long syntax with
``type: bind``), ``build`` as a string and ``build.context`` (remote contexts stay as written;
a missing context stays missing: compose then uses the project directory), ``env_file``
(string, list, long form ``path``), ``extends.file``, top-level ``secrets.*.file`` and
``configs.*.file``.
Absolute paths are left exactly as written, as compose leaves them.

Imports only ``orchestra.spec.raw``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from orchestra.spec.raw import RList, RMap

__all__ = ["is_remote_context", "resolve_path", "resolve_paths"]


def is_remote_context(context: str) -> bool:
    """True for a build context that is a URL or a Git reference rather than a directory."""
    return "://" in context or context.startswith(("git@", "github.com/"))


def resolve_path(path: str, base: Path, home: str) -> str:
    """``path`` made absolute against ``base``; ``~`` at the start means ``home``."""
    if path.startswith("~"):
        return os.path.normpath(os.path.join(home, path[1:].lstrip("/")))
    if os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(base, path))


def resolve_paths(doc: RMap, base: Path, home: str) -> None:
    """Rewrite, in place, every relative path of ``doc`` (one document of one file)."""
    services = doc.get("services")
    if isinstance(services, RMap):
        for service in services.values():
            if isinstance(service, RMap):
                _service(service, base, home)
    for section in ("secrets", "configs"):
        entries = doc.get(section)
        if not isinstance(entries, RMap):
            continue
        for entry in entries.values():
            if isinstance(entry, RMap) and isinstance(entry.get("file"), str):
                entry["file"] = resolve_path(entry["file"], base, home)


def _service(service: RMap, base: Path, home: str) -> None:
    _build(service, base, home)
    env_file = service.get("env_file")
    if isinstance(env_file, str):
        service["env_file"] = resolve_path(env_file, base, home)
    elif isinstance(env_file, RList):
        for index, item in enumerate(env_file):
            env_file[index] = _env_file_item(item, base, home)
    extends = service.get("extends")
    if isinstance(extends, RMap) and isinstance(extends.get("file"), str):
        extends["file"] = resolve_path(extends["file"], base, home)
    volumes = service.get("volumes")
    if isinstance(volumes, RList):
        for index, item in enumerate(volumes):
            volumes[index] = _volume(item, base, home)


def _build(service: RMap, base: Path, home: str) -> None:
    build = service.get("build")
    if isinstance(build, str):
        if not is_remote_context(build):
            service["build"] = resolve_path(build, base, home)
    elif isinstance(build, RMap):
        context = build.get("context")
        if isinstance(context, str) and not is_remote_context(context):
            build["context"] = resolve_path(context, base, home)


def _env_file_item(item: Any, base: Path, home: str) -> Any:
    if isinstance(item, str):
        return resolve_path(item, base, home)
    if isinstance(item, RMap) and isinstance(item.get("path"), str):
        item["path"] = resolve_path(item["path"], base, home)
    return item


def _volume(item: Any, base: Path, home: str) -> Any:
    if isinstance(item, str):
        source, colon, rest = item.partition(":")
        if colon and source.startswith((".", "~")):
            return f"{resolve_path(source, base, home)}:{rest}"
        return item
    if (
        isinstance(item, RMap)
        and item.get("type") == "bind"
        and isinstance(item.get("source"), str)
    ):
        item["source"] = resolve_path(item["source"], base, home)
    return item
