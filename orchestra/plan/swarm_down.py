"""``plan_swarm_down``: remove a project's services, then its networks, secrets and configs.

Everything is found by the project label. Services go first, all at once (Swarm stops their
tasks itself); networks, secrets and configs after every service (the engine refuses to remove
an object a service still refers to). With the files, services they no longer define are
orphans: kept with a warning unless ``remove_orphans``, and then the networks and objects stay
too, since the orphans may use them. Volumes only with ``-v``: a swarm's volumes live on the
nodes, so only the project's labelled volumes the manager itself holds are removed (``volumes``
is the manager's list); external ones are never labelled and never removed.

Pure and deterministic; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from orchestra import labels as lbl
from orchestra.engine.base import ObservedVolume
from orchestra.engine.swarm_base import SwarmObserved
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import DownOptions

__all__ = ["plan_swarm_down"]


def plan_swarm_down(
    project: str,
    observed: SwarmObserved,
    defined: Collection[str] | None,
    options: DownOptions = DownOptions(),  # noqa: B008 - frozen, so a shared default is safe
    volumes: Sequence[ObservedVolume] = (),
) -> Plan:
    """The plan that removes ``project`` from the swarm; ``defined`` is None without files."""
    plan = Plan(project=project)
    removed: list[int] = []
    orphans: list[str] = []
    for service in sorted(observed.services, key=lambda s: s.name):
        key = service.service or service.name
        if defined is not None and key not in defined and not options.remove_orphans:
            orphans.append(service.name)
            continue
        cause = "orphaned" if defined is not None and key not in defined else "down"
        removed.append(
            plan.add(
                OpKind.REMOVE_SERVICE,
                f"service:{key}",
                cause,
                engine_id=service.id,
                service=key,
            )
        )
    if orphans:
        plan.warn(
            f"orphan services kept ({', '.join(orphans)}), and with them the project's networks, "
            "secrets and configs; down --remove-orphans removes them"
        )
        return plan
    for network in sorted(observed.networks, key=lambda n: n.name):
        key = network.labels.get(lbl.NETWORK) or network.name
        plan.add(OpKind.REMOVE_NETWORK, f"network:{key}", "down", removed, engine_id=network.id)
    for obj in sorted((*observed.secrets, *observed.configs), key=lambda o: (o.kind, o.name)):
        kind = OpKind.REMOVE_SECRET if obj.kind == "secret" else OpKind.REMOVE_CONFIG
        plan.add(kind, f"{obj.kind}:{obj.name}", "down", removed, engine_id=obj.id)
    if options.volumes:
        for volume in sorted(volumes, key=lambda v: v.name):
            key = volume.labels.get(lbl.VOLUME) or volume.name
            plan.add(
                OpKind.REMOVE_VOLUME, f"volume:{key}", "down -v", removed, engine_id=volume.name
            )
    return plan
