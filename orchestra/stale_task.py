"""Replace a container the engine refuses to start because its runtime kept a stale task.

Engine 20.10, after a daemon restart that cut a start short, keeps the container's containerd
task (or the shim's bundle directory); every later start of that container is refused
(``StaleTaskError``), and ``docker compose`` fails there the same way. ``plan_up`` gives the
START of every observed container the spec it would be created from (``Plan.give_fallback``);
with it, the executor removes the container (forced; its anonymous volumes are kept, and the spec
mounts them again), creates it again under the same name and starts the new one. Only this
refusal is handled so: any other start error fails the op as before.

Imports ``engine.base``, ``errors`` and ``plan.ops``; never ``docker``, ``anyio`` or ``spec``.
"""

from __future__ import annotations

from collections.abc import MutableMapping

from orchestra.engine.base import ContainerSpec, Engine
from orchestra.errors import OrchestraError
from orchestra.plan.ops import Op, OpKind

__all__ = ["REPLACING", "StaleTasks", "replaceable", "stale_warning"]

REPLACING = "the engine kept a stale task for the old container after a restart; replacing it"


def replaceable(op: Op) -> bool:
    """Whether ``op`` starts an existing container and carries the spec to recreate it from."""
    return (
        op.kind is OpKind.START_CONTAINER
        and op.engine_id is not None
        and isinstance(op.spec, ContainerSpec)
    )


def stale_warning(op: Op, name: str) -> str:
    """The warning for the user: which service's container was replaced, and why."""
    service = op.service or op.target.split(":")[1]
    return (
        f"service {service}: the engine kept a stale task for container {name} after a "
        "restart; replaced it"
    )


class StaleTasks:
    """The containers one run replaced: old id -> new id, and the warnings for the report."""

    def __init__(self) -> None:
        self.replaced: dict[str, str] = {}
        self.warnings: list[str] = []

    def current(self, container_id: str) -> str:
        """The id to act on for ``container_id``: its replacement when it was replaced."""
        return self.replaced.get(container_id, container_id)

    async def replace(self, engine: Engine, op: Op, ids: MutableMapping[str, str]) -> str:
        """Remove, create and start the container of ``op`` again; the warning to show.

        The new id goes into ``ids`` under the op's target (and later ops that name the old id
        act on the new one, through ``current``) before the start, so a failed start still
        reports what exists. Raises the engine's errors; OrchestraError when ``op`` is not
        ``replaceable``.
        """
        if not replaceable(op) or not isinstance(op.spec, ContainerSpec) or op.engine_id is None:
            raise OrchestraError(f"op #{op.id} {op.target} cannot be replaced")
        # Forced: a stale task may leave the container looking up; volumes=False keeps the
        # anonymous volumes, which the spec mounts again (as a recreate carries them over).
        await engine.remove_container(op.engine_id, force=True, volumes=False)
        new_id = await engine.create_container(op.spec)
        ids[op.target] = self.replaced[op.engine_id] = new_id
        await engine.start_container(new_id)
        warning = stale_warning(op, op.spec.name)
        self.warnings.append(warning)
        return warning
