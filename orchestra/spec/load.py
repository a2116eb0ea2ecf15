"""The Compose loader's entry points: options → ``Project``, and raw tree → ``Project``.

``load_project`` runs the front half (``load_raw``: files, interpolation, merge) and then
``project_from_raw``: read every top-level resource and service into the model, check the
references between them, apply profiles and drop the resources no enabled service uses. All
problems found are raised together as one ``SpecError``; a dependency ring raises
``DependencyCycleError`` once everything else is right.

Imports only ``orchestra.errors`` and ``orchestra.spec.*``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from orchestra.errors import Problem, SpecError
from orchestra.spec.model import Network, Project, Service, frozen_map
from orchestra.spec.normalize_env import EnvFileReader, EnvSource, default_env_file_reader
from orchestra.spec.normalize_service import read_service
from orchestra.spec.normalize_top import read_configs, read_networks, read_secrets, read_volumes_top
from orchestra.spec.profiles import (
    active_profiles,
    check_enabled_dependencies,
    prune_resources,
    select_services,
    split_by_profiles,
)
from orchestra.spec.raw import RMap
from orchestra.spec.secret_values import resolve_values
from orchestra.spec.validate_core import Checker, Loc, read_map
from orchestra.spec.validate_refs import (
    Defined,
    check_cycles,
    check_references,
    with_implicit_dependencies,
)

if TYPE_CHECKING:
    from orchestra.spec.files import LoadOptions

__all__ = ["RawInput", "load_project", "project_from_raw"]

TOP_LEVEL_KEYS = frozenset(
    {"name", "services", "networks", "volumes", "secrets", "configs", "include", "version"}
)
TOP_LEVEL_UNSUPPORTED = frozenset({"models"})


class RawInput(Protocol):
    """What ``project_from_raw`` needs of the front half's ``RawProject``."""

    @property
    def name(self) -> str: ...
    @property
    def directory(self) -> Path: ...
    @property
    def files(self) -> tuple[Path, ...]: ...
    @property
    def environment(self) -> Mapping[str, str]: ...
    @property
    def profiles(self) -> tuple[str, ...]: ...
    @property
    def tree(self) -> RMap: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...


def load_project(options: LoadOptions, *, services: Iterable[str] = ()) -> Project:
    """Read, check and type the project ``options`` describe; raises SpecError (all problems).

    ``services`` names services to select (their profiles become active, and the project is
    reduced to them and their dependencies), as ``docker compose config web`` does.
    """
    from orchestra.spec.assemble import load_raw

    return project_from_raw(load_raw(options), services=services)


def project_from_raw(
    raw: RawInput,
    *,
    services: Iterable[str] = (),
    read_env_file: EnvFileReader = default_env_file_reader,
) -> Project:
    """The typed project of a merged raw tree; raises SpecError with every problem found."""
    ck = Checker()
    root = Loc({"": raw.tree}, "", "")
    ck.keys(root, TOP_LEVEL_KEYS, TOP_LEVEL_UNSUPPORTED)
    resources = _read_resources(ck, root, raw.name)
    # Compose always has a `default` network; unused, it is pruned below like any other.
    resources["networks"].setdefault("default", Network(name=f"{raw.name}_default"))
    services_loc = root.get("services") or Loc({"services": RMap()}, "services", "services")
    env = EnvSource(raw.environment, read_env_file)
    found = _read_services(ck, services_loc, raw.directory, env)
    defined = Defined(frozenset(found), *(frozenset(r) for r in resources.values()))
    check_references(ck, services_loc, found, defined)
    _raise_if_any(ck)
    found = {name: with_implicit_dependencies(s) for name, s in found.items()}
    check_cycles(services_loc, found)
    named = list(services)
    active = active_profiles(raw.profiles, found, named)
    enabled, disabled = split_by_profiles(found, active)
    check_enabled_dependencies(ck, services_loc, enabled, disabled)
    _raise_if_any(ck)
    project = Project(
        name=raw.name,
        directory=raw.directory,
        services=frozen_map(enabled),
        disabled_services=frozen_map(disabled),
        networks=frozen_map(resources["networks"]),
        volumes=frozen_map(resources["volumes"]),
        secrets=frozen_map(resources["secrets"]),
        configs=frozen_map(resources["configs"]),
        environment=frozen_map(raw.environment),
        warnings=tuple(raw.warnings),
        files=tuple(raw.files),
        profiles=active,
        extensions=frozen_map(
            {k: _frozen_data(v) for k, v in raw.tree.items() if str(k).startswith("x-")}
        ),
    )
    project = resolve_values(prune_resources(project))
    return select_services(project, named) if named else project


def _read_resources(ck: Checker, root: Loc, project: str) -> dict[str, dict[str, Any]]:
    readers: dict[str, Callable[[Checker, Loc, str], Mapping[str, Any]]] = {
        "networks": read_networks,
        "volumes": read_volumes_top,
        "secrets": read_secrets,
        "configs": read_configs,
    }
    found: dict[str, dict[str, Any]] = {}
    for key, reader in readers.items():
        loc = root.get(key)
        found[key] = dict(reader(ck, loc, project)) if loc is not None and loc.value else {}
    return found


def _read_services(ck: Checker, loc: Loc, directory: Path, env: EnvSource) -> dict[str, Service]:
    if loc.value is None or read_map(ck, loc) is None:
        return {}
    found: dict[str, Service] = {}
    for child in loc.items():
        service = read_service(ck, child, directory, env)
        if service is not None:
            found[str(child.key)] = service
    return found


def _frozen_data(value: Any) -> Any:
    """A raw value as read-only plain data: maps become read-only maps, lists tuples."""
    if isinstance(value, dict):
        return frozen_map({str(k): _frozen_data(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen_data(item) for item in value)
    return value


def _raise_if_any(ck: Checker) -> None:
    if ck.problems:
        raise SpecError(sorted(ck.problems, key=_problem_order))


def _problem_order(problem: Problem) -> tuple[str, int, int, str]:
    """Problems in file order; those without a place last."""
    mark = problem.mark
    if mark is None:
        return ("\uffff", 0, 0, problem.path)
    return (mark.file, mark.line, mark.column, problem.path)
