"""Per-replica decisions of ``plan_up`` and the readiness edges between services.

For each replica: create it, replace it (stop, remove, create, start; or start-first, see
``start_first``), start it, restart it (``depends_on.restart`` after a dependency was recreated) or
leave it. A replaced container's CREATE carries the per-field diff of its config. START waits for
every selected dependency's replicas to be ready by the ``depends_on`` condition; a WAIT_READY
follows the START/RESTART of this plan, or stands alone (observed id, no deps) when the dependency
runs but is not yet ready, or is left out when it is ready already. Replacing the container another
service shares the network namespace or volumes of (``network_mode: service:x``, ``volumes_from``)
replaces that service's containers too. Pure; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from orchestra import labels as lbl
from orchestra.engine.base import ContainerStatus, ObservedContainer, ReadyCondition
from orchestra.hashing import config_hash
from orchestra.plan.anonymous_volumes import carry_anonymous_volumes
from orchestra.plan.container_spec import (
    container_name,
    container_networks,
    container_spec,
    image_ref,
)
from orchestra.plan.diff import FieldChange, config_changes, summarize
from orchestra.plan.heal import is_held, restart_sources, stays_completed, unhealthy_cause
from orchestra.plan.observed_index import RUNNING, ServiceContainers, is_ready, target
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import UpOptions
from orchestra.plan.start_first import (
    StartFirst,
    add_start_first,
    is_temporary_name,
    ready_condition,
    start_first_blocker,
    wants_start_first,
)
from orchestra.spec.model import Project, Service

__all__ = ["CONDITIONS", "Context", "ReplicaPlanner", "stop_and_remove", "wait_condition"]

CONDITIONS: Mapping[str, ReadyCondition] = {
    "service_started": ReadyCondition.STARTED,
    "service_healthy": ReadyCondition.HEALTHY,
    "service_completed_successfully": ReadyCondition.COMPLETED,
}
_BROKEN = frozenset({ContainerStatus.DEAD, ContainerStatus.REMOVING})


@dataclass(frozen=True)
class Context:
    """What every replica decision reads: the model, the options and what exists already."""

    project: Project
    options: UpOptions
    version: str
    images: Mapping[str, str | None]
    counts: Mapping[str, int]  # replicas of each selected service
    containers: Mapping[str, ServiceContainers]
    image_ops: Mapping[str, int] = field(default_factory=dict)
    network_ops: Mapping[str, int] = field(default_factory=dict)
    volume_ops: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Replace:
    """Why a replica is replaced, and which fields changed (empty when unknown)."""

    cause: str
    diff: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class _Started:
    """The op after which a replica runs, and its engine id when the op does not create it."""

    op: int
    engine_id: str | None


def wait_condition(project: Project, name: str, chosen: set[str]) -> ReadyCondition:
    """What ``--wait`` waits for: completed for a job others wait on, healthy with a check."""
    for other in sorted(chosen):
        dependency = project.services[other].depends_on.get(name)
        if dependency is not None and dependency.condition == "service_completed_successfully":
            return ReadyCondition.COMPLETED
    check = project.services[name].healthcheck
    if check is not None and not check.disable and check.test[:1] != ("NONE",):
        return ReadyCondition.HEALTHY
    return ReadyCondition.STARTED


def stop_and_remove(
    plan: Plan,
    container: ObservedContainer,
    cause: str,
    timeout: float | None,
    *,
    force: bool = False,
) -> int:
    """STOP (when up) then REMOVE (``force``: even if it is up by then); the REMOVE's op id."""
    deps = []
    if container.status in RUNNING:
        deps.append(
            plan.add(
                OpKind.STOP_CONTAINER,
                target(container),
                cause,
                engine_id=container.id,
                timeout=timeout,
            )
        )
    return plan.add(
        OpKind.REMOVE_CONTAINER, target(container), cause, deps, engine_id=container.id, force=force
    )


def _lost_networks(project: Project, service: Service, current: ObservedContainer) -> list[str]:
    """Networks a container lacks: disconnected, or never connected (a crash mid-create)."""
    if current.networks is None or service.network_mode:
        return []
    wanted = (n.network for n in container_networks(project, service, current.name))
    return sorted(name for name in wanted if name not in current.networks)


def _short(image_id: str) -> str:
    algorithm, sep, digest = image_id.rpartition(":")
    return f"{algorithm}{sep}{digest[:12]}…" if len(digest) > 12 else image_id


def _references(service: Service, *, with_links: bool) -> list[str]:
    """Services whose container this one names at create time (sorted, unique)."""
    found = {e.partition(":")[0] for e in service.volumes_from if not e.startswith("container:")}
    if service.network_mode and service.network_mode.startswith("service:"):
        found.add(service.network_mode.removeprefix("service:"))
    if with_links:
        found |= {link.partition(":")[0] for link in service.links}
    return sorted(found)


class ReplicaPlanner:
    """Adds the ops of each service's replicas to a plan; call ``plan_service`` in start order."""

    def __init__(self, plan: Plan, context: Context) -> None:
        self.plan = plan
        self.ctx = context
        self._created: dict[tuple[str, int], int] = {}  # CREATE op per replica
        self._replaced: set[str] = set()  # services with a replaced replica
        self._started: dict[tuple[str, int], _Started] = {}
        self._kept: dict[tuple[str, int], ObservedContainer] = {}
        self._waits: dict[tuple[str, int, ReadyCondition], int] = {}
        self._cleared: dict[str, list[int]] = {}  # removals of a service's duplicates
        self._previous: dict[str, int] = {}  # the last start-first replacement of a service

    def plan_service(self, service: Service) -> None:
        """Scale-down removals (highest number first), then each replica in ascending order."""
        entry = self.ctx.containers.get(service.name) or ServiceContainers()
        if is_held(self.ctx.options, service.name):  # watch: backing off, touch nothing
            self._kept.update(((service.name, n), c) for n, c in entry.by_number.items())
            return
        count = self.ctx.counts[service.name]
        timeout = self.ctx.options.stop_timeout
        extras = sorted(
            (c for n, c in entry.by_number.items() if not 1 <= n <= count),
            key=lambda c: -c.number,
        )
        for container in extras:
            stop_and_remove(
                self.plan, container, f"scale {len(entry.by_number)} → {count}", timeout
            )
        # Forced: a killed ``up``'s half-made container may be starting while we see it created.
        self._cleared[service.name] = [
            stop_and_remove(
                self.plan, container, f"duplicate of {target(container)}", timeout, force=True
            )
            for container in entry.duplicates
        ]
        for number in range(1, count + 1):
            self._replica(service, number, entry.by_number.get(number))

    def wait(
        self, name: str, number: int, condition: ReadyCondition, cause: str, always: bool = False
    ) -> int | None:
        """The WAIT_READY op of a replica (added once per condition), None when not needed."""
        key = (name, number, condition)
        if key in self._waits:
            return self._waits[key]
        where = f"container:{name}:{number}"
        started = self._started.get((name, number))
        kept = self._kept.get((name, number))
        if started is not None:
            deps, engine_id = [started.op], started.engine_id
        elif kept is not None and (always or not is_ready(kept, condition)):
            deps, engine_id = [], kept.id
        else:
            return None
        op = self.plan.add(
            OpKind.WAIT_READY,
            where,
            cause,
            deps,
            engine_id=engine_id,
            condition=condition,
            service=name,
        )
        self._waits[key] = op
        return op

    def _replica(self, service: Service, number: int, current: ObservedContainer | None) -> None:
        if current is None:
            self._create(service, number, "not found", [], "new container")
            return
        change = self._replace_cause(service, current)
        if change is not None:
            self._replaced.add(service.name)
            if self._can_start_first(service, current):
                self._start_first(service, number, current, change)
                return
            timeout = self.ctx.options.stop_timeout
            removed = stop_and_remove(self.plan, current, change.cause, timeout)
            self._create(
                service,
                number,
                change.cause,
                [removed],
                change.cause,
                change.diff,
                current.anonymous_volumes,
            )
            return
        self._kept[(service.name, number)] = current
        self._rename_if_temporary(service, number, current)
        if current.status in RUNNING:
            self._restart_if_needed(service, number, current)
            return
        if stays_completed(self.ctx.options, current):  # watch: a finished job stays finished
            return
        why = "not started" if current.status is ContainerStatus.CREATED else "stopped"
        waits = self._dependency_waits(service, service.depends_on)
        start = self.plan.add(
            OpKind.START_CONTAINER,
            f"container:{service.name}:{number}",
            why,
            waits,
            engine_id=current.id,
        )
        self._started[(service.name, number)] = _Started(start, current.id)

    def _replace_cause(self, service: Service, current: ObservedContainer) -> _Replace | None:
        options = self.ctx.options
        if current.status in _BROKEN:
            return _Replace(f"container {current.status.value}")
        if options.no_recreate:
            return None
        if options.force_recreate:
            return _Replace("forced recreate")
        if current.labels.get(lbl.CONFIG_HASH) != config_hash(service):
            # Without the config label (an older container) there is nothing to compare with.
            diff = config_changes(service, current.labels) or ()
            return _Replace(
                f"config changed: {summarize(diff)}" if diff else "config changed", diff
            )
        wanted = self.ctx.images.get(image_ref(self.ctx.project.name, service))
        # The label is empty when the image was pulled during that run: the engine's id is true.
        have = current.labels.get(lbl.IMAGE_ID) or current.image_id
        if wanted and have and wanted != have:
            return _Replace(f"image changed: {_short(have)} → {_short(wanted)}")
        for dependency in _references(service, with_links=False):
            if (dependency, 1) in self._created:
                return _Replace(f"dependency {dependency} recreated")
        lost = _lost_networks(self.ctx.project, service, current)
        if lost:
            return _Replace(f"network {lost[0]} disconnected")
        unhealthy = unhealthy_cause(options, service, current)
        return None if unhealthy is None else _Replace(unhealthy)

    def _can_start_first(self, service: Service, current: ObservedContainer) -> bool:
        """Start-first when asked, possible, and the old container is serving."""
        if not wants_start_first(service) or current.status is not ContainerStatus.RUNNING:
            return False
        blocker = start_first_blocker(service)
        if blocker is None:
            return True
        message = f"service {service.name}: start-first update is not possible ({blocker}): "
        message += "replacing stop-first"
        if message not in self.plan.warnings:
            self.plan.warn(message)
        return False

    def _start_first(
        self, service: Service, number: int, current: ObservedContainer, why: _Replace
    ) -> None:
        ctx = self.ctx
        ref = image_ref(ctx.project.name, service)
        spec = container_spec(ctx.project, service, number, ctx.images.get(ref), ctx.version)
        needs = [*self._resource_ops(service), *self._cleared.get(service.name, ())]
        if service.name in self._previous:
            needs.append(self._previous[service.name])  # one replica at a time
        step = StartFirst(
            current=current,
            spec=spec,
            digest=config_hash(service),
            cause=why.cause,
            diff=why.diff,
            needs=tuple(needs),
            waits=tuple(self._dependency_waits(service, service.depends_on)),
            condition=ready_condition(service),
            service=service.name,
            timeout=ctx.options.stop_timeout,
        )
        done = add_start_first(self.plan, step)
        self._previous[service.name] = done
        self._created[(service.name, number)] = done
        self._started[(service.name, number)] = _Started(done, None)

    def _rename_if_temporary(
        self, service: Service, number: int, current: ObservedContainer
    ) -> None:
        """A start-first update interrupted before its RENAME left a temporary name: fix it."""
        expected = container_name(self.ctx.project.name, service, number)
        if is_temporary_name(current.name, expected):
            self.plan.add(
                OpKind.RENAME_CONTAINER,
                target(current),
                f"temporary name {current.name}",
                engine_id=current.id,
                name=expected,
            )

    def _create(
        self,
        service: Service,
        number: int,
        cause: str,
        deps: list[int],
        start_cause: str,
        diff: tuple[FieldChange, ...] = (),
        anonymous: Mapping[str, str] | None = None,
    ) -> None:
        ctx, where = self.ctx, f"container:{service.name}:{number}"
        ref = image_ref(ctx.project.name, service)
        spec = container_spec(ctx.project, service, number, ctx.images.get(ref), ctx.version)
        spec = carry_anonymous_volumes(spec, anonymous or {})
        needs = [*deps, *self._resource_ops(service)]
        needs += [self._created[(d, 1)] for d in _references(service, with_links=True)
                  if (d, 1) in self._created]  # fmt: skip
        waits = self._dependency_waits(service, service.depends_on)
        create = self.plan.add(OpKind.CREATE_CONTAINER, where, cause, needs, spec=spec, diff=diff)
        self._created[(service.name, number)] = create
        start = self.plan.add(OpKind.START_CONTAINER, where, start_cause, [create, *waits])
        self._started[(service.name, number)] = _Started(start, None)

    def _resource_ops(self, service: Service) -> list[int]:
        ctx = self.ctx
        ops = [ctx.network_ops[key] for key in service.networks if key in ctx.network_ops]
        ops += [
            ctx.volume_ops[v.source]
            for v in service.volumes
            if v.type == "volume" and v.source is not None and v.source in ctx.volume_ops
        ]
        image = ctx.image_ops.get(image_ref(ctx.project.name, service))
        return ops if image is None else [image, *ops]

    def _dependency_waits(self, service: Service, depends_on: Mapping[str, object]) -> list[int]:
        """WAIT_READY ops of every selected dependency in ``depends_on`` (by its condition)."""
        waits = []
        for name in sorted(depends_on):
            if name not in self.ctx.counts:
                continue  # not selected (--no-deps) or optional and absent
            condition = CONDITIONS.get(service.depends_on[name].condition, ReadyCondition.STARTED)
            for number in range(1, self.ctx.counts[name] + 1):
                op = self.wait(name, number, condition, f"{service.name} depends on {name}")
                if op is not None:
                    waits.append(op)
        return waits

    def _restart_if_needed(self, service: Service, number: int, current: ObservedContainer) -> None:
        """RESTART a running replica after a ``restart: true`` dependency was recreated."""
        started = restart_sources(self.ctx.options, (name for name, _ in self._started))
        recreated = {
            name: dep
            for name, dep in service.depends_on.items()
            if dep.restart and (name in self._replaced or name in started)
        }
        if not recreated:
            return
        verb = "recreated" if self._replaced.issuperset(recreated) else "restarted"
        waits = self._dependency_waits(service, recreated)
        restart = self.plan.add(
            OpKind.RESTART_CONTAINER,
            f"container:{service.name}:{number}",
            f"dependency {', '.join(sorted(recreated))} {verb}",
            waits,
            engine_id=current.id,
            timeout=self.ctx.options.stop_timeout,
        )
        self._started[(service.name, number)] = _Started(restart, current.id)
