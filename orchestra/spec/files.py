"""Find the Compose files, the ``.env`` files and the project directory and name.

Follows ``docker compose`` v2: the ``.env`` file is read from ``--project-directory``, else from
the directory of the first ``-f`` file, else from the working directory, before any compose file
is looked for, so it can set ``COMPOSE_FILE``, ``COMPOSE_PROJECT_NAME`` and ``COMPOSE_PROFILES``.
Without ``-f``: ``COMPOSE_FILE`` (split on ``COMPOSE_PATH_SEPARATOR``), else the nearest
``compose.yaml``/``compose.yml``/``docker-compose.yml``/``docker-compose.yaml`` from
``--project-directory`` or the working directory upwards, plus an override file next to it. The
project name is ``-p``, else ``COMPOSE_PROJECT_NAME`` (both must already be valid), else the
``name:`` of the files or the project directory's name (both normalised).

Filesystem only; imports only ``orchestra.errors``, ``orchestra.records`` and
``orchestra.spec.envfile``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

from orchestra.errors import Problem, SpecError
from orchestra.records import record
from orchestra.spec.envfile import load_dotenv

__all__ = [
    "DEFAULT_FILE_NAMES",
    "MAX_PROJECT_NAME",
    "OVERRIDE_FILE_NAMES",
    "LoadOptions",
    "Located",
    "choose_project_name",
    "display_path",
    "find_compose_files",
    "locate",
    "normalize_project_name",
]

DEFAULT_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILE_NAMES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
_VALID_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
# The project name names the engine's volume directories (``<project>_<volume>``) and the
# project's lock file: a file name cannot exceed 255 bytes, and compose (which allows any
# length) then fails in the middle of ``up``, after the networks were created.
MAX_PROJECT_NAME = 200
_NAME_RULE = (
    "must consist only of lowercase alphanumeric characters, hyphens, and underscores "
    "as well as start with a letter or number"
)


@record
class LoadOptions:
    """What the command line says about where the project is."""

    files: tuple[str, ...] = ()
    project_name: str | None = None
    project_directory: str | None = None
    env_files: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    environ: Mapping[str, str] | None = None
    cwd: str | None = None


@record
class Located:
    """The result of ``locate``: where everything is, before any compose file is parsed."""

    cwd: Path
    files: tuple[Path, ...]
    directory: Path
    dotenv: Mapping[str, str]
    environment: Mapping[str, str]  # the process environment over the .env files
    warnings: tuple[str, ...] = field(default=())


def display_path(path: Path, cwd: Path) -> str:
    """``path`` relative to ``cwd`` when it is inside it, else absolute (for error marks)."""
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def _absolute(path: str, cwd: Path) -> Path:
    return Path(os.path.normpath(os.path.join(cwd, os.path.expanduser(path))))


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "t", "true", "y", "yes", "on")


def locate(options: LoadOptions) -> Located:
    """Find the files, read the ``.env`` files and pick the project directory; raises SpecError."""
    cwd = Path(os.path.abspath(options.cwd or os.getcwd()))
    environ = dict(os.environ if options.environ is None else options.environ)
    explicit_dir = _absolute(options.project_directory, cwd) if options.project_directory else None
    if options.env_files:
        env_paths = [_absolute(p, cwd) for p in options.env_files]
        for path in env_paths:
            if not path.is_file():
                raise SpecError(Problem("", f"env file {path} not found"))
    else:
        env_dir = explicit_dir or (
            _absolute(options.files[0], cwd).parent if options.files else cwd
        )
        default = env_dir / ".env"
        use_default = default.is_file() and not _truthy(environ.get("COMPOSE_DISABLE_ENV_FILE"))
        env_paths = [default] if use_default else []
    dotenv = load_dotenv(env_paths, environ)
    environment = {**dotenv, **environ}
    warnings: list[str] = []
    files = _config_files(options, cwd, explicit_dir, environment, warnings)
    directory = explicit_dir or files[0].parent
    return Located(cwd, files, directory, dotenv, environment, tuple(warnings))


def _config_files(
    options: LoadOptions,
    cwd: Path,
    explicit_dir: Path | None,
    environment: Mapping[str, str],
    warnings: list[str],
) -> tuple[Path, ...]:
    names: list[str] = list(options.files)
    if not names and environment.get("COMPOSE_FILE"):
        separator = environment.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
        names = [n for n in environment["COMPOSE_FILE"].split(separator) if n]
    if not names:
        return find_compose_files(explicit_dir or cwd, warnings)
    if "-" in names:
        raise SpecError(Problem("", "reading a compose file from standard input is not supported"))
    files = tuple(_absolute(name, cwd) for name in names)
    for name, path in zip(names, files, strict=True):
        if not path.is_file():
            raise SpecError(Problem("", f"compose file not found: {name} ({path})"))
    return files


def find_compose_files(start: Path, warnings: list[str]) -> tuple[Path, ...]:
    """The nearest compose file from ``start`` upwards, plus its override; raises SpecError."""
    directory = start
    while True:
        found = _candidates(directory, DEFAULT_FILE_NAMES, "config", warnings)
        if found is not None:
            override = _candidates(directory, OVERRIDE_FILE_NAMES, "override", warnings)
            return (found,) if override is None else (found, override)
        if directory.parent == directory:
            break
        directory = directory.parent
    looked = ", ".join(DEFAULT_FILE_NAMES)
    message = f"no compose file found in {start} or any parent directory (looked for {looked})"
    raise SpecError(Problem("", message))


def _candidates(
    directory: Path, names: tuple[str, ...], kind: str, warnings: list[str]
) -> Path | None:
    present = [directory / name for name in names if (directory / name).is_file()]
    if not present:
        return None
    if len(present) > 1:
        listed = ", ".join(str(p) for p in present)
        warnings.append(f"Found multiple {kind} files with supported names: {listed}")
        warnings.append(f"Using {present[0]}")
    return present[0]


def normalize_project_name(name: str) -> str:
    """A derived name made valid as compose does: lowercase, only ``[a-z0-9_-]``, no lead ``_-``."""
    kept = "".join(c for c in name.lower() if c.isascii() and (c.isalnum() or c in "_-"))
    return kept.lstrip("_-")


def choose_project_name(
    explicit: str | None,
    environment: Mapping[str, str],
    declared: str | None,
    directory: Path,
) -> str:
    """The project name from ``-p``, ``COMPOSE_PROJECT_NAME``, ``name:``, or the directory.

    ``-p`` and ``COMPOSE_PROJECT_NAME`` must be valid already; ``name:`` and the directory's
    name are normalised. Raises SpecError for an invalid explicit name or an empty result.
    """
    for given in (explicit, environment.get("COMPOSE_PROJECT_NAME")):
        if given:
            if not _VALID_NAME.fullmatch(given):
                shown = given if len(given) <= 80 else given[:80] + "..."
                raise SpecError(Problem("", f'invalid project name "{shown}": {_NAME_RULE}'))
            return _not_too_long(given)
    normalized = normalize_project_name(declared or directory.name)
    if not normalized:
        raise SpecError(Problem("", "project name must not be empty"))
    return _not_too_long(normalized)


def _not_too_long(name: str) -> str:
    if len(name) > MAX_PROJECT_NAME:
        message = (
            f'project name "{name[:40]}..." is {len(name)} characters long; orchestra allows'
            f" {MAX_PROJECT_NAME}: it names volume directories and files on this machine"
        )
        raise SpecError(Problem("", message))
    return name
