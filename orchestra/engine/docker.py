"""``DockerEngine``: the ``Engine`` protocol on a real Docker Engine, through the docker SDK.

The only module tree (``orchestra.engine.docker*``) that imports ``docker``. Every blocking SDK
call runs in a worker thread under the adapter's own ``CapacityLimiter``; long-lived streams
(the event stream's reader thread, followed logs) stay outside it so they never starve short
calls. SDK errors become orchestra errors here and nowhere else. Never imports ``orchestra.spec``.
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import aclosing, asynccontextmanager, suppress
from typing import Any, TypeVar, cast

import anyio
import docker

from orchestra import labels
from orchestra.engine.base import (
    BuildSpec,
    ContainerSpec,
    ContainerState,
    EngineEvent,
    ExecResult,
    LogLine,
    NetworkAttachment,
    NetworkSpec,
    Observed,
    ObservedContainer,
    ProgressCallback,
    VolumeSpec,
)
from orchestra.engine.docker_build import build_blocking
from orchestra.engine.docker_convert import build_create_request, endpoint_kwargs, network_ipam
from orchestra.engine.docker_errors import translate
from orchestra.engine.docker_observe import (
    container_state,
    observed_container,
    observed_network,
    observed_volume,
)
from orchestra.engine.docker_registry import pull_blocking, push_blocking
from orchestra.engine.docker_streams import (
    LIFECYCLE_EVENTS,
    FrameReader,
    forward_events,
    open_log_response,
    read_log_lines,
)
from orchestra.errors import ConflictError, EngineError, ImageNotFoundError, NotFoundError

__all__ = ["DockerEngine"]

T = TypeVar("T")

_DEFAULT_HOST = "unix:///var/run/docker.sock"
_STREAM_SLOTS = 64  # concurrent events/log streams; they wait on the engine, not on us
_POOL_HEADROOM = 8  # pooled connections kept for streams beyond the call limit
_DEFAULT_STOP_TIMEOUT = 10  # the engine's own default when a container sets none


class DockerEngine:
    """The real engine. Build it with ``from_env``; close it with ``await close()``.

    Every method raises EngineUnavailableError when the engine does not answer, NotFoundError
    (ImageNotFoundError for images) for a missing resource, ConflictError for a taken name or
    port, and EngineError with the engine's explanation for any other refusal.
    """

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        max_concurrency: int = 8,
        host: str = _DEFAULT_HOST,
        network_remove_patience: float = 3.0,
    ) -> None:
        self._client = client
        self._api = client.api
        self._host = host
        self._limiter = anyio.CapacityLimiter(max_concurrency)
        self._stream_limiter = anyio.CapacityLimiter(_STREAM_SLOTS)
        self._network_remove_patience = network_remove_patience

    @classmethod
    def from_env(cls, max_concurrency: int = 8, *, timeout: int = 120) -> DockerEngine:
        """Connect as the docker CLI would (DOCKER_HOST, contexts); negotiates the API version.

        Raises EngineUnavailableError when no engine answers.
        """
        host = os.environ.get("DOCKER_HOST") or _DEFAULT_HOST
        try:
            client = docker.DockerClient.from_env(
                max_pool_size=max_concurrency + _POOL_HEADROOM, timeout=timeout
            )
        except Exception as exc:
            mapped = translate(exc, "connect to the Docker Engine", host)
            if mapped is None:
                raise
            raise mapped from exc
        return cls(client, max_concurrency=max_concurrency, host=host)

    @property
    def api_version(self) -> str:
        """The Engine API version negotiated with the engine."""
        return str(self._api.api_version)

    async def _run(self, action: str, call: Callable[[], T], image: str | None = None) -> T:
        try:
            return await anyio.to_thread.run_sync(call, limiter=self._limiter)
        except Exception as exc:
            mapped = translate(exc, action, self._host, image)
            if mapped is None:
                raise
            raise mapped from exc

    def _mapper(self, action: str) -> Callable[[BaseException], BaseException]:
        return lambda exc: translate(exc, action, self._host) or exc

    async def ping(self) -> None:
        await self._run("ping the Docker Engine", self._api.ping)

    async def observe(self, project: str) -> Observed:
        flt = {"label": [labels.project_filter(project)]}

        def read() -> Observed:
            containers = self._api.containers(all=True, filters=flt)
            networks = self._api.networks(filters=flt)
            volumes = self._api.volumes(filters=flt).get("Volumes") or []
            return Observed(
                containers=tuple(sorted(map(observed_container, containers), key=lambda c: c.name)),
                networks=tuple(sorted(map(observed_network, networks), key=lambda n: n.name)),
                volumes=tuple(sorted(map(observed_volume, volumes), key=lambda v: v.name)),
            )

        return await self._run(f"observe project {project}", read)

    async def list_projects(self) -> Mapping[str, tuple[ObservedContainer, ...]]:
        rows = await self._run(
            "list projects",
            lambda: self._api.containers(all=True, filters={"label": [labels.PROJECT]}),
        )
        grouped: dict[str, list[ObservedContainer]] = {}
        for container in map(observed_container, rows):
            grouped.setdefault(container.labels.get(labels.PROJECT, ""), []).append(container)
        return {
            project: tuple(sorted(found, key=lambda c: c.name))
            for project, found in sorted(grouped.items())
        }

    async def image_id(self, ref: str) -> str | None:
        # The stubs leave inspect_image untyped; it returns the decoded JSON object.
        inspect = cast("Callable[[str], dict[str, Any]]", self._api.inspect_image)
        try:
            info = await self._run(f"inspect image {ref}", lambda: inspect(ref))
        except NotFoundError:
            return None
        return str(info["Id"])

    async def _inspect(self, container_id: str) -> dict[str, Any]:
        return await self._run(
            f"inspect container {container_id}",
            lambda: self._api.inspect_container(container_id),
        )

    async def inspect_container(self, container_id: str) -> ContainerState:
        return container_state(await self._inspect(container_id))

    async def pull_image(self, ref: str, progress: ProgressCallback | None = None) -> str:
        """Pull ``ref``; ImageNotFoundError names the image and the registry's reason."""
        await self._run(f"pull image {ref}", lambda: pull_blocking(self._api, ref, progress))
        found = await self.image_id(ref)
        if found is None:
            raise ImageNotFoundError(f"pulled image {ref} but the engine does not list it")
        return found

    async def push_image(self, ref: str, progress: ProgressCallback | None = None) -> None:
        """Push ``ref`` to its registry; ImageNotFoundError when it is not present locally,
        EngineError naming the registry when that cannot be reached or refuses the push."""
        await self._run(f"push image {ref}", lambda: push_blocking(self._api, ref, progress))

    async def build_image(self, spec: BuildSpec, progress: ProgressCallback | None = None) -> str:
        """Build and tag ``spec.tag``; ImageBuildError with the failing step's last output."""
        built = await self._run(
            f"build image {spec.tag}", lambda: build_blocking(self._api, spec, progress)
        )
        return built or (await self.image_id(spec.tag)) or ""

    async def _find_network(self, name: str) -> str | None:
        # The engine's name filter matches substrings: compare exactly.
        rows = await self._run(f"look up network {name}", lambda: self._api.networks(names=[name]))
        exact = sorted((str(r.get("Created", "")), str(r["Id"])) for r in rows if r["Name"] == name)
        return exact[0][1] if exact else None

    async def create_network(self, spec: NetworkSpec) -> str:
        existing = await self._find_network(spec.name)
        if existing is not None:
            return existing
        ipam = network_ipam(spec)
        try:
            created = await self._run(
                f"create network {spec.name}",
                lambda: self._api.create_network(
                    spec.name,
                    driver=spec.driver,
                    options=dict(spec.driver_opts) or None,
                    ipam=ipam,
                    check_duplicate=True,
                    internal=spec.internal,
                    labels=dict(spec.labels),
                    enable_ipv6=spec.enable_ipv6,
                    attachable=spec.attachable,
                ),
            )
        except ConflictError:
            # Another client created it between our look-up and create: use theirs.
            existing = await self._find_network(spec.name)
            if existing is None:
                raise
            return existing
        return str(created["Id"])

    async def remove_network(self, network_id: str) -> None:
        """Remove a network; retries "has active endpoints", then raises ConflictError."""
        deadline = anyio.current_time() + self._network_remove_patience
        delay = 0.1
        while True:
            try:
                await self._run(
                    f"remove network {network_id}",
                    lambda: self._api.remove_network(network_id),
                )
                return
            except EngineError as exc:
                if "active endpoints" not in str(exc):
                    raise
                remaining = deadline - anyio.current_time()
                if remaining <= 0:
                    raise ConflictError(
                        f"{exc} (still so after {self._network_remove_patience:g} s of "
                        f"retries; network {network_id} was left in place)"
                    ) from exc
            await anyio.sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)

    async def create_volume(self, spec: VolumeSpec) -> str:
        created = await self._run(
            f"create volume {spec.name}",
            lambda: self._api.create_volume(
                spec.name,
                driver=spec.driver,
                driver_opts=dict(spec.driver_opts) or None,
                labels=dict(spec.labels),
            ),
        )
        return str(created["Name"])

    async def remove_volume(self, name: str) -> None:
        await self._run(f"remove volume {name}", lambda: self._api.remove_volume(name))

    async def create_container(self, spec: ContainerSpec) -> str:
        """Create ``spec`` attached to all its networks; a failed attach removes it again."""
        request = build_create_request(self._api, spec)
        # The stubs leave this untyped; it returns the decoded JSON object ({"Id": ...}).
        create = cast(
            "Callable[[dict[str, Any], str, str | None], dict[str, Any]]",
            self._api.create_container_from_config,
        )
        created = await self._run(
            f"create container {spec.name}",
            lambda: create(request.config, request.name, request.platform),
            image=spec.image,
        )
        container_id = str(created["Id"])
        try:
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
        kwargs = endpoint_kwargs(self._api, attachment, at_create=False, links=links)
        await self._run(
            f"connect container {name} to network {attachment.network}",
            lambda: self._api.connect_container_to_network(
                container_id, attachment.network, **kwargs
            ),
        )

    async def _remove_quietly(self, container_id: str) -> None:
        with suppress(EngineError):
            await self.remove_container(container_id, force=True)

    async def start_container(self, container_id: str) -> None:
        await self._run(f"start container {container_id}", lambda: self._api.start(container_id))

    async def stop_container(self, container_id: str, timeout: float | None = None) -> None:
        seconds = None if timeout is None else math.ceil(timeout)
        await self._run(
            f"stop container {container_id}",
            lambda: self._api.stop(container_id, timeout=seconds),
        )

    async def restart_container(self, container_id: str, timeout: float | None = None) -> None:
        def restart() -> None:
            seconds = timeout
            if seconds is None:
                # The SDK has no "engine default" for restart: use the container's own.
                config = self._api.inspect_container(container_id).get("Config") or {}
                seconds = config.get("StopTimeout") or _DEFAULT_STOP_TIMEOUT
            self._api.restart(container_id, timeout=math.ceil(seconds))

        await self._run(f"restart container {container_id}", restart)

    async def remove_container(
        self, container_id: str, force: bool = False, volumes: bool = False
    ) -> None:
        # v=True removes anonymous volumes only; named volumes are never touched here.
        await self._run(
            f"remove container {container_id}",
            lambda: self._api.remove_container(container_id, v=volumes, force=force),
        )

    async def rename_container(self, container_id: str, new_name: str) -> None:
        await self._run(
            f"rename container {container_id} to {new_name}",
            lambda: self._api.rename(container_id, new_name),
        )

    async def exec(
        self,
        container_id: str,
        command: tuple[str, ...],
        user: str | None = None,
        workdir: str | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> ExecResult:
        def run() -> ExecResult:
            created = self._api.exec_create(
                container_id,
                list(command),
                user=user or "",
                workdir=workdir,
                environment=dict(environment) if environment else None,
            )
            out, err = self._api.exec_start(created["Id"], demux=True)
            code = self._api.exec_inspect(created["Id"]).get("ExitCode")
            return ExecResult(
                exit_code=-1 if code is None else int(code),
                stdout=(out or b"").decode("utf-8", "replace"),
                stderr=(err or b"").decode("utf-8", "replace"),
            )

        return await self._run(f"exec {' '.join(command)} in {container_id}", run)

    @asynccontextmanager
    async def events(self, project: str | None = None) -> AsyncIterator[AsyncIterator[EngineEvent]]:
        """Live events; with ``project`` only container events (network and volume events
        carry no labels the engine could filter on)."""
        filters: dict[str, Any] = {
            "type": ["container", "network", "volume"],
            # Healthchecks run as execs: without this filter every probe sends three exec_*
            # events that wake every waiter (~35 events/s at 50 services with 1 s checks).
            "event": list(LIFECYCLE_EVENTS),
        }
        if project is not None:
            filters["label"] = [labels.project_filter(project)]
        stream = await self._run(
            "open the event stream", lambda: self._api.events(filters=filters, decode=True)
        )
        async with forward_events(stream, self._mapper("read the event stream")) as iterator:
            yield iterator

    async def logs(
        self, container_id: str, follow: bool = False, tail: int | None = None
    ) -> AsyncIterator[LogLine]:
        info = await self._inspect(container_id)
        name = str(info.get("Name", container_id)).lstrip("/")
        tty = bool((info.get("Config") or {}).get("Tty"))
        response = await self._run(
            f"read logs of {name}", lambda: open_log_response(self._api, container_id, follow, tail)
        )
        reader = FrameReader(response, tty)
        lines = read_log_lines(reader, name, self._stream_limiter, self._mapper(f"logs of {name}"))
        async with aclosing(lines):
            async for line in lines:
                yield line

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self._client.close)
