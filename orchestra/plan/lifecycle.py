"""Plans for ``start``, ``stop`` and ``restart`` of existing containers, in dependency order.

Pure: it sees the observed containers and the service graph, never the engine. Stops go
dependents first; starts and restarts go dependencies first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from orchestra.engine.base import ContainerStatus, ObservedContainer
from orchestra.graph import ServiceGraph
from orchestra.plan.ops import OpKind, Plan

__all__ = ["plan_lifecycle"]

_NEEDS = {
    OpKind.STOP_CONTAINER: {ContainerStatus.RUNNING, ContainerStatus.RESTARTING},
    OpKind.START_CONTAINER: {ContainerStatus.CREATED, ContainerStatus.EXITED},
    OpKind.RESTART_CONTAINER: set(ContainerStatus),
}


def _target(container: ObservedContainer) -> str:
    return f"container:{container.service}:{container.number}"


def plan_lifecycle(
    project: str,
    kind: OpKind,
    containers: Sequence[ObservedContainer],
    graph: ServiceGraph | None,
    timeout: float | None = None,
) -> Plan:
    """One ``kind`` op per container that needs it, chained along the service graph."""
    plan = Plan(project=project)
    by_service: dict[str, list[ObservedContainer]] = {}
    for container in containers:
        if container.status in _NEEDS[kind]:
            by_service.setdefault(container.service or "", []).append(container)
    names = sorted(by_service)
    if graph is not None:
        known = [s for s in names if s in graph.services]
        ordered = (
            graph.stop_order(known) if kind is OpKind.STOP_CONTAINER else graph.start_order(known)
        )
        names = ordered + [s for s in names if s not in known]
    done: dict[str, list[int]] = {}
    for service in names:
        deps = _before(service, kind, graph, done)
        done[service] = [
            plan.add(
                kind,
                _target(c),
                f"{kind.verb.lower()} requested",
                deps,
                engine_id=c.id,
                timeout=None if kind is OpKind.START_CONTAINER else timeout,
            )
            for c in sorted(by_service[service], key=lambda c: c.number)
        ]
    return plan


def _before(
    service: str, kind: OpKind, graph: ServiceGraph | None, done: dict[str, list[int]]
) -> Iterable[int]:
    if graph is None or service not in graph.services:
        return ()
    if kind is OpKind.STOP_CONTAINER:
        related = graph.dependents(service)
    else:
        related = [edge.dependency for edge in graph.dependencies(service)]
    return [op for name in related for op in done.get(name, [])]
