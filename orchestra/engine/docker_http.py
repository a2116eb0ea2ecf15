"""A small blocking HTTP/1.1 client for the Docker Engine API on the standard library.

Talks JSON over the engine's unix socket or a plain ``tcp://`` address, keeps a pool of
keep-alive connections (one per concurrent caller, reused across calls), and pins the API
version after one ``/_ping``. This is what keeps the docker SDK (and ``requests``) off the hot
path: importing them costs more than a whole no-op ``up``'s engine calls. Addresses it cannot
serve (TLS, ``ssh://``, named contexts) are reported by ``plain_address`` as None, and the
adapter then uses the SDK instead.

Raises ``EngineHttpError`` for an engine refusal (status >= 400) and ``EngineConnectError`` when
no connection can be made; ``docker_faults`` maps both. Imports only the standard library.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

__all__ = [
    "DEFAULT_HOST",
    "EngineConnectError",
    "EngineHttp",
    "EngineHttpError",
    "JsonLines",
    "PlainAddress",
    "plain_address",
    "quote_ref",
]

DEFAULT_HOST = "unix:///var/run/docker.sock"
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class EngineHttpError(Exception):
    """The engine answered with an error status; ``explanation`` is its own message."""

    def __init__(self, status: int, explanation: str) -> None:
        super().__init__(f"{status}: {explanation}")
        self.status = status
        self.explanation = explanation


class EngineConnectError(ConnectionError):
    """No connection to the engine could be made (missing socket, refused, unreachable)."""


@dataclass(frozen=True)
class PlainAddress:
    """Where a plain-HTTP engine listens: a unix socket path, or a TCP host and port."""

    socket_path: str | None = None
    host: str = ""
    port: int = 0


def plain_address(environ: Mapping[str, str]) -> PlainAddress | None:
    """The engine address from DOCKER_HOST, or None when only the SDK can reach it.

    None for TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), ``ssh://``, ``npipe://`` and the like,
    and for a docker context other than the default (the SDK resolves contexts).
    """
    if environ.get("DOCKER_TLS_VERIFY") or environ.get("DOCKER_CERT_PATH"):
        return None
    host = environ.get("DOCKER_HOST") or ""
    if not host:
        if _named_context(environ):
            return None
        host = DEFAULT_HOST
    parts = urlsplit(host)
    if parts.scheme == "unix":
        return PlainAddress(socket_path=parts.path or "/var/run/docker.sock")
    if parts.scheme in ("tcp", "http") and parts.hostname:
        return PlainAddress(host=parts.hostname, port=parts.port or 2375)
    return None


def _named_context(environ: Mapping[str, str]) -> bool:
    context = environ.get("DOCKER_CONTEXT")
    if context is None:
        config_dir = environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
        try:
            config = json.loads((Path(config_dir) / "config.json").read_text())
        except (OSError, ValueError):
            return False
        context = config.get("currentContext") if isinstance(config, dict) else None
    return bool(context) and context != "default"


def quote_ref(value: str) -> str:
    """A path segment: ids and names as they are, image refs keep ``/`` and ``:``."""
    return quote(value, safe="/:")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class EngineHttp:
    """Blocking, thread-safe Engine API calls over pooled keep-alive connections."""

    def __init__(self, address: PlainAddress, *, timeout: float = 120.0, pool_size: int = 16):
        self.address = address
        self.timeout = timeout
        self.api_version = ""
        self._pool_size = pool_size
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        # Called with (method, path) before each request: lets tests count engine calls.
        self.observers: list[Callable[[str, str], None]] = []

    def negotiate(self) -> str:
        """Pin the API version the engine speaks (one ``/_ping``) and return it."""
        response = self._send("GET", "/_ping", None, self.timeout)
        version = response.headers.get("Api-Version")
        if not version:
            version = str(self._send("GET", "/version", None, self.timeout).json()["ApiVersion"])
        self.api_version = version
        return version

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> Any:
        """One versioned API call; the decoded JSON answer (None when the body is empty)."""
        return self.call_raw(method, path, params=params, body=body, timeout=timeout).json()

    def call_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> _Answer:
        """One versioned API call; the answer's status, headers and raw body."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = f"/v{self.api_version}{path}" + (f"?{urlencode(query, doseq=True)}" if query else "")
        return self._send(method, url, body, self.timeout if timeout is None else timeout)

    def _send(self, method: str, url: str, body: Any, timeout: float) -> _Answer:
        for observer in self.observers:
            observer(method, url.partition("?")[0])
        payload, headers = _payload(body)
        while True:
            connection, reused = self._acquire(timeout)
            try:
                connection.request(method, url, body=payload, headers=headers)
                response = connection.getresponse()
                answer = _Answer(response.status, response.headers, response.read())
            except _STALE:
                connection.close()
                if reused:
                    continue  # the engine closed an idle connection: retry once on a new one
                raise
            except BaseException:
                connection.close()
                raise
            self._release(connection, response.will_close)
            if answer.status >= 400:
                raise EngineHttpError(answer.status, answer.explanation())
            return answer

    def open_lines(self, path: str, params: Mapping[str, Any] | None = None) -> JsonLines:
        """A long-lived GET on a connection of its own (no read timeout), read as JSON lines."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = f"/v{self.api_version}{path}" + (f"?{urlencode(query, doseq=True)}" if query else "")
        for observer in self.observers:
            observer("GET", url.partition("?")[0])
        connection = self._connect(None)
        try:
            connection.request("GET", url)
            response = connection.getresponse()
            if response.status >= 400:
                answer = _Answer(response.status, response.headers, response.read())
                raise EngineHttpError(answer.status, answer.explanation())
        except BaseException:
            connection.close()
            raise
        return JsonLines(connection, response)

    def _acquire(self, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        reused = connection is not None
        if connection is None:
            connection = self._connect(timeout)
        elif connection.sock is not None:
            connection.sock.settimeout(timeout)
        connection.timeout = timeout
        return connection, reused

    def _connect(self, timeout: float | None) -> http.client.HTTPConnection:
        address = self.address
        connection: http.client.HTTPConnection
        if address.socket_path is not None:
            connection = _UnixConnection(address.socket_path, timeout)
        else:
            connection = http.client.HTTPConnection(address.host, address.port, timeout=timeout)
        try:
            connection.connect()
        except OSError as exc:
            connection.close()
            raise EngineConnectError(str(exc) or type(exc).__name__) from exc
        return connection

    def _release(self, connection: http.client.HTTPConnection, will_close: bool) -> None:
        if not will_close:
            with self._lock:
                if len(self._idle) < self._pool_size:
                    self._idle.append(connection)
                    return
        connection.close()

    def close(self) -> None:
        """Close every idle connection (calls still running close theirs when done)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


class JsonLines:
    """An open streaming answer read as one JSON document per line; ``close`` from any thread
    ends a read blocked in another (the socket is shut down)."""

    def __init__(
        self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse
    ) -> None:
        self._connection = connection
        self._response = response

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            line = self._response.readline()
            if not line:
                return
            if line.strip():
                yield json.loads(line)

    def close(self) -> None:
        sock = self._connection.sock
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._connection.close()


def _payload(body: Any) -> tuple[bytes | None, dict[str, str]]:
    # Bytes go as they are (a tar archive); anything else as JSON.
    if body is None:
        return None, {}
    if isinstance(body, bytes):
        return body, {"Content-Type": "application/x-tar"}
    return json.dumps(body).encode(), {"Content-Type": "application/json"}


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None

    def explanation(self) -> str:
        """The engine's message: ``{"message": ...}``, else the body's text."""
        text = self.body.decode("utf-8", "replace").strip()
        try:
            decoded = json.loads(text)
        except ValueError:
            return text or http.client.responses.get(self.status, str(self.status))
        if isinstance(decoded, dict) and "message" in decoded:
            return str(decoded["message"]).strip()
        return text
