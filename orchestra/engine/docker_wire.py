"""HTTP/1.1 on a connected stream socket, as much of it as the Engine API uses.

Writes one request (head and body in one send) and reads one answer: the status line, the
headers, and a body framed by ``Content-Length``, by chunks, or by the end of the connection;
1xx interim answers are skipped. This replaces ``http.client``, whose header parsing goes
through the ``email`` package: importing both cost a no-op ``up`` more than its engine calls,
and parsing each answer's headers cost more than reading its body. Bodies stream as their
chunks arrive (``iter_body``), for the engine's event stream.

Raises ``EngineDisconnected`` (a ``ConnectionResetError``) when the engine closed the
connection before the answer began, as it does with an idle keep-alive connection, and
``EngineProtocolError`` (a ``ConnectionError``) for an answer cut short or malformed. Imports
only the standard library.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from io import BufferedIOBase

__all__ = [
    "EngineDisconnected",
    "EngineProtocolError",
    "Head",
    "iter_body",
    "read_body",
    "read_head",
    "write_request",
]

_MAX_LINE = 65536  # longer status, header or chunk-size lines are refused, as http.client does
_MAX_HEADERS = 100
_PIECE = 65536  # what one read asks for, streaming a body of known length


class EngineDisconnected(ConnectionResetError):
    """The engine closed the connection before answering (a stale keep-alive connection)."""


class EngineProtocolError(ConnectionError):
    """The engine's answer was cut short or is not HTTP/1.x."""


class Head:
    """The status and headers of an answer (header names lower-cased), and how its body ends."""

    __slots__ = ("headers", "reason", "status", "will_close")

    def __init__(self, status: int, reason: str, headers: dict[str, str], will_close: bool):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.will_close = will_close

    @property
    def chunked(self) -> bool:
        return "chunked" in self.headers.get("transfer-encoding", "").lower()

    def length(self, method: str) -> int | None:
        """The body's length: 0 when it has none, None when chunked or ended by a close."""
        if method == "HEAD" or self.status in (204, 304) or 100 <= self.status < 200:
            return 0
        if self.chunked:
            return None
        text = self.headers.get("content-length")
        if text is None:
            return None
        if not text.strip().isdigit():
            raise EngineProtocolError(f"bad Content-Length: {text!r}")
        return int(text)


def write_request(
    sock: socket.socket, method: str, target: str, headers: Mapping[str, str], body: bytes | None
) -> None:
    """Send one request. A body (or a method that carries one) gets its ``Content-Length``."""
    lines = [f"{method} {target} HTTP/1.1", "Host: docker"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None or method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body or b'')}")
    # Head and body in one send: two small writes on TCP meet Nagle and delayed ACKs.
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))


def _line(reader: BufferedIOBase, what: str) -> bytes:
    line = reader.readline(_MAX_LINE + 1)
    if len(line) > _MAX_LINE:
        raise EngineProtocolError(f"{what} longer than {_MAX_LINE} bytes")
    return line


def _status(line: bytes) -> tuple[str, int, str]:
    version, _, rest = line.decode("latin-1").strip().partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise EngineProtocolError(f"not an HTTP/1.x status line: {line[:80]!r}")
    return version, int(code), reason


def _headers(reader: BufferedIOBase) -> dict[str, str]:
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS + 1):
        line = _line(reader, "a header line")
        if line in (b"\r\n", b"\n"):
            return headers
        if not line:
            raise EngineProtocolError("the engine closed the connection in the headers")
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise EngineProtocolError(f"not a header line: {line[:80]!r}")
        key = name.strip().lower()
        # A repeated header is one comma-separated list (RFC 9110 5.3).
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    raise EngineProtocolError(f"more than {_MAX_HEADERS} headers")


def read_head(reader: BufferedIOBase, method: str) -> Head:
    """Read the status line and headers of the next final (non-1xx) answer."""
    while True:
        line = _line(reader, "the status line")
        if not line:
            raise EngineDisconnected("the engine closed the connection without answering")
        version, status, reason = _status(line)
        headers = _headers(reader)
        if not 100 <= status < 200 or status == 101:
            break
    connection = headers.get("connection", "").lower()
    will_close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
    head = Head(status, reason, headers, will_close)
    if head.length(method) is None and not head.chunked:
        head.will_close = True  # the body ends with the connection
    return head


def _exactly(reader: BufferedIOBase, size: int) -> bytes:
    data = reader.read(size)
    if len(data) < size:
        raise EngineProtocolError(f"the answer was cut short ({len(data)} of {size} bytes)")
    return data


def _chunks(reader: BufferedIOBase) -> Iterator[bytes]:
    while True:
        line = _line(reader, "a chunk size line")
        if not line:
            raise EngineProtocolError("the answer was cut short before its last chunk")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise EngineProtocolError(f"bad chunk size: {size_text[:20]!r}") from None
        if size == 0:
            break
        data = _exactly(reader, size)
        if _line(reader, "a chunk end") not in (b"\r\n", b"\n"):
            raise EngineProtocolError("a chunk does not end where its size says")
        yield data
    while _line(reader, "a trailer line") not in (b"\r\n", b"\n", b""):
        pass  # trailers: none that the Engine API sends matter here


def iter_body(reader: BufferedIOBase, head: Head, method: str) -> Iterator[bytes]:
    """The body's bytes as they arrive: per chunk, or in pieces of a known length."""
    length = head.length(method)
    if head.chunked:
        yield from _chunks(reader)
    elif length is not None:
        while length > 0:
            piece = _exactly(reader, min(length, _PIECE))
            length -= len(piece)
            yield piece
    else:
        while piece := reader.read1(_PIECE):
            yield piece


def read_body(reader: BufferedIOBase, head: Head, method: str) -> bytes:
    """The whole body of the answer ``head`` began."""
    length = head.length(method)
    if length is not None and not head.chunked:
        return _exactly(reader, length) if length else b""
    return b"".join(iter_body(reader, head, method))
