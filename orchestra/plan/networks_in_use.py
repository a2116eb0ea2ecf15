"""``down`` leaves a network that someone else's container still uses, with a warning.

The engine refuses to remove a network with attached containers; disconnecting a container that
is not the project's would touch other people's things. So, as ``docker compose`` does ("Resource
is still in use", exit 0), the network stays: its REMOVE_NETWORK is taken out of the plan and a
warning names it and its users. A later ``up`` reuses it by name. Pure; never imports
``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Iterable

from orchestra.engine.base import ObservedContainer, ObservedNetwork
from orchestra.plan.ops import Op, OpKind, Plan

__all__ = ["spare_networks_in_use"]


def spare_networks_in_use(
    plan: Plan, networks: Iterable[ObservedNetwork], containers: Iterable[ObservedContainer]
) -> Plan:
    """``plan`` without the removals of networks that containers it does not remove are
    attached to (a warning for each); the same plan object when there is none."""
    removed = {op.engine_id for op in plan.ops if op.kind is OpKind.REMOVE_CONTAINER}
    users: dict[str, list[str]] = {}
    for container in containers:
        if container.id not in removed:
            for network in container.networks or ():
                users.setdefault(network, []).append(container.name)
    names = {network.id: network.name for network in networks}
    spared = {}
    for op in plan.ops:
        name = names.get(op.engine_id or "", "")
        if op.kind is OpKind.REMOVE_NETWORK and name in users:
            spared[op.id] = f"network {name} is still in use by {', '.join(sorted(users[name]))}"
    if not spared:
        return plan
    kept = Plan(project=plan.project, warnings=list(plan.warnings))
    for message in spared.values():
        kept.warn(f"{message}: left in place")
    renumbered: dict[int, int] = {}
    for op in plan.ops:
        if op.id not in spared:
            renumbered[op.id] = _copy(kept, op, [renumbered[d] for d in op.deps if d in renumbered])
    return kept


def _copy(plan: Plan, op: Op, deps: list[int]) -> int:
    return plan.add(
        op.kind,
        op.target,
        op.cause,
        deps,
        spec=op.spec,
        engine_id=op.engine_id,
        image=op.image,
        timeout=op.timeout,
        force=op.force,
        volumes=op.volumes,
        condition=op.condition,
        service=op.service,
        diff=op.diff,
        name=op.name,
        rollback=op.rollback,
    )
