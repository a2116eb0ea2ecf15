"""Which of a project's listed containers a command means: pure selection, no engine calls.

Shared by the async API (``orchestra.api_containers``) and the blocking ``ps`` of
``orchestra.api_quick``, so both choose and order containers alike. Imports ``labels``,
``errors``, ``api_types`` and the engine's data types; must not import ``anyio``, ``docker``
or the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable

from orchestra import labels
from orchestra.api_types import ContainerInfo
from orchestra.engine.base import ObservedContainer
from orchestra.errors import UsageError
from orchestra.spec.model import Project

__all__ = ["check_known", "listed_infos", "service_containers", "service_list"]


def service_list(services: str | Iterable[str] | None) -> list[str] | None:
    """One service name, several, or None (all) as a list (or None)."""
    if services is None:
        return None
    return [services] if isinstance(services, str) else list(services)


def check_known(project: Project | None, services: Iterable[str]) -> None:
    """UsageError naming the first of ``services`` that ``project`` lacks (no check by name)."""
    if project is None:
        return
    for service in services:
        if service not in project.services:
            names = ", ".join(sorted(project.services)) or "none"
            raise UsageError(
                f"no service {service!r} in project {project.name} (services: {names})"
            )


def service_containers(
    listed: Iterable[ObservedContainer], services: Iterable[str] | None = None
) -> list[ObservedContainer]:
    """The service containers (not one-offs) of ``services`` (all when None), by service,
    number and name."""
    wanted = set(services or ())
    found = [
        c
        for c in listed
        if c.labels.get(labels.ONEOFF, "False") != "True" and (not wanted or c.service in wanted)
    ]
    return sorted(found, key=lambda c: (c.service or "", c.number, c.name))


def listed_infos(
    listed: Iterable[ObservedContainer],
    project: Project | None,
    services: str | Iterable[str] | None,
    include_stopped: bool,
) -> list[ContainerInfo]:
    """``ps`` records of the listed containers alone (no limits: those need an inspect)."""
    chosen_services = service_list(services)
    check_known(project, chosen_services or ())
    infos = [ContainerInfo.listed(c) for c in service_containers(listed, chosen_services)]
    return infos if include_stopped else [info for info in infos if info.running]
