"""Per-replica decisions of ``plan_up`` and the readiness edges between services.

For each replica: create it, replace it (stop, remove, create, start), start it, restart it
(``depends_on.restart`` after a dependency was recreated) or leave it. START waits for every
selected dependency's replicas to be ready by the ``depends_on`` condition; a WAIT_READY follows
the START/RESTART of this plan, or stands alone (observed id, no deps) when the dependency runs
but is not yet ready, or is left out when it is ready already. Replacing the container another
service shares the network namespace or volumes of (``network_mode: service:x``,
``volumes_from``) replaces that service's containers too. Pure; never imports
``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from orchestra import labels as lbl
from orchestra.engine.base import ContainerStatus, ObservedContainer, ReadyCondition
from orchestra.hashing import config_hash
from orchestra.plan.container_spec import container_spec, image_ref
from orchestra.plan.observed_index import RUNNING, ServiceContainers, is_ready, target
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import UpOptions
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
    plan: Plan, container: ObservedContainer, cause: str, timeout: float | None
) -> int:
    """STOP (when it is up) then REMOVE an observed container; the REMOVE's op id."""
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
    return plan.add(OpKind.REMOVE_CONTAINER, target(container), cause, deps, engine_id=container.id)


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

    def plan_service(self, service: Service) -> None:
        """Scale-down removals (highest number first), then each replica in ascending order."""
        entry = self.ctx.containers.get(service.name) or ServiceContainers()
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
        for container in entry.duplicates:
            stop_and_remove(self.plan, container, f"duplicate of {target(container)}", timeout)
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
        cause = self._replace_cause(service, current)
        if cause is not None:
            removed = stop_and_remove(self.plan, current, cause, self.ctx.options.stop_timeout)
            self._replaced.add(service.name)
            self._create(service, number, cause, [removed], cause)
            return
        self._kept[(service.name, number)] = current
        if current.status in RUNNING:
            self._restart_if_needed(service, number, current)
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

    def _replace_cause(self, service: Service, current: ObservedContainer) -> str | None:
        options = self.ctx.options
        if current.status in _BROKEN:
            return f"container {current.status.value}"
        if options.no_recreate:
            return None
        if options.force_recreate:
            return "forced recreate"
        if current.labels.get(lbl.CONFIG_HASH) != config_hash(service):
            return "config changed"
        wanted = self.ctx.images.get(image_ref(self.ctx.project.name, service))
        # The label is empty when the image was pulled during that run: the engine's id is true.
        have = current.labels.get(lbl.IMAGE_ID) or current.image_id
        if wanted and have and wanted != have:
            return f"image changed: {_short(have)} → {_short(wanted)}"
        for dependency in _references(service, with_links=False):
            if (dependency, 1) in self._created:
                return f"dependency {dependency} recreated"
        return None

    def _create(
        self, service: Service, number: int, cause: str, deps: list[int], start_cause: str
    ) -> None:
        ctx, where = self.ctx, f"container:{service.name}:{number}"
        ref = image_ref(ctx.project.name, service)
        spec = container_spec(ctx.project, service, number, ctx.images.get(ref), ctx.version)
        needs = [*deps, *self._resource_ops(service)]
        needs += [self._created[(d, 1)] for d in _references(service, with_links=True)
                  if (d, 1) in self._created]  # fmt: skip
        waits = self._dependency_waits(service, service.depends_on)
        create = self.plan.add(OpKind.CREATE_CONTAINER, where, cause, needs, spec=spec)
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
        recreated = {
            name: dep
            for name, dep in service.depends_on.items()
            if dep.restart and name in self._replaced
        }
        if not recreated:
            return
        waits = self._dependency_waits(service, recreated)
        restart = self.plan.add(
            OpKind.RESTART_CONTAINER,
            f"container:{service.name}:{number}",
            f"dependency {', '.join(sorted(recreated))} recreated",
            waits,
            engine_id=current.id,
            timeout=self.ctx.options.stop_timeout,
        )
        self._started[(service.name, number)] = _Started(restart, current.id)
