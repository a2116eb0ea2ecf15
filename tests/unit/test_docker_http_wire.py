"""The engine's HTTP/1.1 client on a socket pair whose far end plays a scripted server.

Covers the answer framings the Engine API uses (Content-Length, chunked, ended by a close), the
keep-alive pool, the retry on a connection the server closed while idle, and answers cut short
or malformed; ``tests/engine/test_docker_http.py`` runs the same client against the real engine.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from orchestra.engine import docker_http
from orchestra.engine.docker_http import EngineHttp, EngineHttpError, PlainAddress
from orchestra.engine.docker_wire import (
    EngineDisconnected,
    EngineProtocolError,
    read_body,
    read_head,
    write_request,
)

Script = Callable[[socket.socket], None]


def _request(conn: socket.socket) -> bytes:
    """Read one request (head and Content-Length body) from the client's side."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
            while len(body) < length:
                body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


class _Server:
    """Hands out one end of a fresh socket pair per connection; a thread runs each script."""

    def __init__(self, scripts: list[Script]) -> None:
        self.scripts = scripts
        self.requests: list[bytes] = []
        self.threads: list[threading.Thread] = []

    def connect(self, address: PlainAddress, timeout: float | None) -> socket.socket:
        mine, theirs = socket.socketpair()
        mine.settimeout(timeout)
        script = self.scripts.pop(0)
        thread = threading.Thread(target=self._serve, args=(theirs, script), daemon=True)
        thread.start()
        self.threads.append(thread)
        return mine

    def _serve(self, conn: socket.socket, script: Script) -> None:
        with conn:
            script(conn)


def answer(*parts: bytes, requests: int = 1, log: list[bytes] | None = None) -> Script:
    """A script: read ``requests`` requests, answering each with the next of ``parts``."""

    def run(conn: socket.socket) -> None:
        for part in parts[:requests]:
            got = _request(conn)
            if log is not None:
                log.append(got)
            conn.sendall(part)

    return run


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., EngineHttp]]:
    servers: list[_Server] = []

    def make(*scripts: Script) -> EngineHttp:
        server = _Server(list(scripts))
        servers.append(server)
        monkeypatch.setattr(docker_http, "_open_socket", server.connect)
        client = EngineHttp(PlainAddress(socket_path="/nowhere"), timeout=5)
        client.api_version = "1.41"
        return client

    yield make
    for server in servers:
        for thread in server.threads:
            thread.join(timeout=5)


OK_JSON = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{"a": 1}'
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"4\r\n[1, \r\n3;ext=1\r\n2, \r\n2\r\n3]\r\n0\r\nX-Trailer: t\r\n\r\n"
)


def test_content_length_and_chunked_answers_share_one_connection(serve: Any) -> None:
    log: list[bytes] = []
    client = serve(answer(OK_JSON, CHUNKED, requests=2, log=log))
    assert client.call("GET", "/info") == {"a": 1}
    assert client.call("POST", "/containers/x/start", body={"k": "v"}) == [1, 2, 3]
    assert len(client._idle) == 1
    first, second = log
    assert first.startswith(b"GET /v1.41/info HTTP/1.1\r\n") and b"Content-Length" not in first
    assert second.startswith(b"POST /v1.41/containers/x/start HTTP/1.1\r\n")
    assert b"Content-Type: application/json" in second and second.endswith(b'{"k": "v"}')
    client.close()


def test_a_body_ended_by_the_close_is_read_whole_and_the_connection_dropped(serve: Any) -> None:
    client = serve(answer(b"HTTP/1.0 200 OK\r\n\r\n[true]"))
    assert client.call("GET", "/x") == [True]
    assert client._idle == []


def test_interim_answers_are_skipped_and_empty_bodies_are_none(serve: Any) -> None:
    client = serve(answer(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"))
    assert client.call("POST", "/containers/x/stop") is None
    assert len(client._idle) == 1


def test_refusals_carry_the_engines_message_or_the_reason(serve: Any) -> None:
    message = b'{"message": "No such container: x"}'
    client = serve(
        answer(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n%s" % (len(message), message),
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
            requests=2,
        )
    )
    with pytest.raises(EngineHttpError) as caught:
        client.call("GET", "/containers/x/json")
    assert (caught.value.status, caught.value.explanation) == (404, "No such container: x")
    with pytest.raises(EngineHttpError) as caught:
        client.call("GET", "/y")
    assert caught.value.explanation == "500 Internal Server Error"


def test_an_idle_connection_the_engine_closed_is_replaced_once(serve: Any) -> None:
    log: list[bytes] = []
    closed = threading.Event()

    def once_then_close(conn: socket.socket) -> None:
        answer(OK_JSON, log=log)(conn)
        conn.close()
        closed.set()

    client = serve(once_then_close, answer(OK_JSON, log=log))
    assert client.call("GET", "/info") == {"a": 1}
    assert closed.wait(5) and len(client._idle) == 1
    # The pooled connection is dead: the call goes again, on a second connection.
    assert client.call("GET", "/info") == {"a": 1}
    assert len(log) == 2


def test_a_fresh_connection_closed_before_answering_is_an_error(serve: Any) -> None:
    client = serve(lambda conn: _request(conn) and None)
    with pytest.raises(EngineDisconnected):
        client.call("GET", "/info")


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",  # shorter than it said
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",  # a chunk cut short
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  # not a chunk size
        b"SSH-2.0-OpenSSH\r\n\r\n",  # not HTTP at all
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    ],
)
def test_answers_cut_short_or_malformed_are_protocol_errors(serve: Any, reply: bytes) -> None:
    client = serve(answer(reply))
    with pytest.raises(EngineProtocolError):
        client.call("GET", "/info")
    assert client._idle == []


def test_json_lines_stream_across_chunk_boundaries_and_close_from_another_thread(
    serve: Any,
) -> None:
    release = threading.Event()

    def events(conn: socket.socket) -> None:
        _request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for piece in (b'{"a":', b' 1}\n{"b": 2}\n', b"\n"):
            conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        release.wait(5)  # then stays open, as the engine's event stream does

    client = serve(events)
    stream = client.open_lines("/events")
    seen = []
    for item in stream:
        seen.append(item)
        if len(seen) == 2:
            break
    assert seen == [{"a": 1}, {"b": 2}]
    reader_done = threading.Event()

    def read_rest() -> None:
        with contextlib.suppress(OSError, ValueError, EngineProtocolError):
            list(stream)
        reader_done.set()

    threading.Thread(target=read_rest, daemon=True).start()
    stream.close()  # wakes the blocked reader
    assert reader_done.wait(5)
    release.set()


def test_requests_with_a_body_or_a_mutating_method_say_their_length() -> None:
    mine, theirs = socket.socketpair()
    with mine, theirs:
        write_request(mine, "POST", "/a", {}, None)
        write_request(mine, "PUT", "/b", {"Content-Type": "application/x-tar"}, b"tar!")
        mine.shutdown(socket.SHUT_WR)
        sent = theirs.makefile("rb").read()
    assert sent == (
        b"POST /a HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n"
        b"PUT /b HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\n"
        b"Content-Length: 4\r\n\r\ntar!"
    )


def test_repeated_headers_join_and_names_ignore_case() -> None:
    mine, theirs = socket.socketpair()
    with mine, theirs:
        theirs.sendall(
            b"HTTP/1.1 200 OK\r\nAPI-Version: 1.41\r\nWarning: a\r\nwarning: b\r\n"
            b"Connection: close\r\nContent-Length: 2\r\n\r\nok"
        )
        reader = mine.makefile("rb")
        head = read_head(reader, "GET")
        assert head.headers["api-version"] == "1.41"
        assert head.headers["warning"] == "a, b"
        assert head.will_close
        assert read_body(reader, head, "GET") == b"ok"
