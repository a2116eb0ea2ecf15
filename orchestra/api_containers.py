"""The inspection half of the public API: a stack's containers, their output, execs, ports, health.

Every function finds containers by the project's labels (one observe), never by name, and
returns plain records (``api_types``, ``engine.base``'s ``ExecResult``/``LogLine``). ``Stack``
delegates to these; they take the engine, the project's name and, when its Compose files were
loaded, the ``Project`` (None: known by name only, so service names cannot be checked).

Imports the engine protocol, ``api_listing`` (which containers a call means), ``errors``,
``anyio`` and (only in ``wait_healthy``,
so that ``ps`` does not pay for it) ``readiness``; must not import ``docker``, the CLI, the
planner or ``rich``.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence

import anyio

from orchestra.api_listing import check_known, listed_infos, service_containers, service_list
from orchestra.api_types import ContainerInfo, connectable_host
from orchestra.engine.base import (
    ContainerState,
    ContainerStatus,
    Engine,
    ExecResult,
    LogLine,
    ObservedContainer,
    ReadyCondition,
)
from orchestra.errors import NotFoundError, OrchestraError, UsageError
from orchestra.spec.model import Project

__all__ = ["containers", "exec_in", "logs", "port", "ps", "service_list", "wait_healthy"]

_LOG_BUFFER = 256  # lines read ahead from followed containers before their readers wait


async def containers(
    engine: Engine, project: str, services: Iterable[str] | None = None
) -> list[ObservedContainer]:
    """The project's service containers (not one-offs) of ``services`` (all when None), sorted."""
    observed = await engine.observe(project)
    return service_containers(observed.containers, services)


async def _one(
    engine: Engine, name: str, project: Project | None, service: str, index: int
) -> ObservedContainer:
    check_known(project, [service])
    for container in await containers(engine, name, [service]):
        if container.number == index and container.status is ContainerStatus.RUNNING:
            return container
    raise NotFoundError(
        f'service "{service}" of project {name} has no running container number {index}; '
        "is the stack up?"
    )


async def _inspect_all(
    engine: Engine, chosen: list[ObservedContainer]
) -> dict[str, ContainerState]:
    """Inspects of ``chosen`` by id, run together (they wait on the engine, not on us)."""
    states: dict[str, ContainerState] = {}

    async def inspect(container_id: str) -> None:
        # Removed between the list call and the inspect: it is no longer part of the stack.
        with contextlib.suppress(NotFoundError):
            states[container_id] = await engine.inspect_container(container_id)

    async with anyio.create_task_group() as group:
        for container in chosen:
            group.start_soon(inspect, container.id)
    return states


async def ps(
    engine: Engine,
    name: str,
    project: Project | None,
    services: str | Iterable[str] | None,
    include_stopped: bool,
    limits: bool,
) -> list[ContainerInfo]:
    """One record per container; with ``limits`` each is inspected for its cgroup limits."""
    observed = await engine.observe(name)
    listed = listed_infos(observed.containers, project, services, include_stopped)
    if not limits:
        return listed
    by_id = {c.id: c for c in observed.containers}
    chosen = [by_id[info.id] for info in listed]
    states = await _inspect_all(engine, chosen)
    return [ContainerInfo.of(c, states[c.id]) for c in chosen if c.id in states]


async def logs(
    engine: Engine,
    name: str,
    project: Project | None,
    services: str | Iterable[str] | None,
    follow: bool,
    tail: int | None,
    index: int | None,
) -> AsyncGenerator[LogLine, None]:
    """The output of the chosen containers (see ``Stack.logs``)."""
    chosen_services = service_list(services)
    check_known(project, chosen_services or ())
    chosen = await containers(engine, name, chosen_services)
    if index is not None:
        chosen = [c for c in chosen if c.number == index]
    if follow and len(chosen) > 1:
        lines = _merged(engine, chosen, tail)
    else:
        lines = _one_after_another(engine, chosen, follow, tail)
    async with contextlib.aclosing(lines):
        async for line in lines:
            yield line


async def _one_after_another(
    engine: Engine, chosen: list[ObservedContainer], follow: bool, tail: int | None
) -> AsyncGenerator[LogLine, None]:
    for container in chosen:
        async with _closing(engine.logs(container.id, follow=follow, tail=tail)) as lines:
            async for line in lines:
                yield line


@contextlib.asynccontextmanager
async def _closing(lines: AsyncIterator[LogLine]) -> AsyncIterator[AsyncIterator[LogLine]]:
    """Close a (followed) stream on the way out, not when the garbage collector gets to it."""
    try:
        yield lines
    finally:
        close = getattr(lines, "aclose", None)
        if close is not None:
            await close()


async def _merged(
    engine: Engine, chosen: list[ObservedContainer], tail: int | None
) -> AsyncGenerator[LogLine, None]:
    """Follow every chosen container at once, lines in the order they arrive.

    The readers live in a task group owned by this generator: it must be consumed by one task
    and closed (``aclosing``) in that task, which cancels the readers and closes their streams.
    """
    send, receive = anyio.create_memory_object_stream[LogLine](_LOG_BUFFER)
    failures: list[OrchestraError] = []

    async def pump(container_id: str, out: anyio.abc.ObjectSendStream[LogLine]) -> None:
        try:
            async with out, _closing(engine.logs(container_id, follow=True, tail=tail)) as lines:
                async for line in lines:
                    await out.send(line)
        except OrchestraError as exc:
            # Raised in the group it would reach the caller wrapped in an ExceptionGroup.
            failures.append(exc)
            group.cancel_scope.cancel()

    with receive:
        async with anyio.create_task_group() as group:
            async with send:
                for container in chosen:
                    group.start_soon(pump, container.id, send.clone())
            try:
                async for line in receive:
                    try:
                        yield line
                    except GeneratorExit:
                        break  # closed by the caller: stop the readers, then end quietly
            finally:
                group.cancel_scope.cancel()
    if failures:
        raise failures[0]


async def exec_in(
    engine: Engine,
    name: str,
    project: Project | None,
    service: str,
    cmd: str | Sequence[str],
    index: int,
    user: str | None,
    workdir: str | None,
    env: Mapping[str, str] | None,
) -> ExecResult:
    """Run a command in a running container of ``service`` and collect its output."""
    argv = tuple(shlex.split(cmd)) if isinstance(cmd, str) else tuple(cmd)
    if not argv:
        raise UsageError("exec needs a command")
    target = await _one(engine, name, project, service, index)
    return await engine.exec(target.id, argv, user, workdir, dict(env or {}))


async def port(
    engine: Engine,
    name: str,
    project: Project | None,
    service: str,
    number: int,
    protocol: str,
    index: int,
) -> tuple[str, int]:
    """The host address and port a client connects to for ``number/protocol``."""
    target = await _one(engine, name, project, service, index)
    published = ContainerInfo.listed(target).ports
    if not published:
        # An adapter without ports in its list rows: the inspect has them.
        published = ContainerInfo.of(target, await engine.inspect_container(target.id)).ports
    matching = [p for p in published if (p.container_port, p.protocol) == (number, protocol)]
    if not matching:
        shown = ", ".join(str(p) for p in published) or "none"
        raise NotFoundError(
            f"port {number}/{protocol} of {target.name} is not published (published: {shown})"
        )
    # IPv4 first: a client resolving "localhost" may not try IPv6, and most binds have both.
    best = min(matching, key=lambda p: (":" in p.host_ip, p.host_ip, p.host_port))
    return connectable_host(best.host_ip), best.host_port


async def wait_healthy(
    engine: Engine, name: str, project: Project | None, service: str, timeout: float
) -> None:
    """Wait for every container of ``service`` to be healthy, under one overall deadline."""
    check_known(project, [service])
    chosen = await containers(engine, name, [service])
    if not chosen:
        raise NotFoundError(f'service "{service}" of project {name} has no container')
    from orchestra.readiness import ContainerWatch, wait_ready

    deadline = anyio.current_time() + timeout
    failures: list[OrchestraError] = []
    async with anyio.create_task_group() as group:
        watch = ContainerWatch(engine, name)
        await group.start(watch.run)
        try:
            for container in chosen:
                left = max(0.0, deadline - anyio.current_time())
                await wait_ready(
                    engine, container.id, ReadyCondition.HEALTHY, service, timeout=left, watch=watch
                )
        except OrchestraError as exc:
            # Raised inside the group it would surface wrapped in an ExceptionGroup.
            failures.append(exc)
        group.cancel_scope.cancel()
    if failures:
        raise failures[0]
