"""Start-first replacement of a running container (``deploy.update_config.order: start-first``).

The old container keeps serving until its successor is ready::

    CREATE new (temporary name <name>-new-<hash8>) → START new → WAIT new ready
      → STOP old → REMOVE old → RENAME new to <name>
    WAIT new ready ──(failed)──► REMOVE new (a rollback op: it runs only on failure)

Ready is ``healthy`` when the service has a healthcheck, else ``started``. If the new container
fails, the executor skips the STOP/REMOVE/RENAME of the chain (dependents of a failed op) and
runs the rollback op, so the old container is never touched. The new container joins the
service's networks with the service's aliases from the start (the engine protocol has no way to
change them later), so during the overlap both containers answer the service name; the final
container name stays the old container's until the RENAME.

Not possible, and replaced stop-first with a warning: a fixed published host port, a static
IP or MAC address, or a network namespace shared with the host or another container (the two
containers would claim the same address). A container that is not up is replaced stop-first
silently: nothing is serving that could be kept. Pure; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from orchestra.engine.base import ContainerSpec, ObservedContainer, ReadyCondition
from orchestra.plan.diff import FieldChange
from orchestra.plan.observed_index import target
from orchestra.plan.ops import OpKind, Plan
from orchestra.records import record
from orchestra.spec.model import Service

__all__ = [
    "StartFirst",
    "add_start_first",
    "is_temporary_name",
    "ready_condition",
    "start_first_blocker",
    "temporary_name",
    "wants_start_first",
]

_TEMPORARY = re.compile(r"-new-[0-9a-f]{8}$")


def wants_start_first(service: Service) -> bool:
    """Whether the service asks for start-first updates."""
    update = service.deploy.update_config if service.deploy is not None else None
    return update is not None and update.order == "start-first"


def start_first_blocker(service: Service) -> str | None:
    """Why two containers of ``service`` cannot run side by side; None when they can."""
    fixed = sorted({p.published for p in service.ports if p.published})
    if fixed:
        return f"it publishes fixed host port {', '.join(fixed)}"
    mode = service.network_mode or ""
    if mode == "host" or mode.startswith(("service:", "container:")):
        return f"network_mode {mode} shares one network namespace"
    for key, joined in sorted(service.networks.items()):
        if joined.ipv4_address or joined.ipv6_address or joined.mac_address:
            return f"it has a static address on network {key}"
    return None


def ready_condition(service: Service) -> ReadyCondition:
    """What the new container must reach: healthy with a healthcheck, else started."""
    check = service.healthcheck
    if check is not None and not check.disable and check.test[:1] != ("NONE",):
        return ReadyCondition.HEALTHY
    return ReadyCondition.STARTED


def temporary_name(name: str, digest: str) -> str:
    """The name of the new container until the old one is gone: ``<name>-new-<hash8>``."""
    return f"{name}-new-{digest[:8]}"


def is_temporary_name(name: str, expected: str) -> bool:
    """Whether ``name`` is a temporary start-first name of the container named ``expected``."""
    return name.startswith(expected) and bool(_TEMPORARY.fullmatch(name[len(expected) :]))


@record
class StartFirst:
    """One start-first replacement: the old container and what the new one needs."""

    current: ObservedContainer
    spec: ContainerSpec  # under its final name; created under the temporary one
    digest: str  # config hash of the desired service
    cause: str
    diff: tuple[FieldChange, ...]
    needs: tuple[int, ...]  # what CREATE waits for (resources, the previous replica, ...)
    waits: tuple[int, ...]  # what START waits for (dependencies ready)
    condition: ReadyCondition
    service: str
    timeout: float | None  # stop timeout of the old container


def _temporary_spec(spec: ContainerSpec, digest: str) -> ContainerSpec:
    """The new container's spec: a temporary name, and not the old one's name as an alias.

    The engine's DNS then answers the final name with the old container only, until the RENAME
    gives it to the new one; the service's aliases are shared from the start.
    """
    networks = tuple(
        replace(n, aliases=tuple(a for a in n.aliases if a != spec.name)) for n in spec.networks
    )
    return replace(spec, name=temporary_name(spec.name, digest), networks=networks)


def add_start_first(plan: Plan, step: StartFirst) -> int:
    """Add the chain and its rollback; return the RENAME, after which the new one is in place."""
    where, old = target(step.current), step.current
    spec = _temporary_spec(step.spec, step.digest)
    create = plan.add(
        OpKind.CREATE_CONTAINER, where, step.cause, step.needs, spec=spec, diff=step.diff
    )
    start = plan.add(
        OpKind.START_CONTAINER, where, "start-first: new container", [create, *step.waits]
    )
    ready = plan.add(
        OpKind.WAIT_READY,
        where,
        "start-first: new container ready",
        [start],
        condition=step.condition,
        service=step.service,
    )
    stop = plan.add(
        OpKind.STOP_CONTAINER,
        where,
        "start-first: replaced",
        [ready],
        engine_id=old.id,
        timeout=step.timeout,
    )
    remove = plan.add(
        OpKind.REMOVE_CONTAINER, where, "start-first: replaced", [stop], engine_id=old.id
    )
    rename = plan.add(
        OpKind.RENAME_CONTAINER, where, "start-first: take the name", [remove], name=step.spec.name
    )
    plan.add(
        OpKind.REMOVE_CONTAINER,
        where,
        "start-first: roll back",
        [ready],
        force=True,
        service=step.service,
        rollback=True,
    )
    return rename
