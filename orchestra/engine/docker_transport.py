"""How the adapter reaches the engine for short calls: raw HTTP, or the docker SDK as a fallback.

``Transport`` is the one interface ``DockerEngine`` uses for every short call (JSON in, JSON
out, errors as ``EngineHttpError``). ``open_transport`` picks the stdlib client of
``docker_http`` when DOCKER_HOST is a unix socket or plain ``tcp://``, and otherwise (TLS,
``ssh://``, a named docker context) an ``SdkTransport`` over the SDK's low-level client, which
knows those. Never imports ``docker`` at module level: only ``SdkTransport``'s users have it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from orchestra.engine.docker_http import (
    DEFAULT_HOST,
    EngineHttp,
    EngineHttpError,
    plain_address,
)

if TYPE_CHECKING:
    from docker.api import APIClient

__all__ = ["SdkTransport", "Transport", "open_transport"]

_UNVERSIONED = ("/_ping", "/version")


class Transport(Protocol):
    """Blocking Engine API calls; raise EngineHttpError for refusals."""

    api_version: str
    timeout: float
    observers: list[Callable[[str, str], None]]

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> Any:
        """The decoded JSON answer of one versioned call (None for an empty body)."""
        ...

    def call_bytes(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> bytes:
        """The raw answer body of one versioned call."""
        ...

    def close(self) -> None: ...


class RawTransport(EngineHttp):
    """``EngineHttp`` as a ``Transport``."""

    def call_bytes(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> bytes:
        return self.call_raw(method, path, params=params, body=body, timeout=timeout).body


class SdkTransport:
    """The same calls through the docker SDK's client (TLS, ssh, contexts)."""

    def __init__(self, api: APIClient) -> None:
        self.api = api
        self.api_version = str(api.api_version)
        self.timeout = float(api.timeout)
        self.observers: list[Callable[[str, str], None]] = []

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> Any:
        data = self.call_bytes(method, path, params=params, body=body, timeout=timeout)
        return json.loads(data) if data.strip() else None

    def call_bytes(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> bytes:
        for observer in self.observers:
            observer(method, path)
        prefix = "" if path in _UNVERSIONED else f"/v{self.api_version}"
        response = self.api.request(
            method,
            f"{self.api.base_url}{prefix}{path}",
            params={k: v for k, v in (params or {}).items() if v is not None},
            json=None if isinstance(body, bytes) else body,
            data=body if isinstance(body, bytes) else None,
            timeout=self.timeout if timeout is None else timeout,
        )
        if response.status_code >= 400:
            raise EngineHttpError(response.status_code, _explanation(response.content))
        return bytes(response.content)

    def close(self) -> None:
        self.api.close()


def _explanation(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    try:
        decoded = json.loads(text)
    except ValueError:
        return text
    return str(decoded.get("message", text)) if isinstance(decoded, dict) else text


def open_transport(
    pool_size: int, timeout: float, environ: Mapping[str, str] | None = None
) -> tuple[Transport, str]:
    """A connected transport with its API version pinned, and the host it talks to.

    Raises what the transport raises when no engine answers (mapped by the caller).
    """
    env = os.environ if environ is None else environ
    host = env.get("DOCKER_HOST") or DEFAULT_HOST
    address = plain_address(env)
    if address is not None:
        raw = RawTransport(address, timeout=timeout, pool_size=pool_size)
        raw.negotiate()
        return raw, host
    import docker

    client = docker.APIClient(**_sdk_kwargs(env), max_pool_size=pool_size, timeout=int(timeout))
    return SdkTransport(client), str(client.base_url)


def _sdk_kwargs(env: Mapping[str, str]) -> dict[str, Any]:
    # As docker.from_env resolves it: DOCKER_HOST and TLS first, then the current context.
    from docker.context import ContextAPI
    from docker.utils import kwargs_from_env

    params: dict[str, Any] = dict(kwargs_from_env(environment=dict(env)))
    if "base_url" not in params:
        for key, value in ContextAPI.kwargs_from_context(environment=dict(env)).items():
            params.setdefault(key, value)
    return params
