"""Observed containers of a project, indexed the way the planners read them.

Groups containers by service label and replica number, sets one-off containers (``run``) apart,
and picks one container per replica when several claim the same number (the one with the
expected name, else the newest); the rest are duplicates to remove. Also the readiness test of
an observed container. Pure; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from orchestra import labels as lbl
from orchestra.engine.base import (
    ContainerStatus,
    HealthStatus,
    ObservedContainer,
    ReadyCondition,
)

__all__ = ["RUNNING", "ServiceContainers", "index_containers", "is_oneoff", "is_ready", "target"]

# States in which a container counts as up: stopping it is needed, starting it is not.
RUNNING = frozenset({ContainerStatus.RUNNING, ContainerStatus.RESTARTING, ContainerStatus.PAUSED})


def is_oneoff(container: ObservedContainer) -> bool:
    """Whether ``container`` is a one-off (``run``) container rather than a replica."""
    return container.labels.get(lbl.ONEOFF, "False") == "True"


def target(container: ObservedContainer) -> str:
    """The plan target of an observed container: ``container:<service>:<number>``."""
    return f"container:{container.service or container.name}:{container.number}"


def is_ready(container: ObservedContainer, condition: ReadyCondition) -> bool:
    """Whether the container already meets ``condition`` as observed (no wait needed).

    Completed can never be read from a list call (it has no exit code), so it is never ready.
    """
    if condition is ReadyCondition.COMPLETED:
        return False
    if container.status is not ContainerStatus.RUNNING:
        return False
    return condition is ReadyCondition.STARTED or container.health is HealthStatus.HEALTHY


@dataclass
class ServiceContainers:
    """One service's replica containers by number, plus duplicates of a number."""

    by_number: dict[int, ObservedContainer] = field(default_factory=dict)
    duplicates: list[ObservedContainer] = field(default_factory=list)


def index_containers(
    containers: Iterable[ObservedContainer], names: Mapping[tuple[str, int], str]
) -> dict[str, ServiceContainers]:
    """Non-one-off containers by service; ``names`` gives the expected name of a replica."""
    found: dict[str, dict[int, list[ObservedContainer]]] = {}
    for container in containers:
        if is_oneoff(container) or container.service is None:
            continue
        found.setdefault(container.service, {}).setdefault(container.number, []).append(container)
    index: dict[str, ServiceContainers] = {}
    for service, numbers in found.items():
        entry = index.setdefault(service, ServiceContainers())
        for number, claimants in sorted(numbers.items()):
            expected = names.get((service, number))
            ranked = sorted(claimants, key=lambda c: (c.name != expected, -c.created, c.id))
            entry.by_number[number] = ranked[0]
            entry.duplicates.extend(ranked[1:])
    return index
