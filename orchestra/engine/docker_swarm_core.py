"""The shared half of ``DockerSwarmEngine``: swarm error refinement, manager check, nodes,
networks, secrets and configs.

``SwarmCore`` extends the container adapter's ``EngineCore`` (transport, worker threads under
the adapter's limiter, error mapping, network calls): every call's error also goes through
``docker_swarm_faults``, and removing an overlay network waits until the swarm has let go of it.
``docker_swarm.DockerSwarmEngine`` adds services, tasks, events and logs on top. Never imports
``orchestra.spec``; imports ``docker`` only for type checking.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from orchestra.engine.docker_core import EngineCore
from orchestra.engine.docker_http import DEFAULT_HOST
from orchestra.engine.docker_swarm_faults import swarm_failure
from orchestra.engine.docker_swarm_parse import manager_problem, swarm_node
from orchestra.engine.docker_transport import Transport
from orchestra.engine.swarm_base import SwarmNode, SwarmObjectSpec
from orchestra.errors import ConflictError, EngineError, NotFoundError, SwarmNotManagerError

if TYPE_CHECKING:
    import docker

__all__ = ["ObjectBody", "SwarmCore", "filters", "kind_path"]

T = TypeVar("T")
ObjectBody = Callable[[SwarmObjectSpec], dict[str, Any]]
_KINDS = ("secret", "config")


def filters(**wanted: list[str]) -> dict[str, str]:
    """The ``filters`` query parameter of a list call."""
    return {"filters": json.dumps(wanted)}


def kind_path(kind: str) -> str:
    """``/secrets`` or ``/configs``; ValueError for anything else (a caller's bug)."""
    if kind not in _KINDS:
        raise ValueError(f"a swarm object is a secret or a config, not {kind!r}")
    return f"/{kind}s"


class SwarmCore(EngineCore):
    """Calls to a swarm manager that are not about services."""

    def __init__(
        self,
        transport: Transport | docker.DockerClient,
        *,
        max_concurrency: int = 8,
        host: str = DEFAULT_HOST,
        object_body: ObjectBody | None = None,
        network_gone_patience: float = 60.0,
    ) -> None:
        super().__init__(transport, max_concurrency=max_concurrency, host=host)
        self._object_body = object_body
        self._network_gone_patience = network_gone_patience

    async def _run(self, action: str, call: Callable[[], T], image: str | None = None) -> T:
        try:
            return await super()._run(action, call, image)
        except EngineError as exc:
            refined = swarm_failure(exc, self._host)
            if refined is exc:
                raise
            raise refined from exc

    async def ping(self) -> None:
        await self._run(
            "ping the Docker Engine", lambda: self._transport.call_bytes("GET", "/_ping")
        )

    async def require_manager(self) -> None:
        """Raise SwarmNotManagerError, saying how to get a manager, unless this is one."""
        info = await self._call("read the engine's swarm state", "GET", "/info")
        problem = manager_problem(info or {}, self._host)
        if problem is not None:
            raise SwarmNotManagerError(problem)

    async def nodes(self) -> tuple[SwarmNode, ...]:
        rows = await self._run("list swarm nodes", lambda: self._list("/nodes", {}))
        return tuple(sorted(map(swarm_node, rows or []), key=lambda n: (n.hostname, n.id)))

    async def _find_network(self, name: str) -> str | None:
        """The swarm-scoped network named ``name``; ConflictError when only a local one (say a
        bridge network of the same project run with containers) holds the name, which swarm
        services cannot use and which blocks creating the overlay network."""
        params = filters(name=[name])
        rows = await self._run(f"look up network {name}", lambda: self._list("/networks", params))
        # The engine's name filter matches substrings: compare exactly.
        exact = [r for r in rows or [] if r.get("Name") == name]
        swarm = sorted(
            (str(r.get("Created", "")), str(r["Id"])) for r in exact if r.get("Scope") == "swarm"
        )
        if swarm:
            return swarm[0][1]
        if exact:
            found = exact[0]
            raise ConflictError(
                f"create network {name}: a {found.get('Scope')}-scoped {found.get('Driver')} "
                f"network of that name already exists on {self._host}, and swarm services "
                f"cannot use it; remove it (`docker network rm {name}`, after `orchestra down` "
                "of the container stack using it) or give the swarm network another name"
            )
        return None

    async def remove_network(self, network_id: str) -> None:
        """Remove an overlay network and wait until the engine no longer lists it.

        The swarm accepts the removal at once but keeps the network (listed, and refusing a
        new one of the same name) until the tasks of removed services have stopped: a ``down``
        followed by an ``up`` would otherwise find the old network and then lose it. After
        ``network_gone_patience`` seconds the accepted removal is left to finish by itself.
        """
        await super().remove_network(network_id)
        deadline = anyio.current_time() + self._network_gone_patience
        delay = 0.1
        while anyio.current_time() < deadline:
            try:
                await self._call(f"inspect network {network_id}", "GET", f"/networks/{network_id}")
            except NotFoundError:
                return
            await anyio.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _object_bodies(self) -> ObjectBody:
        if self._object_body is None:
            from orchestra.engine.docker_swarm_convert import object_body

            self._object_body = object_body
        return self._object_body

    async def create_object(self, spec: SwarmObjectSpec) -> str:
        """Create a secret or config; one of that name already there is returned as it is
        (names carry a digest of the data, so the same name holds the same data)."""
        path = kind_path(spec.kind)
        body = self._object_bodies()(spec)
        try:
            created = await self._call(
                f"create {spec.kind} {spec.name}", "POST", f"{path}/create", body=body
            )
        except ConflictError:
            existing = (await self._object_ids(spec.kind, [spec.name])).get(spec.name)
            if existing is None:
                raise
            return existing
        return str(created["ID"])

    async def _object_ids(self, kind: str, names: list[str]) -> dict[str, str]:
        """Engine name -> id of the secrets or configs named (one list call)."""
        params = filters(name=names)
        rows = await self._run(
            f"look up {kind}s {', '.join(names)}", lambda: self._list(kind_path(kind), params)
        )
        # The engine's name filter matches prefixes: compare exactly.
        wanted = set(names)
        return {
            str(r["Spec"]["Name"]): str(r["ID"])
            for r in rows or []
            if (r.get("Spec") or {}).get("Name") in wanted
        }

    async def remove_object(self, kind: str, object_id: str) -> None:
        """Remove a secret or config; ConflictError while a service still uses it."""
        path = kind_path(kind)
        await self._call(f"remove {kind} {object_id}", "DELETE", f"{path}/{object_id}")
