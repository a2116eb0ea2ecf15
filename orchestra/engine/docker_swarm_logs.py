"""Service logs: ``GET /services/{id}/logs`` of several services, merged into one stream.

Each service's log is read as the container logs are (the frames of ``docker_streams``), asked
with ``details=1`` so every line says which task wrote it; the task becomes the line's name,
``<service>.<slot>`` as ``docker service logs`` shows it. One reader thread per service pushes
lines into one anyio memory stream: leaving the iteration shuts every socket down, which ends
the blocking reads, and joins the threads. Imported lazily (it imports the docker SDK, as
container logs do); must not import ``orchestra.spec``.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio
import anyio.lowlevel
import requests
from anyio.streams.memory import MemoryObjectSendStream
from docker.api import APIClient

from orchestra.engine.base import LogLine
from orchestra.engine.docker_events import ErrorMapper, raise_mapped
from orchestra.engine.docker_streams import FrameReader, LineSplitter, open_log_stream
from orchestra.engine.docker_swarm_parse import split_log_details

__all__ = [
    "ServiceLog",
    "TaskNames",
    "merged_log_lines",
    "open_service_log",
    "open_service_logs",
]

_TASK_ID = "com.docker.swarm.task.id"
_BUFFER = 256


def open_service_log(
    api: APIClient, service_id: str, follow: bool, tail: int | None
) -> requests.Response:
    """Blocking: start ``GET /services/{id}/logs`` (with task details, which name the task of
    each line) and return the streaming response."""
    path = f"/services/{quote(service_id, safe='')}/logs"
    return open_log_stream(api, path, follow, tail, details=True)


class TaskNames:
    """Task id -> ``<service>.<slot>``; a task started after the logs opened (a rolling update,
    a restart) is looked up again once, and named by its id if even that fails."""

    def __init__(self, names: Mapping[str, str], refresh: Callable[[], Mapping[str, str]]) -> None:
        self._names = dict(names)
        self._refresh = refresh
        self._tried: set[str] = set()
        self._lock = threading.Lock()

    def name(self, task_id: str, service_name: str) -> str:
        with self._lock:
            found = self._names.get(task_id)
            if found is None and task_id and task_id not in self._tried:
                self._tried.add(task_id)
                with suppress(Exception):  # a name is cosmetic: never fail the log for it
                    self._names.update(self._refresh())
                found = self._names.get(task_id)
        return found or (f"{service_name}.{task_id[:12]}" if task_id else service_name)


@dataclass(frozen=True)
class ServiceLog:
    """One opened service log: its reader and the name of the service."""

    reader: FrameReader
    service_name: str


def open_service_logs(
    api: APIClient, services: Mapping[str, Mapping[str, Any]], follow: bool, tail: int | None
) -> list[ServiceLog]:
    """Blocking: open the log of every service (id -> its row of ``GET /services``); on a
    failure the ones already open are closed again."""
    opened: list[ServiceLog] = []
    try:
        for service_id, row in services.items():
            spec: Mapping[str, Any] = row.get("Spec") or {}
            container: Mapping[str, Any] = (spec.get("TaskTemplate") or {}).get(
                "ContainerSpec"
            ) or {}
            response = open_service_log(api, service_id, follow, tail)
            reader = FrameReader(response, bool(container.get("TTY")))
            opened.append(ServiceLog(reader, str(spec.get("Name") or service_id)))
    except BaseException:
        for log in opened:
            log.reader.close()
        raise
    return opened


def _pump(
    log: ServiceLog,
    names: TaskNames,
    send: MemoryObjectSendStream[LogLine | BaseException],
    token: anyio.lowlevel.EventLoopToken,
    closing: threading.Event,
) -> None:
    """Runs in a reader thread: every line of ``log`` (or its failure) into ``send``."""

    def emit(stream: str, text: str) -> None:
        details, message = split_log_details(text)
        name = names.name(details.get(_TASK_ID, ""), log.service_name)
        anyio.from_thread.run(send.send, LogLine(name, stream, message), token=token)

    splitter = LineSplitter()
    try:
        while (chunk := log.reader.next_chunk()) is not None:
            for text in splitter.feed(*chunk):
                emit(chunk[0], text)
        for stream, text in splitter.flush():
            emit(stream, text)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        return
    except Exception as exc:
        if not closing.is_set():
            with suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                anyio.from_thread.run(send.send, exc, token=token)
    finally:
        with suppress(Exception):
            anyio.from_thread.run_sync(send.close, token=token)


async def merged_log_lines(
    logs: Sequence[ServiceLog], names: TaskNames, map_error: ErrorMapper
) -> AsyncGenerator[LogLine, None]:
    """Lines of every log in ``logs`` as they arrive; closing the generator closes them all."""
    send, receive = anyio.create_memory_object_stream[LogLine | BaseException](_BUFFER)
    closing = threading.Event()
    token = anyio.lowlevel.current_token()
    threads = [
        threading.Thread(
            target=_pump,
            args=(log, names, send.clone(), token, closing),
            name="orchestra-service-logs",
            daemon=True,
        )
        for log in logs
    ]
    send.close()  # the stream ends when every reader has closed its clone
    try:
        for thread in threads:
            thread.start()
        async for item in receive:
            if isinstance(item, BaseException):
                raise_mapped(item, map_error)
            yield item
    finally:
        receive.close()  # a reader blocked on a full buffer gets BrokenResourceError
        closing.set()
        for log in logs:
            log.reader.close()  # wakes a reader blocked in recv()
        with anyio.CancelScope(shield=True):
            for thread in threads:
                if thread.ident is not None:
                    await anyio.to_thread.run_sync(thread.join)
