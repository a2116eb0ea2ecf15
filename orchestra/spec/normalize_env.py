"""``environment:`` with ``env_file:``, and the other string maps of a service.

``environment`` wins over ``env_file``, later env files win over earlier ones. A bare ``KEY``
in ``environment`` takes its value from the project environment (process env over ``.env``)
and stays ``None`` when that has none, as Compose keeps it; a bare ``KEY`` in an env file is
dropped when unresolved, as Compose does. Env files see the project environment and the
service's own ``environment`` when they interpolate, which is what Compose does.

Imports only ``orchestra.errors``, ``orchestra.spec.validate_core`` (and the front half's
``envfile`` lazily, as the default reader).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from orchestra.errors import SpecError
from orchestra.records import record
from orchestra.spec.validate_core import (
    Checker,
    Loc,
    read_bool,
    read_opt,
    read_required,
    read_str,
    read_str_map,
    scalar_text,
)

__all__ = [
    "EnvFileReader",
    "EnvSource",
    "default_env_file_reader",
    "read_environment",
    "read_extra_hosts",
    "read_labels",
    "read_options",
]

EnvFileReader = Callable[[Path, Mapping[str, str]], dict[str, str | None]]
ENV_FILE_KEYS = frozenset({"path", "required", "format"})


def default_env_file_reader(path: Path, environ: Mapping[str, str]) -> dict[str, str | None]:
    """The front half's dotenv parser (imported late: the two halves load independently)."""
    from orchestra.spec.envfile import parse_env_file

    return parse_env_file(path, environ)


@record
class EnvSource:
    """What resolves bare keys and reads env files: the project environment and a parser."""

    environment: Mapping[str, str]
    read_env_file: EnvFileReader = default_env_file_reader


def read_environment(ck: Checker, service: Loc, source: EnvSource) -> dict[str, str | None] | None:
    """The service's environment: env files first, ``environment:`` over them."""
    own: dict[str, str | None] = {}
    env_loc = service.get("environment")
    if env_loc is not None and env_loc.value is not None:
        own = read_str_map(ck, env_loc) or {}
    own = {k: source.environment.get(k) if v is None else v for k, v in own.items()}
    files_loc = service.get("env_file")
    if files_loc is None or files_loc.value is None:
        return own
    lookup = {**source.environment, **{k: v for k, v in own.items() if v is not None}}
    from_files: dict[str, str | None] = {}
    for path, entry_loc in _env_file_entries(ck, files_loc):
        from_files.update(_read_one_env_file(ck, entry_loc, path, source, lookup))
    return {**from_files, **own}


def _env_file_entries(ck: Checker, loc: Loc) -> list[tuple[Path, Loc]]:
    if isinstance(loc.value, str):
        return [(Path(loc.value), loc)]
    if not isinstance(loc.value, list):
        ck.add(loc, "must be a path or a list of paths")
        return []
    entries: list[tuple[Path, Loc]] = []
    for item in loc.items():
        if isinstance(item.value, dict):
            ck.keys(item, ENV_FILE_KEYS)
            path = read_required(ck, item, "path", read_str)
            if item.get("format") is not None and item.value["format"] != "dotenv":
                ck.add(item.child("format"), "only the dotenv format is supported by orchestra")
            required = read_opt(ck, item, "required", read_bool)
            if path is not None and (required is not False or Path(path).is_file()):
                entries.append((Path(path), item))
        elif (path := read_str(ck, item)) is not None:
            entries.append((Path(path), item))
    return entries


def _read_one_env_file(
    ck: Checker, loc: Loc, path: Path, source: EnvSource, lookup: Mapping[str, str]
) -> dict[str, str]:
    if not path.is_file():
        ck.add(loc, f"env file {path} not found")
        return {}
    try:
        parsed = source.read_env_file(path, lookup)
    except SpecError as exc:
        ck.problems.extend(exc.problems)
        return {}
    except OSError as exc:
        ck.add(loc, f"cannot read env file {path}: {exc.strerror or exc}")
        return {}
    resolved = {k: lookup.get(k) if v is None else v for k, v in parsed.items()}
    return {k: v for k, v in resolved.items() if v is not None}


def read_labels(ck: Checker, loc: Loc) -> dict[str, str] | None:
    """Labels (or annotations): a map or ``KEY=VALUE`` list; a bare key gets ``""``."""
    found = read_str_map(ck, loc, bare="")
    return {k: v or "" for k, v in found.items()} if found is not None else None


def read_options(ck: Checker, loc: Loc) -> dict[str, str] | None:
    """A map of driver options (or sysctls): values are scalars, turned into text."""
    found = read_str_map(ck, loc)
    if found is None:
        return None
    missing = [k for k, v in found.items() if v is None]
    for key in missing:
        if isinstance(loc.value, dict):
            ck.add(loc.child(key), "needs a value")
        else:
            ck.add(loc, f"{key!r} needs a value")
    return {k: v for k, v in found.items() if v is not None}


def read_extra_hosts(ck: Checker, loc: Loc) -> tuple[str, ...] | None:
    """``extra_hosts`` as engine entries ``host:ip`` (from ``host:ip``, ``host=ip`` or a map)."""
    if isinstance(loc.value, dict):
        hosts: list[str] = []
        for child in loc.items():
            ips = child.value if isinstance(child.value, list) else [child.value]
            texts = [scalar_text(ip) for ip in ips]
            if any(t is None for t in texts) or not texts:
                ck.add(child, "must be an IP address or a list of them")
                continue
            hosts += [f"{child.key}:{ip}" for ip in texts]
        return tuple(hosts)
    if not isinstance(loc.value, list):
        ck.add(loc, "must be a mapping or a list of 'HOST:IP'")
        return None
    entries: list[str] = []
    for child in loc.items():
        text = read_str(ck, child)
        if text is None:
            continue
        host, sep, ip = text.partition("=") if "=" in text else text.partition(":")
        if not sep or not host or not ip:
            ck.add(child, f"invalid extra host {text!r}: expected HOST:IP")
            continue
        entries.append(f"{host}:{ip}")
    return tuple(entries)
