"""Long-lived engine streams (events, logs) bridged from blocking SDK reads into anyio.

A blocking read can only be interrupted by shutting its socket down from another thread, so
every stream here is closed from the outside on exit or cancel, and a reader that fails after
that close ends quietly instead of raising. Must not import ``orchestra.spec``.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any, NoReturn
from urllib.parse import quote

import anyio
import anyio.lowlevel
import requests
import urllib3.exceptions
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from docker import errors as docker_errors
from docker.api import APIClient
from docker.types import CancellableStream

from orchestra.engine.base import EngineEvent, LogLine
from orchestra.engine.docker_observe import engine_event

# The event actions orchestra reacts to. Healthcheck probes run as execs and would otherwise
# send three exec_* events each (~35/s at 50 services with 1 s checks).
LIFECYCLE_EVENTS = (
    *("create", "start", "restart", "die", "stop", "kill", "oom", "destroy", "pause"),
    *("unpause", "rename", "health_status", "connect", "disconnect", "remove"),
)

__all__ = [
    "LIFECYCLE_EVENTS",
    "FrameReader",
    "LineSplitter",
    "forward_events",
    "open_log_response",
    "read_log_lines",
]

ErrorMapper = Callable[[BaseException], BaseException]

_HEADER_SIZE = 8
_STDERR_STREAM_ID = 2
_READ_ERRORS = (OSError, ValueError, AttributeError, urllib3.exceptions.HTTPError)


def _shutdown(stream: CancellableStream[Any]) -> None:
    # close() shuts the socket down, which is what wakes a thread blocked in recv().
    with suppress(Exception):
        stream.close()


class _EventSource:
    """The SDK's event stream plus the knowledge that we closed it on purpose."""

    def __init__(self, stream: CancellableStream[dict[str, Any]]) -> None:
        self._stream = stream
        self._closing = threading.Event()

    def close(self) -> None:
        self._closing.set()
        _shutdown(self._stream)

    def forward(
        self,
        send: MemoryObjectSendStream[EngineEvent | BaseException],
        token: anyio.lowlevel.EventLoopToken,
    ) -> None:
        """Runs in the reader thread: push every event (or the failure) into ``send``."""
        try:
            for raw in self._stream:
                anyio.from_thread.run(send.send, engine_event(raw), token=token)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return
        except Exception as exc:
            if not self._closing.is_set():
                with suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                    anyio.from_thread.run(send.send, exc, token=token)
        finally:
            # Ends the consumer's iteration when the engine closes the stream.
            with suppress(Exception):
                anyio.from_thread.run_sync(send.close, token=token)


def _raise_mapped(exc: BaseException, map_error: ErrorMapper) -> NoReturn:
    mapped = map_error(exc)
    if mapped is exc:
        raise exc
    raise mapped from exc


async def _deliver(
    receive: MemoryObjectReceiveStream[EngineEvent | BaseException], map_error: ErrorMapper
) -> AsyncIterator[EngineEvent]:
    async for item in receive:
        if isinstance(item, BaseException):
            _raise_mapped(item, map_error)
        else:
            yield item


@asynccontextmanager
async def forward_events(
    stream: CancellableStream[dict[str, Any]], map_error: ErrorMapper
) -> AsyncIterator[AsyncIterator[EngineEvent]]:
    """Iterate an opened SDK event stream; leaving the block closes it and joins the reader.

    A plain thread rather than a task group reads the stream, so that an exception raised in
    the caller's block comes out as itself, not wrapped in an ExceptionGroup. The iteration
    ends when the engine closes the stream; a read failure is raised through ``map_error``.
    """
    source = _EventSource(stream)
    send, receive = anyio.create_memory_object_stream[EngineEvent | BaseException](256)
    reader = threading.Thread(
        target=source.forward,
        args=(send, anyio.lowlevel.current_token()),
        name="orchestra-engine-events",
        daemon=True,
    )
    reader.start()
    try:
        yield _deliver(receive, map_error)
    finally:
        receive.close()
        source.close()  # wakes the reader blocked in recv()
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(reader.join)


def open_log_response(
    api: APIClient, container_id: str, follow: bool, tail: int | None
) -> requests.Response:
    """Blocking: start ``GET /containers/{id}/logs`` and return the streaming response.

    The SDK's own logs() drops the stdout/stderr tag of each frame, so the frames are read raw.
    No read timeout: a followed log may stay silent for as long as the container does.
    """
    url = f"{api.base_url}/v{api.api_version}/containers/{quote(container_id, safe='')}/logs"
    params: dict[str, str | int] = {
        "stdout": 1,
        "stderr": 1,
        "follow": int(follow),
        "tail": "all" if tail is None else str(tail),
    }
    response = api.get(url, params=params, stream=True, timeout=None)
    try:
        response.raise_for_status()
    except requests.HTTPError as exc:
        response.close()
        docker_errors.create_api_error_from_http_exception(exc)
    return response


class FrameReader:
    """Reads the engine's log stream: 8-byte-framed stdout/stderr, or raw bytes for a tty."""

    def __init__(self, response: requests.Response, tty: bool) -> None:
        self._response = response
        self._tty = tty
        self._closing = threading.Event()

    def close(self) -> None:
        self._closing.set()
        _shutdown(CancellableStream(iter(()), self._response))
        with suppress(Exception):
            self._response.close()

    def next_chunk(self) -> tuple[str, bytes] | None:
        """Blocking: the next (stream name, bytes), or None at the end or after close()."""
        if self._closing.is_set():
            return None
        try:
            return self._read()
        except _READ_ERRORS:
            if self._closing.is_set():
                return None
            raise

    def _read(self) -> tuple[str, bytes] | None:
        raw = self._response.raw
        if self._tty:
            data = raw.read1(4096)
            return ("stdout", data) if data else None
        header = raw.read(_HEADER_SIZE)
        if len(header) < _HEADER_SIZE:
            return None
        size = int.from_bytes(header[4:8], "big")
        payload = raw.read(size) if size else b""
        name = "stderr" if header[0] == _STDERR_STREAM_ID else "stdout"
        return name, payload


class LineSplitter:
    """Reassembles lines per stream: frames and chunks do not end at line boundaries."""

    def __init__(self) -> None:
        self._pending: dict[str, bytes] = {}

    def feed(self, stream: str, data: bytes) -> list[str]:
        buffer = self._pending.get(stream, b"") + data
        *lines, rest = buffer.split(b"\n")
        self._pending[stream] = rest
        return [_text(line) for line in lines]

    def flush(self) -> list[tuple[str, str]]:
        left = [(stream, _text(data)) for stream, data in sorted(self._pending.items()) if data]
        self._pending.clear()
        return left


def _text(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\r")


async def read_log_lines(
    reader: FrameReader,
    container: str,
    limiter: anyio.CapacityLimiter,
    map_error: ErrorMapper,
) -> AsyncGenerator[LogLine, None]:
    """Lines from ``reader`` until the stream ends; closing the generator closes the stream."""
    splitter = LineSplitter()
    try:
        while True:
            try:
                # Abandoning on cancel is safe: the finally below shuts the socket down,
                # which ends the read the abandoned thread is blocked in.
                chunk = await anyio.to_thread.run_sync(
                    reader.next_chunk, limiter=limiter, abandon_on_cancel=True
                )
            except Exception as exc:
                _raise_mapped(exc, map_error)
            if chunk is None:
                break
            for text in splitter.feed(*chunk):
                yield LogLine(container=container, stream=chunk[0], text=text)
        for stream, text in splitter.flush():
            yield LogLine(container=container, stream=stream, text=text)
    finally:
        reader.close()
