"""The shared half of ``DockerEngine``: transport, worker threads, error mapping, networks, volumes.

``EngineCore`` owns the short-call ``Transport`` (raw HTTP by default), the lazily created docker
SDK client (only for builds, pulls, pushes, events and logs), the call limiter, and the network
and volume calls; ``docker.DockerEngine`` adds containers and streams on top. Never imports
``orchestra.spec``; imports ``docker`` only lazily, inside ``_sdk_api``.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio

from orchestra.engine.base import NetworkSpec, VolumeSpec
from orchestra.engine.docker_faults import http_failure
from orchestra.engine.docker_http import DEFAULT_HOST, quote_ref
from orchestra.engine.docker_network_body import network_create_body
from orchestra.engine.docker_transport import SdkTransport, Transport
from orchestra.errors import ConflictError, EngineError

if TYPE_CHECKING:
    import docker
    from docker.api import APIClient

__all__ = ["DEFAULT_STOP_TIMEOUT", "POOL_HEADROOM", "EngineCore", "translate_any"]

T = TypeVar("T")

_STREAM_SLOTS = 64  # concurrent events/log streams; they wait on the engine, not on us
POOL_HEADROOM = 8  # pooled connections kept for streams beyond the call limit
DEFAULT_STOP_TIMEOUT = 10  # the engine's own default when a container sets none


def translate_any(
    exc: BaseException, action: str, host: str, image: str | None = None
) -> EngineError | None:
    """The orchestra error for a failed call on either path, or None when not an engine one."""
    mapped = http_failure(exc, action, host, image)
    # Only the SDK raises requests' exceptions: if it was never imported, there is none.
    if mapped is None and "requests" in sys.modules:
        from orchestra.engine.docker_errors import translate

        mapped = translate(exc, action, host, image)
    return mapped


class EngineCore:
    """Transport, limiter and error mapping shared by every call; networks and volumes."""

    def __init__(
        self,
        transport: Transport | docker.DockerClient,
        *,
        max_concurrency: int = 8,
        host: str = DEFAULT_HOST,
        network_remove_patience: float = 3.0,
    ) -> None:
        self._sdk: APIClient | None = None
        if isinstance(transport, SdkTransport):
            self._sdk = transport.api
        if not hasattr(transport, "call"):
            # A docker SDK client (tests, callers with their own): every call goes through it.
            client = cast("docker.DockerClient", transport)
            self._sdk = client.api
            transport = SdkTransport(client.api)
        self._transport: Transport = cast("Transport", transport)
        self._host = host
        self._sdk_lock = threading.Lock()
        self._limiter = anyio.CapacityLimiter(max_concurrency)
        self._stream_limiter = anyio.CapacityLimiter(_STREAM_SLOTS)
        self._network_remove_patience = network_remove_patience
        self._pool_size = max_concurrency + POOL_HEADROOM

    @property
    def api_version(self) -> str:
        """The Engine API version negotiated with the engine."""
        return self._transport.api_version

    @property
    def transport(self) -> Transport:
        """The short-call transport; tests count its calls through ``observers``."""
        return self._transport

    def _sdk_api(self) -> APIClient:
        """The docker SDK's client, created on first use (importing it costs ~0.15 s)."""
        with self._sdk_lock:
            if self._sdk is None:
                import docker

                self._sdk = docker.APIClient(
                    base_url=self._host,
                    version=self._transport.api_version,
                    timeout=int(self._transport.timeout),
                    max_pool_size=self._pool_size,
                )
            return self._sdk

    async def _run(self, action: str, call: Callable[[], T], image: str | None = None) -> T:
        try:
            return await anyio.to_thread.run_sync(call, limiter=self._limiter)
        except Exception as exc:
            mapped = translate_any(exc, action, self._host, image)
            if mapped is None:
                raise
            raise mapped from exc

    async def _call(self, action: str, method: str, path: str, **kwargs: Any) -> Any:
        image = kwargs.pop("image", None)
        return await self._run(
            action, lambda: self._transport.call(method, path, **kwargs), image=image
        )

    def _mapper(self, action: str) -> Callable[[BaseException], BaseException]:
        return lambda exc: translate_any(exc, action, self._host) or exc

    def _list(self, path: str, params: Mapping[str, Any]) -> Any:
        return self._transport.call("GET", path, params=params)

    async def _find_network(self, name: str) -> str | None:
        # The engine's name filter matches substrings: compare exactly.
        params = {"filters": json.dumps({"name": [name]})}
        rows = await self._run(f"look up network {name}", lambda: self._list("/networks", params))
        exact = sorted((str(r.get("Created", "")), str(r["Id"])) for r in rows if r["Name"] == name)
        return exact[0][1] if exact else None

    async def create_network(self, spec: NetworkSpec) -> str:
        existing = await self._find_network(spec.name)
        if existing is not None:
            return existing
        try:
            created = await self._call(
                f"create network {spec.name}",
                "POST",
                "/networks/create",
                body=network_create_body(spec),
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
                await self._call(
                    f"remove network {network_id}", "DELETE", f"/networks/{network_id}"
                )
                return
            except EngineError as exc:
                if "active endpoints" not in str(exc):
                    raise
                remaining = deadline - anyio.current_time()
                if remaining <= 0:
                    name = await self._network_name(network_id)
                    raise ConflictError(
                        f"{exc} (still so after {self._network_remove_patience:g} s of "
                        f"retries; network {name} was left in place; the next up reuses it)"
                    ) from exc
            await anyio.sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)

    async def _network_name(self, network_id: str) -> str:
        """``name (id)`` for a message: the id alone tells a user little."""
        try:
            found = await self._call(
                f"inspect network {network_id}", "GET", f"/networks/{network_id}"
            )
        except EngineError:
            return network_id
        name = str((found or {}).get("Name") or "")
        return f"{name} ({network_id[:12]})" if name and name != network_id else network_id

    async def create_volume(self, spec: VolumeSpec) -> str:
        body = {"Name": spec.name, "Labels": dict(spec.labels)}
        if spec.driver is not None:
            body["Driver"] = spec.driver
        if spec.driver_opts:
            body["DriverOpts"] = dict(spec.driver_opts)
        created = await self._call(
            f"create volume {spec.name}", "POST", "/volumes/create", body=body
        )
        return str(created["Name"])

    async def remove_volume(self, name: str) -> None:
        await self._call(f"remove volume {name}", "DELETE", f"/volumes/{quote_ref(name)}")

    async def close(self) -> None:
        def close_all() -> None:
            self._transport.close()
            if self._sdk is not None:
                self._sdk.close()

        await anyio.to_thread.run_sync(close_all)
