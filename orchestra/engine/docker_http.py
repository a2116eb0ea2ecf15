"""A small blocking HTTP/1.1 client for the Docker Engine API on the standard library.

Talks JSON over the engine's unix socket or a plain ``tcp://`` address, keeps a pool of
keep-alive connections (one per concurrent caller, reused across calls), and pins the API
version after one ``/_ping``. This is what keeps the docker SDK (and ``requests``) off the hot
path: importing them costs more than a whole no-op ``up``'s engine calls. The wire format is
``docker_wire`` (not ``http.client``, for the same reason). Addresses it cannot serve (TLS,
``ssh://``, named contexts) are reported by ``plain_address`` as None, and the adapter then uses
the SDK instead.

Raises ``EngineHttpError`` for an engine refusal (status >= 400), ``EngineConnectError`` when
no connection can be made, and ``ConnectionError``s (``docker_wire``'s among them) when the
engine goes away mid-call; ``docker_faults`` maps them all. Imports only the standard library
and ``docker_wire``.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode, urlsplit

from orchestra.engine.docker_wire import Head, iter_body, read_body, read_head, write_request

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
# What sending on, or reading from, a keep-alive connection the engine already closed raises
# (docker_wire.EngineDisconnected is a ConnectionResetError).
_STALE = (BrokenPipeError, ConnectionResetError)


class EngineHttpError(Exception):
    """The engine answered with an error status; ``explanation`` is its own message."""

    def __init__(self, status: int, explanation: str) -> None:
        super().__init__(f"{status}: {explanation}")
        self.status = status
        self.explanation = explanation


class EngineConnectError(ConnectionError):
    """No connection to the engine could be made (missing socket, refused, unreachable)."""


class PlainAddress(NamedTuple):
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


class _Connection:
    """One keep-alive connection to the engine: its socket and a buffered reader on it."""

    __slots__ = ("reader", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")

    def settimeout(self, timeout: float | None) -> None:
        self.sock.settimeout(timeout)

    def exchange(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Head:
        """Send a request and read the head of its answer."""
        write_request(self.sock, method, url, headers, body)
        return read_head(self.reader, method)

    def close(self) -> None:
        with suppress(OSError):
            self.reader.close()
        self.sock.close()


def _open_socket(address: PlainAddress, timeout: float | None) -> socket.socket:
    if address.socket_path is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address.socket_path)
        except BaseException:
            sock.close()
            raise
        return sock
    sock = socket.create_connection((address.host, address.port), timeout)
    # Small requests and answers: Nagle's delay would only add latency.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class EngineHttp:
    """Blocking, thread-safe Engine API calls over pooled keep-alive connections."""

    def __init__(self, address: PlainAddress, *, timeout: float = 120.0, pool_size: int = 16):
        self.address = address
        self.timeout = timeout
        self.api_version = ""
        self._pool_size = pool_size
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        # Called with (method, path) before each request: lets tests count engine calls.
        self.observers: list[Callable[[str, str], None]] = []

    def negotiate(self) -> str:
        """Pin the API version the engine speaks (one ``/_ping``) and return it."""
        response = self._send("GET", "/_ping", None, self.timeout)
        version = response.headers.get("api-version")
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
                head = connection.exchange(method, url, headers, payload)
                answer = _Answer(head, read_body(connection.reader, head, method))
            except _STALE:
                connection.close()
                if reused:
                    continue  # the engine closed an idle connection: retry once on a new one
                raise
            except BaseException:
                connection.close()
                raise
            self._release(connection, head.will_close)
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
            head = connection.exchange("GET", url, {}, None)
            if head.status >= 400:
                answer = _Answer(head, read_body(connection.reader, head, "GET"))
                raise EngineHttpError(answer.status, answer.explanation())
        except BaseException:
            connection.close()
            raise
        return JsonLines(connection, head)

    def _acquire(self, timeout: float) -> tuple[_Connection, bool]:
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            return self._connect(timeout), False
        connection.settimeout(timeout)
        return connection, True

    def _connect(self, timeout: float | None) -> _Connection:
        try:
            return _Connection(_open_socket(self.address, timeout))
        except OSError as exc:
            raise EngineConnectError(str(exc) or type(exc).__name__) from exc

    def _release(self, connection: _Connection, will_close: bool) -> None:
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

    def __init__(self, connection: _Connection, head: Head) -> None:
        self._connection = connection
        self._head = head

    def __iter__(self) -> Iterator[dict[str, Any]]:
        pending = b""
        for data in iter_body(self._connection.reader, self._head, "GET"):
            *lines, pending = (pending + data).split(b"\n")
            for line in lines:
                if line.strip():
                    yield json.loads(line)
        if pending.strip():
            yield json.loads(pending)

    def close(self) -> None:
        with suppress(OSError):
            self._connection.sock.shutdown(socket.SHUT_RDWR)
        self._connection.close()


def _payload(body: Any) -> tuple[bytes | None, dict[str, str]]:
    # Bytes go as they are (a tar archive); anything else as JSON.
    if body is None:
        return None, {}
    if isinstance(body, bytes):
        return body, {"Content-Type": "application/x-tar"}
    return json.dumps(body).encode(), {"Content-Type": "application/json"}


class _Answer:
    """A whole answer: its status, headers (lower-cased names) and body."""

    __slots__ = ("body", "head")

    def __init__(self, head: Head, body: bytes) -> None:
        self.head = head
        self.body = body

    @property
    def status(self) -> int:
        return self.head.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self.head.headers

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None

    def explanation(self) -> str:
        """The engine's message: ``{"message": ...}``, else the body's text."""
        text = self.body.decode("utf-8", "replace").strip()
        try:
            decoded = json.loads(text)
        except ValueError:
            return text or f"{self.status} {self.head.reason}".strip()
        if isinstance(decoded, dict) and "message" in decoded:
            return str(decoded["message"]).strip()
        return text
