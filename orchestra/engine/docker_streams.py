"""Container logs streamed through the docker SDK and bridged from blocking reads into anyio.

A blocking read can only be interrupted by shutting its socket down from another thread, so a
log stream is closed from the outside on exit or cancel. Imported lazily (it imports the SDK);
the event stream lives in ``docker_events``. Must not import ``orchestra.spec``.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator
from contextlib import suppress
from urllib.parse import quote

import anyio
import anyio.lowlevel
import requests
import urllib3.exceptions
from docker import errors as docker_errors
from docker.api import APIClient
from docker.types import CancellableStream

from orchestra.engine.base import LogLine
from orchestra.engine.docker_events import LIFECYCLE_EVENTS, ErrorMapper, raise_mapped

__all__ = [
    "LIFECYCLE_EVENTS",
    "FrameReader",
    "LineSplitter",
    "open_log_response",
    "open_log_stream",
    "read_log_lines",
]

_HEADER_SIZE = 8
_STDERR_STREAM_ID = 2
_READ_ERRORS = (OSError, ValueError, AttributeError, urllib3.exceptions.HTTPError)


def open_log_response(
    api: APIClient, container_id: str, follow: bool, tail: int | None
) -> requests.Response:
    """Blocking: start ``GET /containers/{id}/logs`` and return the streaming response.

    The SDK's own logs() drops the stdout/stderr tag of each frame, so the frames are read raw.
    """
    return open_log_stream(api, f"/containers/{quote(container_id, safe='')}/logs", follow, tail)


def open_log_stream(
    api: APIClient, path: str, follow: bool, tail: int | None, details: bool = False
) -> requests.Response:
    """Blocking: start the logs ``GET`` of ``path`` (a container's or a service's) and return
    the streaming response; an engine refusal raises the SDK's APIError.

    No read timeout: a followed log may stay silent for as long as its source does.
    """
    params: dict[str, str | int] = {
        "stdout": 1,
        "stderr": 1,
        "follow": int(follow),
        "tail": "all" if tail is None else str(tail),
    }
    if details:
        params["details"] = 1
    response = api.get(
        f"{api.base_url}/v{api.api_version}{path}", params=params, stream=True, timeout=None
    )
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
        # close() shuts the socket down, which is what wakes a thread blocked in recv().
        with suppress(Exception):
            CancellableStream(iter(()), self._response).close()
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
                raise_mapped(exc, map_error)
            if chunk is None:
                break
            for text in splitter.feed(*chunk):
                yield LogLine(container=container, stream=chunk[0], text=text)
        for stream, text in splitter.flush():
            yield LogLine(container=container, stream=stream, text=text)
    finally:
        reader.close()
