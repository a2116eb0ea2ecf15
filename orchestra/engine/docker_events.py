"""The engine's event stream bridged from a blocking reader thread into anyio.

A blocking read can only be interrupted by shutting its socket down from another thread, so the
stream is closed from the outside on exit or cancel, and a reader that fails after that close
ends quietly instead of raising. Works on any closable iterator of decoded event dicts: the raw
HTTP client's (``docker_http.JsonLines``) or the docker SDK's. Never imports ``docker``; must
not import ``orchestra.spec``.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from typing import Any, NoReturn, Protocol

import anyio
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from orchestra.engine.base import EngineEvent
from orchestra.engine.docker_observe import engine_event

# The event actions orchestra reacts to. Healthcheck probes run as execs and would otherwise
# send three exec_* events each (~35/s at 50 services with 1 s checks).
LIFECYCLE_EVENTS = (
    *("create", "start", "restart", "die", "stop", "kill", "oom", "destroy", "pause"),
    *("unpause", "rename", "health_status", "connect", "disconnect", "remove"),
)

__all__ = ["LIFECYCLE_EVENTS", "ErrorMapper", "EventStream", "forward_events", "raise_mapped"]

ErrorMapper = Callable[[BaseException], BaseException]


class EventStream(Protocol):
    """Decoded events until the engine ends the stream; ``close`` may come from any thread."""

    def __iter__(self) -> Iterator[dict[str, Any]]: ...

    def close(self) -> None: ...


def _shutdown(stream: EventStream) -> None:
    # close() shuts the socket down, which is what wakes a thread blocked in recv().
    with suppress(Exception):
        stream.close()


class _EventSource:
    """An event stream plus the knowledge that we closed it on purpose."""

    def __init__(self, stream: EventStream) -> None:
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


def raise_mapped(exc: BaseException, map_error: ErrorMapper) -> NoReturn:
    mapped = map_error(exc)
    if mapped is exc:
        raise exc
    raise mapped from exc


async def _deliver(
    receive: MemoryObjectReceiveStream[EngineEvent | BaseException], map_error: ErrorMapper
) -> AsyncIterator[EngineEvent]:
    async for item in receive:
        if isinstance(item, BaseException):
            raise_mapped(item, map_error)
        else:
            yield item


@asynccontextmanager
async def forward_events(
    stream: EventStream, map_error: ErrorMapper
) -> AsyncIterator[AsyncIterator[EngineEvent]]:
    """Iterate an opened event stream; leaving the block closes it and joins the reader.

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
