"""``plan_swarm_up``: what ``up --target swarm`` changes, as a plan of service-level ops.

Rules (issue 8): networks, secrets and configs are created first; a service whose dependencies
are created in the same run is created at 0 replicas and scaled to its replicas once every
dependency's tasks run (healthy, where they have a healthcheck: Swarm reports a task with a
healthcheck as "starting" until it is healthy), since Swarm itself has no ``depends_on``. An
existing service whose config hash differs is updated in place (Swarm rolls its tasks and rolls
back per ``update_config``); one whose replicas alone differ is scaled; an unchanged one gets no
op, so a no-op ``up`` plans nothing. A secret or config whose data changed has a new versioned
name: the updated services switch to it, and versions of the project no service uses any more
are removed once those updates have converged (a rolled-back update still finds the old one).

Op kinds (``plan.ops``, JSON schema version 1): ``create_service``/``update_service`` carry the
SwarmServiceSpec, ``scale_service`` too (its ``replicas`` is the target), ``remove_service`` the
engine id, ``wait_service`` a ``condition`` and ``service``; ``create_secret``/``create_config``
carry the SwarmObjectSpec (its ``data`` masked when printed: ``plan.swarm_mask``); networks use
``create_network``. Targets: ``service:<name>``, ``network:<key>``, ``secret:<key>`` (old versions
``secret:<engine name>``), ``config:...``.

Pure and deterministic: the desired specs (``plan.swarm_desired``) and the observed snapshot
are passed in. Imports ``plan.ops``, ``plan.options``, ``labels`` and ``engine`` types only;
never ``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from orchestra import labels as lbl
from orchestra.engine.base import NetworkSpec, ReadyCondition
from orchestra.engine.swarm_base import (
    ObservedService,
    ObservedSwarmObject,
    SwarmObjectSpec,
    SwarmObserved,
    SwarmServiceSpec,
)
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import UpOptions

__all__ = ["SwarmDesired", "plan_swarm_up", "service_target"]

_CONDITIONS: Mapping[str, ReadyCondition] = MappingProxyType(
    {
        "service_started": ReadyCondition.STARTED,
        "service_healthy": ReadyCondition.HEALTHY,
        "service_completed_successfully": ReadyCondition.COMPLETED,
    }
)
_STRENGTH = (ReadyCondition.STARTED, ReadyCondition.HEALTHY, ReadyCondition.COMPLETED)


def _no_depends() -> Mapping[str, Mapping[str, str]]:
    return MappingProxyType({})


@dataclass(frozen=True)
class SwarmDesired:
    """What the files ask of the swarm, already mapped to engine-neutral specs.

    ``services`` holds the selected services by compose name and ``order`` them in start order;
    ``depends`` maps a service to its dependencies and their ``depends_on`` conditions;
    ``defined`` is every service of the files (a service outside it is an orphan); networks by
    compose key, objects by ``secret:<key>`` / ``config:<key>`` (external ones left out).
    """

    services: Mapping[str, SwarmServiceSpec]
    order: tuple[str, ...]
    networks: Mapping[str, NetworkSpec]
    objects: Mapping[str, SwarmObjectSpec]
    depends: Mapping[str, Mapping[str, str]] = field(default_factory=_no_depends)
    defined: frozenset[str] = frozenset()


def service_target(name: str) -> str:
    """The plan target of a compose service on Swarm."""
    return f"service:{name}"


def plan_swarm_up(
    project: str,
    desired: SwarmDesired,
    observed: SwarmObserved,
    options: UpOptions = UpOptions(),  # noqa: B008 - frozen, so a shared default is safe
) -> Plan:
    """The plan that makes the swarm hold ``desired`` (see the module docstring for the rules)."""
    plan = Plan(project=project)
    base = _networks(plan, desired, observed) + _objects(plan, desired, observed)
    by_service = {s.service: s for s in observed.services if s.service}
    conditions = _waited(desired, options)
    old = _old(desired, observed)
    seen: dict[str, tuple[ObservedService | None, int | None]] = {}
    waits: dict[str, int] = {}

    def wait_for(name: str) -> int:
        if name not in waits:
            have, op = seen[name]
            condition = conditions.get(name, ReadyCondition.HEALTHY)
            waits[name] = _wait(plan, name, have, op, condition)
        return waits[name]

    updated: list[int] = []
    last: list[int] = []
    for name in desired.order:
        spec, have = desired.services[name], by_service.get(name)
        deps = sorted(d for d in desired.depends.get(name, {}) if d in desired.services)
        dep_waits = [wait_for(d) for d in deps] if _changes(spec, have) else []
        op = _converge(plan, name, spec, have, base, dep_waits, deps)
        seen[name] = (have, op)
        if op is not None:
            last.append(op)
        if options.wait or (old and op is not None and _is_update(plan, op)):
            updated.append(wait_for(name))
    kept, removed = _orphans(plan, desired, observed, options, by_service)
    _old_objects(plan, old, kept, [*base, *last, *updated, *removed])
    return plan


def _changes(spec: SwarmServiceSpec, have: ObservedService | None) -> bool:
    """Whether ``_converge`` plans an op for this service (then its dependencies are waited)."""
    if have is None or have.mode != spec.mode:
        return True
    if have.labels.get(lbl.CONFIG_HASH) != spec.labels.get(lbl.CONFIG_HASH):
        return True
    return spec.mode == "replicated" and have.replicas != spec.replicas


def _waited(desired: SwarmDesired, options: UpOptions) -> dict[str, ReadyCondition]:
    """Services some op waits for, with the strongest condition asked of each."""
    waited: dict[str, ReadyCondition] = {}
    if options.wait:
        waited = dict.fromkeys(desired.services, ReadyCondition.HEALTHY)
    for name in desired.services:
        for dep, condition in desired.depends.get(name, {}).items():
            if dep not in desired.services:
                continue
            wanted = _CONDITIONS.get(condition, ReadyCondition.STARTED)
            now = waited.get(dep, ReadyCondition.STARTED)
            waited[dep] = max(now, wanted, key=_STRENGTH.index)
    return waited


def _is_update(plan: Plan, op_id: int) -> bool:
    return plan.op(op_id).kind is OpKind.UPDATE_SERVICE


def _networks(plan: Plan, desired: SwarmDesired, observed: SwarmObserved) -> list[int]:
    present = {n.name for n in observed.networks}
    return [
        plan.add(OpKind.CREATE_NETWORK, f"network:{key}", "not found", spec=spec)
        for key, spec in sorted(desired.networks.items())
        if spec.name not in present
    ]


def _objects(plan: Plan, desired: SwarmDesired, observed: SwarmObserved) -> list[int]:
    present = {(o.kind, o.name) for o in (*observed.secrets, *observed.configs)}
    ops = []
    for key, spec in sorted(desired.objects.items()):
        if (spec.kind, spec.name) in present:
            continue
        kind = OpKind.CREATE_SECRET if spec.kind == "secret" else OpKind.CREATE_CONFIG
        versions = [o for o in (*observed.secrets, *observed.configs) if _same_key(o, spec)]
        cause = f"data changed: new version {spec.name}" if versions else "not found"
        ops.append(plan.add(kind, key, cause, spec=spec))
    return ops


def _same_key(have: object, spec: SwarmObjectSpec) -> bool:
    name = getattr(have, "name", "")
    stem = spec.name.rpartition("-")[0]
    return getattr(have, "kind", "") == spec.kind and bool(stem) and name.startswith(stem + "-")


def _converge(
    plan: Plan,
    name: str,
    spec: SwarmServiceSpec,
    have: ObservedService | None,
    base: list[int],
    dep_waits: list[int],
    deps: list[str],
) -> int | None:
    """The ops that bring one service to ``spec``; the id of the last one (None: no change)."""
    target = service_target(name)
    if have is not None and have.mode != spec.mode:
        cause = f"mode {have.mode} -> {spec.mode}: Swarm cannot change it in place"
        removed = plan.add(OpKind.REMOVE_SERVICE, target, cause, engine_id=have.id, service=name)
        return _create(plan, name, spec, [*base, removed], dep_waits, deps)
    if have is None:
        return _create(plan, name, spec, base, dep_waits, deps)
    if have.labels.get(lbl.CONFIG_HASH) != spec.labels.get(lbl.CONFIG_HASH):
        cause = "config changed"
        if spec.mode == "replicated" and have.replicas != spec.replicas:
            cause += f", replicas {have.replicas} -> {spec.replicas}"
        return plan.add(
            OpKind.UPDATE_SERVICE,
            target,
            cause + _after(deps),
            [*base, *dep_waits],
            spec=spec,
            engine_id=have.id,
            service=name,
        )
    if spec.mode == "replicated" and have.replicas != spec.replicas:
        cause = f"replicas {have.replicas} -> {spec.replicas}{_after(deps)}"
        return plan.add(
            OpKind.SCALE_SERVICE,
            target,
            cause,
            [*base, *dep_waits],
            spec=spec,
            engine_id=have.id,
            service=name,
        )
    return None


def _after(deps: list[str]) -> str:
    return f", after {', '.join(deps)}" if deps else ""


def _create(
    plan: Plan,
    name: str,
    spec: SwarmServiceSpec,
    base: list[int],
    dep_waits: list[int],
    deps: list[str],
) -> int:
    target = service_target(name)
    if not dep_waits:
        return plan.add(OpKind.CREATE_SERVICE, target, "not found", base, spec=spec, service=name)
    if spec.mode != "replicated":
        cause = f"not found; created once {', '.join(deps)} ready (global: no 0 replicas)"
        return plan.add(
            OpKind.CREATE_SERVICE, target, cause, [*base, *dep_waits], spec=spec, service=name
        )
    held = replace(spec, replicas=0)
    cause = f"not found; held at 0 replicas until {', '.join(deps)} ready"
    created = plan.add(OpKind.CREATE_SERVICE, target, cause, base, spec=held, service=name)
    cause = f"replicas 0 -> {spec.replicas}: {', '.join(deps)} ready"
    return plan.add(
        OpKind.SCALE_SERVICE, target, cause, [created, *dep_waits], spec=spec, service=name
    )


def _wait(
    plan: Plan, name: str, have: ObservedService | None, op: int | None, condition: ReadyCondition
) -> int:
    engine_id = have.id if have is not None and (op is None or _reuses(plan, op)) else None
    cause = "converged" if op is not None else "already there"
    return plan.add(
        OpKind.WAIT_SERVICE,
        service_target(name),
        cause,
        () if op is None else (op,),
        engine_id=engine_id,
        condition=condition,
        service=name,
    )


def _reuses(plan: Plan, op_id: int) -> bool:
    """Whether the service keeps its id through ``op_id`` (no remove and create)."""
    target = plan.op(op_id).target
    return not any(
        plan.op(dep).kind is OpKind.CREATE_SERVICE and plan.op(dep).target == target
        for dep in (op_id, *plan.ancestors(op_id))
    )


def _orphans(
    plan: Plan,
    desired: SwarmDesired,
    observed: SwarmObserved,
    options: UpOptions,
    by_service: Mapping[str, ObservedService],
) -> tuple[bool, list[int]]:
    """Remove (or warn about) services the files no longer define: whether some are kept (or
    outside the selection), and the removals."""
    kept = False
    removed: list[int] = []
    for service in sorted(observed.services, key=lambda s: s.name):
        name = service.service
        if name in desired.services or (name is not None and name in desired.defined):
            continue
        label = name or service.name
        if options.remove_orphans:
            op = plan.add(
                OpKind.REMOVE_SERVICE,
                service_target(label),
                "orphaned",
                engine_id=service.id,
                service=label,
            )
            removed.append(op)
        else:
            kept = True
            plan.warn(
                f"service {service.name} is not in the Compose files (an orphan); "
                "up --remove-orphans removes it"
            )
    unselected = any(
        name in desired.defined and name not in desired.services for name in by_service
    )
    return kept or unselected, removed


def _old(desired: SwarmDesired, observed: SwarmObserved) -> list[ObservedSwarmObject]:
    """The project's secrets and configs that no desired service uses."""
    wanted = {(o.kind, o.name) for o in desired.objects.values()}
    found = (*observed.secrets, *observed.configs)
    return sorted(
        (o for o in found if (o.kind, o.name) not in wanted), key=lambda o: (o.kind, o.name)
    )


def _old_objects(
    plan: Plan, old: list[ObservedSwarmObject], kept: bool, after: Iterable[int]
) -> None:
    """Remove old versions, after the services that used them moved on (and converged)."""
    if not old:
        return
    if kept:
        names = ", ".join(o.name for o in old)
        plan.warn(f"kept {names}: services outside this run may still use them")
        return
    deps = sorted(set(after))
    for obj in old:
        kind = OpKind.REMOVE_SECRET if obj.kind == "secret" else OpKind.REMOVE_CONFIG
        plan.add(kind, f"{obj.kind}:{obj.name}", "no longer used", deps, engine_id=obj.id)
