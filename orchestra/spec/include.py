"""Read the top-level ``include`` of a Compose document and add what the included projects define.

``include`` is a list; an entry is a path, or a mapping with ``path`` (a string or a list of files
merged like ``-f`` files), ``project_directory`` (default: the directory of the first path) and
``env_file`` (a string or a list; default: ``<project_directory>/.env``). Paths are relative to
the including project's directory. Each included project is loaded on its own (by the caller);
its services, networks, volumes, secrets and configs are then added to the including document.
A name the including document already defines differently is an error, as in compose.

Imports only ``orchestra.errors`` and ``orchestra.spec`` (raw, paths).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestra.errors import Mark, Problem
from orchestra.records import record
from orchestra.spec.paths import resolve_path
from orchestra.spec.raw import RList, RMap, value_mark

__all__ = ["SECTIONS", "IncludeSpec", "add_included", "read_include"]

SECTIONS = ("services", "networks", "volumes", "secrets", "configs")


@record
class IncludeSpec:
    """One ``include`` entry with its paths made absolute."""

    paths: tuple[Path, ...]
    project_directory: Path
    env_files: tuple[Path, ...]  # empty: use <project_directory>/.env if it exists
    mark: Mark | None


def read_include(doc: RMap, base: Path, home: str) -> tuple[list[IncludeSpec], list[Problem]]:
    """The ``include`` entries of ``doc``, resolved against ``base``, and the problems found."""
    value = doc.get("include")
    if value is None:
        return [], []
    mark = value_mark(doc, "include")
    if not isinstance(value, RList):
        return [], [Problem("include", "must be a list", mark)]
    specs: list[IncludeSpec] = []
    problems: list[Problem] = []
    for index, entry in enumerate(value):
        spec = _entry(entry, f"include[{index}]", value.mark_at(index), base, home, problems)
        if spec is not None:
            specs.append(spec)
    return specs, problems


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, RList) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def _entry(
    entry: Any, path: str, mark: Mark | None, base: Path, home: str, problems: list[Problem]
) -> IncludeSpec | None:
    if isinstance(entry, str):
        entry = RMap([("path", entry)], mark=mark)
    if not isinstance(entry, RMap):
        problems.append(Problem(path, "must be a path or a mapping with `path`", mark))
        return None
    paths = _strings(entry.get("path"))
    if not paths:
        problems.append(Problem(f"{path}.path", "is required (a path or a list of paths)", mark))
        return None
    env_files = _strings(entry.get("env_file")) if entry.get("env_file") is not None else []
    if env_files is None:
        problems.append(Problem(f"{path}.env_file", "must be a path or a list of paths", mark))
        return None
    directory = entry.get("project_directory")
    if directory is not None and not isinstance(directory, str):
        problems.append(Problem(f"{path}.project_directory", "must be a string", mark))
        return None
    files = tuple(Path(resolve_path(p, base, home)) for p in paths)
    project_dir = Path(resolve_path(directory, base, home)) if directory else files[0].parent
    envs = tuple(Path(resolve_path(p, base, home)) for p in env_files)
    return IncludeSpec(files, project_dir, envs, mark)


def add_included(doc: RMap, included: RMap, spec: IncludeSpec) -> list[Problem]:
    """Add, in place, the resources of the ``included`` project's tree to ``doc``."""
    problems: list[Problem] = []
    for section in SECTIONS:
        source = included.get(section)
        if not isinstance(source, RMap) or not source:
            continue
        target = doc.get(section)
        if not isinstance(target, RMap):
            target = RMap(mark=doc.mark)
            doc.set(section, target, spec.mark, spec.mark)
        for name, value in source.items():
            if name in target and target[name] != value:
                where = target.key_marks.get(name, spec.mark)
                message = "conflicts with imported resource"
                problems.append(Problem(f"{section}.{name}", message, where))
                continue
            if name not in target:
                target.set(name, value, source.key_marks.get(name), source.value_marks.get(name))
    return problems
