"""``load_project``, the public loader: Compose files to a validated ``Project``.

Kept apart from ``orchestra.api`` so that commands which only read files (``orchestra config``)
load through the public API without importing the engine, the planner or ``networkx``.
Imports the standard library and ``orchestra.spec``; must not import ``anyio``, ``docker``, the
engine, the planner or the CLI.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

from orchestra.errors import UsageError
from orchestra.spec.files import LoadOptions
from orchestra.spec.load import load_project as _load
from orchestra.spec.model import Project

__all__ = ["FileArg", "Files", "check_loaded", "load_project", "paths"]

FileArg = str | os.PathLike[str]
Files = FileArg | Sequence[FileArg]
"""One Compose file or several (later ones override earlier ones, as ``-f`` does)."""


def paths(files: Files) -> tuple[str, ...]:
    """``files`` as a tuple of path strings."""
    if isinstance(files, str | os.PathLike):
        return (os.fspath(files),)
    return tuple(os.fspath(f) for f in files)


def load_project(
    files: Files = (),
    *,
    project_name: str | None = None,
    env: Mapping[str, str] | None = None,
    profiles: Iterable[str] = (),
    env_files: Files = (),
    project_directory: FileArg | None = None,
) -> Project:
    """Read, interpolate, merge and validate Compose files into a typed ``Project``.

    Without ``files`` the nearest ``compose.yaml`` (and its override) from the working directory
    up is used, as ``docker compose`` does. ``env`` adds variables over the process environment
    for interpolation (``${APP_PORT:-8080}``); ``env_files`` replace the default ``.env`` next
    to the first file. Raises SpecError listing every problem with its file:line:column.
    """
    options = LoadOptions(
        files=paths(files),
        project_name=project_name,
        project_directory=os.fspath(project_directory) if project_directory else None,
        env_files=paths(env_files),
        profiles=tuple(profiles),
        environ={**os.environ, **(env or {})},
    )
    return _load(options)


def check_loaded(
    project: Project,
    project_name: str | None,
    env: Mapping[str, str] | None,
    profiles: Iterable[str],
    env_files: Files,
) -> None:
    """A loaded project is final: loading arguments beside it would be silently ignored.

    Raises UsageError naming the argument to move to ``load_project``.
    """
    if project_name is not None and project_name != project.name:
        raise UsageError(
            f"project_name {project_name!r} differs from the loaded project's {project.name!r}; "
            "pass project_name to load_project instead"
        )
    if env or tuple(profiles) or paths(env_files):
        raise UsageError("env, profiles and env_files apply to loading: pass them to load_project")
