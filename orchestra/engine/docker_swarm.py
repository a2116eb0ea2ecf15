"""``DockerSwarmEngine``: the ``SwarmEngine`` protocol on a swarm manager's Engine API.

Built on ``docker_swarm_core.SwarmCore``, itself the container adapter's ``EngineCore``: the
same raw-HTTP transport (unix socket or plain ``tcp://``; the SDK only where DOCKER_HOST needs
TLS/ssh/contexts, and for log streams), the same worker threads under the adapter's own limiter,
the same error mapping refined for swarm refusals, and the same network calls. Observing a
project is five label-filtered list calls (services, tasks, networks, secrets, configs), never
an inspect per service. The Engine API bodies come from ``docker_swarm_convert``. An image is
used by its name: nothing asks a registry for a digest (with API >= 1.30 the engine does not
either), so an image only present on the nodes works. Events: ``docker_swarm_events``; logs:
``docker_swarm_logs``. Never imports ``orchestra.spec``; only ``orchestra.engine.docker*`` may
import ``docker``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, Sequence
from contextlib import aclosing, asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

from orchestra import labels
from orchestra.engine.base import EngineEvent, LogLine
from orchestra.engine.docker_core import POOL_HEADROOM, translate_any
from orchestra.engine.docker_http import DEFAULT_HOST
from orchestra.engine.docker_observe import observed_network
from orchestra.engine.docker_swarm_core import ObjectBody, SwarmCore, filters
from orchestra.engine.docker_swarm_events import ProjectEvents, event_filters, event_query
from orchestra.engine.docker_swarm_faults import out_of_sequence
from orchestra.engine.docker_swarm_parse import (
    observed_object,
    observed_service,
    observed_task,
    task_names,
)
from orchestra.engine.docker_transport import RawTransport, Transport, open_transport
from orchestra.engine.swarm_base import (
    ObservedService,
    ObservedTask,
    SwarmObserved,
    SwarmServiceSpec,
)
from orchestra.errors import EngineError

if TYPE_CHECKING:
    import docker

    from orchestra.engine.docker_events import EventStream

__all__ = ["DockerSwarmEngine", "ObjectBody", "ServiceBody"]

ServiceBody = Callable[[SwarmServiceSpec, Mapping[str, str]], dict[str, Any]]


def _project(project: str) -> dict[str, str]:
    return filters(label=[labels.project_filter(project)])


def _task_key(task: ObservedTask) -> tuple[str, int, str, str]:
    return (task.service_id, task.slot or 0, task.node_id, task.timestamp)


class DockerSwarmEngine(SwarmCore):
    """A swarm manager. Build it with ``from_env``; close it with ``await close()``.

    Every method raises SwarmNotManagerError when the engine is not a manager,
    EngineUnavailableError when it does not answer, NotFoundError for a missing service,
    task, network, secret or config, ConflictError for a taken name or an object still in use,
    and EngineError with the engine's explanation for any other refusal.
    """

    def __init__(
        self,
        transport: Transport | docker.DockerClient,
        *,
        max_concurrency: int = 8,
        host: str = DEFAULT_HOST,
        service_body: ServiceBody | None = None,
        object_body: ObjectBody | None = None,
    ) -> None:
        super().__init__(
            transport, max_concurrency=max_concurrency, host=host, object_body=object_body
        )
        self._service_body = service_body

    @classmethod
    def from_env(
        cls,
        max_concurrency: int = 8,
        *,
        timeout: int = 120,
        service_body: ServiceBody | None = None,
        object_body: ObjectBody | None = None,
    ) -> DockerSwarmEngine:
        """Connect as the docker CLI would (DOCKER_HOST: ``unix://``, ``tcp://``, TLS, contexts).

        Raises EngineUnavailableError when no engine answers. Does not check that it is a
        manager: ``require_manager`` does.
        """
        host = os.environ.get("DOCKER_HOST") or DEFAULT_HOST
        try:
            transport, host = open_transport(max_concurrency + POOL_HEADROOM, timeout)
        except Exception as exc:
            mapped = translate_any(exc, "connect to the Docker Engine", host)
            if mapped is None:
                raise
            raise mapped from exc
        return cls(
            transport,
            max_concurrency=max_concurrency,
            host=host,
            service_body=service_body,
            object_body=object_body,
        )

    def _service_bodies(self) -> ServiceBody:
        if self._service_body is None:
            from orchestra.engine.docker_swarm_convert import service_body

            self._service_body = service_body
        return self._service_body

    async def _service_request(self, spec: SwarmServiceSpec) -> dict[str, Any]:
        """The ServiceSpec body of ``spec``: the engine wants the id of every secret and config
        a service mounts, so those are looked up by name first (one list call per kind)."""
        ids: dict[str, str] = {}
        for kind, mounts in (("secret", spec.secrets), ("config", spec.configs)):
            names = sorted({m.source for m in mounts})
            if names:
                ids |= await self._object_ids(kind, names)
        return self._service_bodies()(spec, ids)

    async def observe_swarm(self, project: str) -> SwarmObserved:
        """The project's services, tasks (also old ones, as the engine keeps them), networks,
        secrets and configs: one label-filtered list call each. Tasks are found by their
        service's labels, so a service must carry the project label itself."""
        flt = _project(project)

        def read() -> SwarmObserved:
            services = self._list("/services", flt)
            tasks = self._list("/tasks", flt)
            networks = self._list("/networks", flt)
            secrets = self._list("/secrets", flt)
            configs = self._list("/configs", flt)
            return SwarmObserved(
                services=tuple(sorted(map(observed_service, services), key=lambda s: s.name)),
                tasks=tuple(sorted(map(observed_task, tasks), key=_task_key)),
                networks=tuple(sorted(map(observed_network, networks), key=lambda n: n.name)),
                secrets=tuple(
                    sorted((observed_object("secret", r) for r in secrets), key=lambda o: o.name)
                ),
                configs=tuple(
                    sorted((observed_object("config", r) for r in configs), key=lambda o: o.name)
                ),
            )

        return await self._run(f"observe swarm project {project}", read)

    async def create_service(self, spec: SwarmServiceSpec) -> str:
        body = await self._service_request(spec)
        created = await self._call(
            f"create service {spec.name}", "POST", "/services/create", body=body, image=spec.image
        )
        return str(created["ID"])

    async def _inspect_service(self, service_id: str) -> dict[str, Any]:
        found: dict[str, Any] = await self._call(
            f"inspect service {service_id}", "GET", f"/services/{service_id}"
        )
        return found

    async def _update(
        self,
        service_id: str,
        action: str,
        make_body: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        rollback: bool = False,
    ) -> None:
        """Post an update quoting the current version; when another client updated the service
        in between ("update out of sequence"), read it again and retry once."""
        for attempt in (1, 2):
            current = await self._inspect_service(service_id)
            params: dict[str, Any] = {"version": (current.get("Version") or {}).get("Index", 0)}
            if rollback:
                params["rollback"] = "previous"
            body = make_body(dict(current.get("Spec") or {}))
            try:
                await self._call(
                    action, "POST", f"/services/{service_id}/update", params=params, body=body
                )
            except EngineError as exc:
                if attempt == 1 and out_of_sequence(exc):
                    continue
                raise
            return

    async def update_service(
        self, service_id: str, spec: SwarmServiceSpec, *, rollback: bool = False
    ) -> None:
        """Update in place to ``spec`` (Swarm rolls the tasks by its update config); with
        ``rollback`` go back to the service's previous spec instead (``spec`` names it only),
        as ``docker service rollback`` does."""
        if rollback:
            await self._update(
                service_id, f"roll back service {spec.name}", lambda current: current, rollback=True
            )
            return
        body = await self._service_request(spec)
        await self._update(service_id, f"update service {spec.name}", lambda _current: body)

    async def scale_service(self, service_id: str, replicas: int) -> None:
        """Set the desired replicas of a replicated service; the rest of its spec stays."""

        def scaled(current: dict[str, Any]) -> dict[str, Any]:
            mode = dict(current.get("Mode") or {})
            if mode and "Replicated" not in mode:
                kind = next(iter(mode))
                raise EngineError(
                    f"scale service {current.get('Name', service_id)}: it is a {kind} service; "
                    "only replicated services have a number of replicas"
                )
            return {**current, "Mode": {"Replicated": {"Replicas": replicas}}}

        await self._update(service_id, f"scale service {service_id} to {replicas}", scaled)

    async def remove_service(self, service_id: str) -> None:
        await self._call(f"remove service {service_id}", "DELETE", f"/services/{service_id}")

    async def service_tasks(self, service_id: str) -> tuple[ObservedTask, ...]:
        """The service's tasks, old ones included (as the engine keeps them)."""
        params = filters(service=[service_id])
        rows = await self._run(
            f"list tasks of service {service_id}", lambda: self._list("/tasks", params)
        )
        return tuple(sorted(map(observed_task, rows or []), key=_task_key))

    async def _project_services(self, project: str) -> list[ObservedService]:
        flt = _project(project)
        rows = await self._run(f"list services of {project}", lambda: self._list("/services", flt))
        return [observed_service(row) for row in rows or []]

    @asynccontextmanager
    async def events(self, project: str | None = None) -> AsyncIterator[AsyncIterator[EngineEvent]]:
        """Live service, node and container events; with ``project`` only that project's
        services and task containers, and every node event."""
        from orchestra.engine.docker_events import forward_events

        known = [] if project is None else [s.id for s in await self._project_services(project)]
        wanted = event_filters()
        transport = self._transport

        def open_stream() -> EventStream:
            stream: EventStream
            if isinstance(transport, RawTransport):
                stream = transport.open_lines("/events", event_query(wanted))
            else:
                stream = cast("EventStream", self._sdk_api().events(filters=wanted, decode=True))
            return stream if project is None else ProjectEvents(stream, project, known)

        stream = await self._run("open the event stream", open_stream)
        async with forward_events(stream, self._mapper("read the event stream")) as iterator:
            yield iterator

    async def service_logs(
        self, service_ids: Sequence[str], *, follow: bool = False, tail: int | None = None
    ) -> AsyncGenerator[LogLine, None]:
        """The output of the services' tasks, each line named ``<service>.<slot>``; several
        services are read at once and their lines merged as they arrive."""
        from orchestra.engine.docker_swarm_logs import (
            TaskNames,
            merged_log_lines,
            open_service_logs,
        )

        wanted = list(dict.fromkeys(service_ids))
        if not wanted:
            return
        services = await self._services_by_id(wanted)
        initial = await self._run("list tasks of the services", lambda: self._task_names(services))
        names = TaskNames(initial, lambda: self._task_names(services))
        logs = await self._run(
            "open the service logs",
            lambda: open_service_logs(self._sdk_api(), services, follow, tail),
        )
        lines = merged_log_lines(logs, names, self._mapper("read service logs"))
        async with aclosing(lines):
            async for line in lines:
                yield line

    async def _services_by_id(self, wanted: list[str]) -> dict[str, dict[str, Any]]:
        params = filters(id=wanted)
        rows = await self._run("look up services", lambda: self._list("/services", params))
        found = {str(r["ID"]): r for r in rows or [] if r["ID"] in wanted}
        # The id filter matches id prefixes only: a name (or a short id) is inspected.
        for missing in (w for w in wanted if w not in found):
            row = await self._inspect_service(missing)
            found[str(row["ID"])] = row
        return found

    def _task_names(self, services: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
        """Blocking: ``<service>.<slot>`` of every task of ``services`` (one list call)."""
        return task_names(services, self._list("/tasks", filters(service=list(services))))
