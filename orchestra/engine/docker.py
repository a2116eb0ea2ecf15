"""``DockerEngine``: the ``Engine`` protocol on a real Docker Engine.

Short calls (observe, inspect, create/start/stop/remove, networks, volumes, exec) go through a
``Transport``: by default the stdlib HTTP client of ``docker_http``, so a no-op ``up`` or a
``ps`` never imports the docker SDK. The SDK is imported lazily, only for what needs it (build,
pull, push, the events stream, logs) and as the transport where DOCKER_HOST needs TLS, ssh or a
context. Every blocking call runs in a worker thread under the adapter's own
``CapacityLimiter``; long-lived streams stay outside it so they never starve short calls.
Engine errors become orchestra errors here and nowhere else. Never imports ``orchestra.spec``;
only ``orchestra.engine.docker*`` may import ``docker``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing, asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any, cast

import anyio

from orchestra import labels
from orchestra.engine.base import (
    BuildSpec,
    ContainerSpec,
    ContainerState,
    EngineEvent,
    ExecResult,
    LogLine,
    NetworkAttachment,
    Observed,
    ObservedContainer,
    ProgressCallback,
)
from orchestra.engine.docker_convert import (
    build_create_request,
    endpoint_config,
    request_body,
)
from orchestra.engine.docker_core import (
    DEFAULT_STOP_TIMEOUT,
    POOL_HEADROOM,
    EngineCore,
    translate_any,
)
from orchestra.engine.docker_exec import run_exec
from orchestra.engine.docker_files import copy_files
from orchestra.engine.docker_http import DEFAULT_HOST, quote_ref
from orchestra.engine.docker_observe import (
    container_state,
    observed_container,
)
from orchestra.engine.docker_read import read_observed
from orchestra.engine.docker_transport import RawTransport, Transport, open_transport
from orchestra.errors import EngineError, ImageNotFoundError, NotFoundError

if TYPE_CHECKING:
    from orchestra.engine.docker_events import EventStream

__all__ = ["DockerEngine"]


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _label_filter(*wanted: str) -> dict[str, str]:
    return {"filters": json.dumps({"label": list(wanted)})}


class _Archives:
    """``put_archive`` over the transport, for ``docker_files.copy_files``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def put_archive(self, container: str, path: str, data: bytes) -> None:
        self._transport.call_bytes(
            "PUT", f"/containers/{container}/archive", params={"path": path}, body=data
        )


class DockerEngine(EngineCore):
    """The real engine. Build it with ``from_env``; close it with ``await close()``.

    Every method raises EngineUnavailableError when the engine does not answer, NotFoundError
    (ImageNotFoundError for images) for a missing resource, ConflictError for a taken name or
    port, and EngineError with the engine's explanation for any other refusal.
    """

    @classmethod
    def from_env(cls, max_concurrency: int = 8, *, timeout: int = 120) -> DockerEngine:
        """Connect as the docker CLI would (DOCKER_HOST, TLS, contexts); pins the API version.

        Raises EngineUnavailableError when no engine answers.
        """
        host = os.environ.get("DOCKER_HOST") or DEFAULT_HOST
        try:
            transport, host = open_transport(max_concurrency + POOL_HEADROOM, timeout)
        except Exception as exc:
            mapped = translate_any(exc, "connect to the Docker Engine", host)
            if mapped is None:
                raise
            raise mapped from exc
        return cls(transport, max_concurrency=max_concurrency, host=host)

    async def ping(self) -> None:
        await self._run(
            "ping the Docker Engine", lambda: self._transport.call_bytes("GET", "/_ping")
        )

    async def observe(self, project: str) -> Observed:
        # The same three list calls as the blocking reader of a no-op `up` (docker_read).
        return await self._run(
            f"observe project {project}", lambda: read_observed(self._transport, project)
        )

    async def list_projects(self) -> Mapping[str, tuple[ObservedContainer, ...]]:
        params = {"all": "1", **_label_filter(labels.PROJECT)}
        rows = await self._run("list projects", lambda: self._list("/containers/json", params))
        grouped: dict[str, list[ObservedContainer]] = {}
        for container in map(observed_container, rows):
            grouped.setdefault(container.labels.get(labels.PROJECT, ""), []).append(container)
        return {
            project: tuple(sorted(found, key=lambda c: c.name))
            for project, found in sorted(grouped.items())
        }

    async def all_containers(self) -> tuple[ObservedContainer, ...]:
        """Every container on the engine, any project or none, by name (one list call)."""
        rows = await self._run(
            "list containers", lambda: self._list("/containers/json", {"all": "1"})
        )
        return tuple(sorted(map(observed_container, rows), key=lambda c: c.name))

    async def image_id(self, ref: str) -> str | None:
        try:
            info = await self._call(
                f"inspect image {ref}", "GET", f"/images/{quote_ref(ref)}/json", image=ref
            )
        except NotFoundError:
            return None
        return str(info["Id"])

    async def _inspect(self, container_id: str) -> dict[str, Any]:
        found: dict[str, Any] = await self._call(
            f"inspect container {container_id}", "GET", f"/containers/{container_id}/json"
        )
        return found

    async def inspect_container(self, container_id: str) -> ContainerState:
        return container_state(await self._inspect(container_id))

    async def pull_image(self, ref: str, progress: ProgressCallback | None = None) -> str:
        """Pull ``ref``; ImageNotFoundError names the image and the registry's reason."""
        from orchestra.engine.docker_registry import pull_blocking

        await self._run(f"pull image {ref}", lambda: pull_blocking(self._sdk_api(), ref, progress))
        found = await self.image_id(ref)
        if found is None:
            raise ImageNotFoundError(f"pulled image {ref} but the engine does not list it")
        return found

    async def push_image(self, ref: str, progress: ProgressCallback | None = None) -> None:
        """Push ``ref`` to its registry; ImageNotFoundError when it is not present locally,
        EngineError naming the registry when that cannot be reached or refuses the push."""
        from orchestra.engine.docker_registry import push_blocking

        await self._run(f"push image {ref}", lambda: push_blocking(self._sdk_api(), ref, progress))

    async def build_image(self, spec: BuildSpec, progress: ProgressCallback | None = None) -> str:
        """Build and tag ``spec.tag``; ImageBuildError with the failing step's last output."""
        from orchestra.engine.docker_build import build_blocking

        built = await self._run(
            f"build image {spec.tag}", lambda: build_blocking(self._sdk_api(), spec, progress)
        )
        return built or (await self.image_id(spec.tag)) or ""

    async def create_container(self, spec: ContainerSpec) -> str:
        """Create ``spec`` attached to all its networks; a failed attach removes it again."""
        request = build_create_request(self._transport.api_version, spec)
        params = {"name": request.name, "platform": request.platform}
        created = await self._call(
            f"create container {spec.name}",
            "POST",
            "/containers/create",
            params=params,
            body=request_body(request.config),
            image=spec.image,
        )
        container_id = str(created["Id"])
        try:
            await copy_files(self._run, _Archives(self._transport), container_id, spec)
            for attachment in request.later_networks:
                await self._connect(spec.name, container_id, attachment, spec.links)
        except BaseException:
            # A half-attached container would look up to date to the next plan.
            with anyio.CancelScope(shield=True):
                await self._remove_quietly(container_id)
            raise
        return container_id

    async def _connect(
        self, name: str, container_id: str, attachment: NetworkAttachment, links: tuple[str, ...]
    ) -> None:
        endpoint = endpoint_config(
            self._transport.api_version, attachment, at_create=False, links=links
        )
        await self._call(
            f"connect container {name} to network {attachment.network}",
            "POST",
            f"/networks/{quote_ref(attachment.network)}/connect",
            body={"Container": container_id, "EndpointConfig": endpoint},
        )

    async def _remove_quietly(self, container_id: str) -> None:
        with suppress(EngineError):
            await self.remove_container(container_id, force=True)

    async def start_container(self, container_id: str) -> None:
        await self._call(
            f"start container {container_id}", "POST", f"/containers/{container_id}/start"
        )

    def _stop_params(self, seconds: int | None) -> dict[str, Any]:
        # The engine waits up to t seconds before it answers: the read timeout must allow it.
        timeout = self._transport.timeout + (seconds or DEFAULT_STOP_TIMEOUT)
        return {"params": {"t": seconds}, "timeout": timeout}

    async def stop_container(self, container_id: str, timeout: float | None = None) -> None:
        seconds = None if timeout is None else math.ceil(timeout)
        await self._call(
            f"stop container {container_id}",
            "POST",
            f"/containers/{container_id}/stop",
            **self._stop_params(seconds),
        )

    async def restart_container(self, container_id: str, timeout: float | None = None) -> None:
        seconds = None if timeout is None else math.ceil(timeout)
        if seconds is None:
            # Restart has no "engine default" we can rely on here: use the container's own.
            config = (await self._inspect(container_id)).get("Config") or {}
            seconds = math.ceil(config.get("StopTimeout") or DEFAULT_STOP_TIMEOUT)
        await self._call(
            f"restart container {container_id}",
            "POST",
            f"/containers/{container_id}/restart",
            **self._stop_params(seconds),
        )

    async def remove_container(
        self, container_id: str, force: bool = False, volumes: bool = False
    ) -> None:
        # v=1 removes anonymous volumes only; named volumes are never touched here.
        await self._call(
            f"remove container {container_id}",
            "DELETE",
            f"/containers/{container_id}",
            params={"v": _flag(volumes), "force": _flag(force)},
        )

    async def rename_container(self, container_id: str, new_name: str) -> None:
        await self._call(
            f"rename container {container_id} to {new_name}",
            "POST",
            f"/containers/{container_id}/rename",
            params={"name": new_name},
        )

    async def exec(
        self,
        container_id: str,
        command: tuple[str, ...],
        user: str | None = None,
        workdir: str | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> ExecResult:
        return await self._run(
            f"exec {' '.join(command)} in {container_id}",
            lambda: run_exec(self._transport, container_id, command, user, workdir, environment),
        )

    @asynccontextmanager
    async def events(self, project: str | None = None) -> AsyncIterator[AsyncIterator[EngineEvent]]:
        """Live events; with ``project`` only container events (network and volume events
        carry no labels the engine could filter on)."""
        from orchestra.engine.docker_events import LIFECYCLE_EVENTS, forward_events

        filters: dict[str, Any] = {
            "type": ["container", "network", "volume"],
            # Healthchecks run as execs: without this filter every probe sends three exec_*
            # events that wake every waiter (~35 events/s at 50 services with 1 s checks).
            "event": list(LIFECYCLE_EVENTS),
        }
        if project is not None:
            filters["label"] = [labels.project_filter(project)]
        transport = self._transport

        def open_stream() -> EventStream:
            if isinstance(transport, RawTransport):
                return transport.open_lines("/events", {"filters": json.dumps(filters)})
            return cast("EventStream", self._sdk_api().events(filters=filters, decode=True))

        stream = await self._run("open the event stream", open_stream)
        async with forward_events(stream, self._mapper("read the event stream")) as iterator:
            yield iterator

    async def logs(
        self, container_id: str, follow: bool = False, tail: int | None = None
    ) -> AsyncIterator[LogLine]:
        from orchestra.engine.docker_streams import FrameReader, open_log_response, read_log_lines

        info = await self._inspect(container_id)
        name = str(info.get("Name", container_id)).lstrip("/")
        tty = bool((info.get("Config") or {}).get("Tty"))
        response = await self._run(
            f"read logs of {name}",
            lambda: open_log_response(self._sdk_api(), container_id, follow, tail),
        )
        reader = FrameReader(response, tty)
        lines = read_log_lines(reader, name, self._stream_limiter, self._mapper(f"logs of {name}"))
        async with aclosing(lines):
            async for line in lines:
                yield line
