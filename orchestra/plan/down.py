"""``plan_down``: remove a project's containers and networks (volumes with ``-v``), by label.

With the project's files, containers stop dependents first (the service graph reversed) and
containers of services the files no longer define are orphans: kept with a warning unless
``remove_orphans``. Without the files, everything labelled with the project goes, in parallel.
Each REMOVE follows its container's STOP; a network goes as soon as the containers attached to
it are gone (all of them when the list call did not say), volumes after every container.
External networks and volumes are never removed. Pure and deterministic; never imports
``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from orchestra import labels as lbl
from orchestra.engine.base import Observed, ObservedContainer
from orchestra.errors import SpecError
from orchestra.graph import ServiceGraph
from orchestra.plan.observed_index import RUNNING, is_oneoff, target
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import DownOptions
from orchestra.spec.model import Network, Project, Volume

__all__ = ["plan_down"]


def plan_down(
    project_name: str,
    observed: Observed,
    project: Project | None,
    options: DownOptions = DownOptions(),  # noqa: B008 - frozen, so a shared default is safe
) -> Plan:
    """The plan that tears ``project_name`` down; from labels alone when ``project`` is None."""
    plan = Plan(project=project_name)
    containers = sorted(observed.containers, key=_order)
    if project is None:
        removed = [
            _stop_and_remove(plan, c, "down", (), options.timeout, options.volumes)[1]
            for c in containers
        ]
        keep_networks = False
    else:
        removed, keep_networks = _down_project(plan, project, containers, options)
    if keep_networks:
        plan.warn("networks kept: running orphan containers may still use them")
    else:
        _remove_networks(plan, observed, project, removed)
    if options.volumes:
        _remove_volumes(plan, observed, project, removed)
    return plan


def _order(container: ObservedContainer) -> tuple[str, bool, int, str]:
    return (container.service or "", is_oneoff(container), container.number, container.name)


def _down_project(
    plan: Plan, project: Project, containers: Sequence[ObservedContainer], options: DownOptions
) -> tuple[list[int], bool]:
    """Stop and remove the project's containers dependents first; (REMOVE ids, networks kept)."""
    graph = _graph(project)
    known = set(graph.services)
    orphans = [c for c in containers if c.service not in known]
    if orphans and not options.remove_orphans:
        names = ", ".join(c.name for c in orphans)
        plan.warn(
            f"orphans (services not in the files): {names}; remove them with --remove-orphans"
        )
    removed: list[int] = []
    # barrier[s]: the STOP ops a dependency of s must wait for (s's own, or, when none of
    # s's containers runs, those s itself waited for), so the order survives stopped links.
    barrier: dict[str, list[int]] = {}
    for service in graph.stop_order():
        after = sorted({op for d in graph.dependents(service) for op in barrier.get(d, [])})
        stops = []
        for container in (c for c in containers if c.service == service):
            stop, remove = _stop_and_remove(
                plan, container, "down", after, options.timeout, options.volumes
            )
            stops += [stop] if stop is not None else []
            removed.append(remove)
        barrier[service] = stops or after
    if options.remove_orphans:
        for container in orphans:
            removed.append(
                _stop_and_remove(plan, container, "orphaned", (), options.timeout, options.volumes)[
                    1
                ]
            )
    # A stopped container holds no active endpoint, so only running orphans block a network.
    running = any(c.status in RUNNING for c in orphans)
    return removed, running and not options.remove_orphans


def _graph(project: Project) -> ServiceGraph:
    """The graph of every service in the files, profiles or not (down removes them all)."""
    try:
        return ServiceGraph({**project.disabled_services, **project.services})
    except SpecError:
        return ServiceGraph(project.services)


def _stop_and_remove(
    plan: Plan,
    container: ObservedContainer,
    cause: str,
    after: Iterable[int],
    timeout: float | None,
    volumes: bool,
) -> tuple[int | None, int]:
    """STOP (when it is up, after ``after``) and REMOVE; (STOP id or None, REMOVE id).

    Anonymous volumes go with the container only with ``down -v``, as in compose.
    """
    stop = None
    if container.status in RUNNING:
        stop = plan.add(
            OpKind.STOP_CONTAINER,
            target(container),
            cause,
            after,
            engine_id=container.id,
            timeout=timeout,
        )
    remove = plan.add(
        OpKind.REMOVE_CONTAINER,
        target(container),
        cause,
        [stop] if stop is not None else [],
        engine_id=container.id,
        volumes=volumes,
    )
    return stop, remove


def _external_names(declared: Mapping[str, Network] | Mapping[str, Volume]) -> set[str]:
    """Keys and engine names of the external networks or volumes the files declare."""
    return {n for key, item in declared.items() if item.external for n in (key, item.name)}


def _remove_networks(
    plan: Plan, observed: Observed, project: Project | None, removed: list[int]
) -> None:
    external = _external_names(project.networks) if project is not None else set()
    attached = {c.id: c.networks for c in observed.containers}
    for network in sorted(observed.networks, key=lambda n: n.name):
        key = network.labels.get(lbl.NETWORK) or network.name
        if not {network.name, key} & external:
            # Waiting only for its own containers lets the engine drop the network while
            # the rest of the stack is still going down.
            after = [
                r
                for r in removed
                if _may_use(attached.get(plan.op(r).engine_id or ""), network.name)
            ]
            plan.add(OpKind.REMOVE_NETWORK, f"network:{key}", "down", after, engine_id=network.id)


def _may_use(networks: frozenset[str] | None, name: str) -> bool:
    """Whether a container on ``networks`` (None: not known) may hold an endpoint on ``name``."""
    return networks is None or name in networks


def _remove_volumes(
    plan: Plan, observed: Observed, project: Project | None, removed: list[int]
) -> None:
    external = _external_names(project.volumes) if project is not None else set()
    for volume in sorted(observed.volumes, key=lambda v: v.name):
        key = volume.labels.get(lbl.VOLUME) or volume.name
        if not {volume.name, key} & external:
            plan.add(
                OpKind.REMOVE_VOLUME, f"volume:{key}", "down -v", removed, engine_id=volume.name
            )
