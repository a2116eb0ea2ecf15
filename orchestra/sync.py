"""``SyncStack``: the blocking twin of ``orchestra.api.Stack``, for code without an event loop.

Each call runs the async method on a fresh event loop (``anyio.run``) with its own engine
connection, closed before the call returns. So a ``SyncStack`` holds no thread, loop or socket
between calls, can be used from any thread (one call at a time), and never leaks a connection
if it is dropped without ``close()``. A call costs one engine connect (milliseconds) more than
the async API; it cannot be made from inside a running event loop (use ``Stack`` there).

Ctrl-C during a call cancels the async work the way ``asyncio.run`` does (running engine calls
finish, teardowns in ``with`` blocks are shielded) and then raises KeyboardInterrupt.

Imports ``orchestra.api`` and ``anyio``; must not import ``docker`` or the CLI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

import anyio

from orchestra.api import FileArg, Files, Stack
from orchestra.api_containers import service_list
from orchestra.api_types import ContainerInfo
from orchestra.engine.base import ExecResult, LogLine
from orchestra.plan.ops import Plan
from orchestra.spec.model import Project

if TYPE_CHECKING:
    from orchestra.events import EventSink

__all__ = ["SyncStack"]

T = TypeVar("T")


class SyncStack:
    """A ``Stack`` with blocking methods; same arguments, same errors, same results.

    ``with SyncStack(...) as stack:`` brings the stack up and always tears it down (named
    volumes too unless ``remove_volumes=False``; nothing when ``keep``).
    """

    def __init__(
        self,
        project_or_files: Project | Files = (),
        *,
        project_name: str | None = None,
        env: Mapping[str, str] | None = None,
        profiles: Iterable[str] = (),
        env_files: Files = (),
        project_directory: FileArg | None = None,
        services: Iterable[str] = (),
        keep: bool = False,
        remove_volumes: bool = True,
    ) -> None:
        self._stack = Stack(
            project_or_files,
            project_name=project_name,
            env=env,
            profiles=profiles,
            env_files=env_files,
            project_directory=project_directory,
            services=services,
            keep=keep,
            remove_volumes=remove_volumes,
        )

    def __repr__(self) -> str:
        return f"Sync{self._stack!r}"

    @property
    def project(self) -> Project:
        """The validated Compose project this stack runs."""
        return self._stack.project

    @property
    def name(self) -> str:
        """The project name (the label on everything the stack creates)."""
        return self._stack.name

    @property
    def keep(self) -> bool:
        """Whether leaving ``with`` leaves the stack running."""
        return self._stack.keep

    @keep.setter
    def keep(self, value: bool) -> None:
        self._stack.keep = value

    def _call(self, work: Callable[[Stack], Awaitable[T]]) -> T:
        async def main() -> T:
            try:
                return await work(self._stack)
            finally:
                await self._stack.close()

        return anyio.run(main)

    def up(
        self,
        services: Iterable[str] | None = None,
        *,
        wait: bool = True,
        timeout: float = 300.0,
        build: bool = False,
        pull: str | None = None,
        force_recreate: bool = False,
        no_recreate: bool = False,
        no_deps: bool = False,
        scale: Mapping[str, int] | None = None,
        remove_orphans: bool = False,
        dry_run: bool = False,
        no_wait: bool = False,
        progress: EventSink | None = None,
    ) -> Plan:
        """``Stack.up``: converge, wait for readiness, return the plan run; ExecutionFailed."""
        chosen = list(services) if services is not None else None
        return self._call(
            lambda s: s.up(
                chosen,
                wait=wait,
                timeout=timeout,
                build=build,
                pull=pull,
                force_recreate=force_recreate,
                no_recreate=no_recreate,
                no_deps=no_deps,
                scale=scale,
                remove_orphans=remove_orphans,
                dry_run=dry_run,
                no_wait=no_wait,
                progress=progress,
            )
        )

    def down(
        self,
        volumes: bool = False,
        *,
        remove_orphans: bool = False,
        timeout: float | None = None,
        no_wait: bool = False,
        progress: EventSink | None = None,
    ) -> Plan:
        """``Stack.down``: remove containers and networks (named volumes with ``volumes``)."""
        return self._call(
            lambda s: s.down(
                volumes,
                remove_orphans=remove_orphans,
                timeout=timeout,
                no_wait=no_wait,
                progress=progress,
            )
        )

    def plan(self, services: Iterable[str] | None = None) -> Plan:
        """``Stack.plan``: what ``up`` would do now."""
        chosen = list(services) if services is not None else None
        return self._call(lambda s: s.plan(chosen))

    def ps(
        self,
        services: str | Iterable[str] | None = None,
        *,
        include_stopped: bool = True,
        limits: bool = True,
    ) -> list[ContainerInfo]:
        """``Stack.ps``: every container of the stack with state, health, ports and limits."""
        chosen = service_list(services)
        return self._call(lambda s: s.ps(chosen, include_stopped=include_stopped, limits=limits))

    def logs(
        self,
        services: str | Iterable[str] | None = None,
        *,
        tail: int | None = None,
        index: int | None = None,
    ) -> list[LogLine]:
        """``Stack.logs`` without ``follow``: the output so far, as a list of lines."""
        chosen = service_list(services)

        async def collect(stack: Stack) -> list[LogLine]:
            return [line async for line in stack.logs(chosen, tail=tail, index=index)]

        return self._call(collect)

    def exec(
        self,
        service: str,
        cmd: str | Sequence[str],
        *,
        index: int = 1,
        user: str | None = None,
        workdir: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ExecResult:
        """``Stack.exec``: run a command in a running container; its exit code and output."""
        return self._call(
            lambda s: s.exec(service, cmd, index=index, user=user, workdir=workdir, env=env)
        )

    def port(
        self, service: str, container_port: int, protocol: str = "tcp", *, index: int = 1
    ) -> tuple[str, int]:
        """``Stack.port``: the ``(host, port)`` a client connects to."""
        return self._call(lambda s: s.port(service, container_port, protocol, index=index))

    def wait_healthy(self, service: str, *, timeout: float = 300.0) -> None:
        """``Stack.wait_healthy``: wait until every container of the service is healthy."""
        self._call(lambda s: s.wait_healthy(service, timeout=timeout))

    def close(self) -> None:
        """Nothing to release between calls; kept for symmetry with ``Stack.close``."""

    def __enter__(self) -> Self:
        self._call(lambda s: s.__aenter__())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._call(lambda s: s.__aexit__(exc_type, exc, traceback))
