"""``plan_up``: the Compose model and the observed engine state → the Plan that makes them match.

Order of the plan: image pulls/builds, networks, volumes, orphans, then services in start order
(each: scale-down removals highest number first, then replicas ascending), then ``--wait``
waits. Per replica (design §4): missing → CREATE, START; config or image changed → STOP,
REMOVE, CREATE, START; stopped → START; running and matching → nothing. The replica decisions
and the readiness edges live in ``up_replicas``. The START of a stopped container carries the
spec to create it from again (its anonymous volumes kept): Engine 20.10 can refuse to start a
container whose task outlived a daemon restart, and the executor then replaces it. Pure and
deterministic: no I/O, no clock, no environment; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Mapping

from orchestra.engine.base import Observed
from orchestra.errors import UsageError
from orchestra.graph import ServiceGraph
from orchestra.plan.anonymous_volumes import carry_anonymous_volumes
from orchestra.plan.container_spec import container_name, container_spec, image_ref
from orchestra.plan.images import add_image_ops
from orchestra.plan.observed_index import index_containers, is_oneoff
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import UpOptions
from orchestra.plan.resources import add_network_ops, add_volume_ops, used_networks, used_volumes
from orchestra.plan.spec_warnings import service_warnings
from orchestra.plan.up_replicas import Context, ReplicaPlanner, stop_and_remove, wait_condition
from orchestra.spec.model import Project

__all__ = ["plan_up", "replica_counts", "selected_services"]


def selected_services(project: Project, options: UpOptions) -> list[str]:
    """The services ``up`` acts on, in start order (SpecError for an unknown name)."""
    graph = ServiceGraph.of(project)
    if not options.services:
        return graph.start_order()
    return graph.select(options.services, with_dependencies=not options.no_deps)


def replica_counts(project: Project, services: list[str], options: UpOptions) -> dict[str, int]:
    """Replicas per service (``--scale`` wins); UsageError for container_name with several."""
    counts = {}
    for name in services:
        service = project.services[name]
        count = options.scale.get(name, service.replicas)
        if service.container_name and count > 1:
            raise UsageError(
                f"service {name} has container_name {service.container_name!r} and cannot "
                f"be scaled to {count} (container names must be unique)"
            )
        counts[name] = count
    return counts


def plan_up(
    project: Project,
    observed: Observed,
    images: Mapping[str, str | None],
    options: UpOptions = UpOptions(),  # noqa: B008 - frozen, so a shared default is safe
    version: str = "0.1.0",
) -> Plan:
    """The plan that converges ``observed`` to ``project`` for ``up``.

    ``images`` maps every image reference the selected services use to its local id (None when
    absent). Raises SpecError (unknown service, cycle), UsageError (container_name scaled above
    one) and ImageNotFoundError (missing image with pull policy never).
    """
    plan = Plan(project=project.name)
    selected = selected_services(project, options)
    counts = replica_counts(project, selected, options)
    services = [project.services[name] for name in selected]
    for service in services:
        for message in service_warnings(project, service):
            plan.warn(message)
    image_ops = add_image_ops(
        plan, project.name, services, images, options.pull, rebuild=options.build
    )
    network_ops = add_network_ops(plan, project, observed, used_networks(project, services))
    volume_ops = add_volume_ops(plan, project, observed, used_volumes(project, services))
    _orphans(plan, project, observed, options)
    names = {
        (name, n): container_name(project.name, project.services[name], n)
        for name in selected
        for n in range(1, counts[name] + 1)
    }
    context = Context(
        project=project,
        options=options,
        version=version,
        images=images,
        counts=counts,
        containers=index_containers(observed.containers, names),
        image_ops=image_ops,
        network_ops=network_ops,
        volume_ops=volume_ops,
    )
    replicas = ReplicaPlanner(plan, context)
    for name in selected:
        replicas.plan_service(project.services[name])
    if options.wait:
        _wait_all(replicas, project, selected, counts)
    if not options.no_recreate:  # --no-recreate: keep the container even if it cannot start
        _give_fallbacks(plan, context)
    return plan


def _give_fallbacks(plan: Plan, context: Context) -> None:
    """Each START of an observed container gets the spec to recreate it from: the same container
    as now (it matches the files, or it would be replaced), with its anonymous volumes."""
    for op in plan.ops:
        if op.kind is not OpKind.START_CONTAINER or op.engine_id is None:
            continue
        _, name, number = op.target.split(":")
        entry = context.containers.get(name)
        current = None if entry is None else entry.by_number.get(int(number))
        if current is None or current.id != op.engine_id:
            continue
        service, project = context.project.services[name], context.project
        image = context.images.get(image_ref(project.name, service))
        spec = container_spec(project, service, int(number), image, context.version)
        if spec.name == current.name:  # not one a RENAME of this plan gives its name back
            plan.give_fallback(op.id, carry_anonymous_volumes(spec, current.anonymous_volumes))


def _orphans(plan: Plan, project: Project, observed: Observed, options: UpOptions) -> None:
    """Containers of services the files no longer define: a warning, or removed on request."""
    known = set(project.services) | set(project.disabled_services)
    orphans = sorted(
        (c for c in observed.containers if not is_oneoff(c) and c.service not in known),
        key=lambda c: (c.service or "", c.number, c.name),
    )
    if not orphans:
        return
    if not options.remove_orphans:
        names = ", ".join(c.name for c in orphans)
        plan.warn(
            f"orphans (services not in the files): {names}; remove them with --remove-orphans"
        )
        return
    for container in orphans:
        stop_and_remove(plan, container, "orphaned", options.stop_timeout)


def _wait_all(
    replicas: ReplicaPlanner, project: Project, selected: list[str], counts: Mapping[str, int]
) -> None:
    """``--wait``: every replica of every selected service ready, each by its own condition."""
    chosen = set(selected)
    for name in selected:
        condition = wait_condition(project, name, chosen)
        for number in range(1, counts[name] + 1):
            replicas.wait(name, number, condition, "--wait", always=True)
