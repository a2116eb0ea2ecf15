"""The inspection half of the public API: a stack's containers, their output, execs, ports, health.

Every function finds containers by the project's labels (one observe), never by name, and
returns plain records (``api_types``, ``engine.base``'s ``ExecResult``/``LogLine``). ``Stack``
delegates to these; they take the engine and the loaded project explicitly.

Imports the engine protocol, ``readiness``, ``labels``, ``errors`` and ``anyio``; must not import
``docker``, the CLI, the planner or ``rich``.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence

import anyio

from orchestra import labels
from orchestra.api_types import ContainerInfo, connectable_host
from orchestra.engine.base import (
    ContainerStatus,
    Engine,
    ExecResult,
    LogLine,
    ObservedContainer,
    ReadyCondition,
)
from orchestra.errors import NotFoundError, OrchestraError, UsageError
from orchestra.readiness import ContainerWatch, wait_ready
from orchestra.spec.model import Project

__all__ = ["containers", "exec_in", "logs", "port", "ps", "wait_healthy"]


def _known(project: Project, service: str) -> None:
    if service not in project.services:
        names = ", ".join(sorted(project.services)) or "none"
        raise UsageError(f"no service {service!r} in project {project.name} (services: {names})")


async def containers(
    engine: Engine, project: str, services: Iterable[str] | None = None
) -> list[ObservedContainer]:
    """The project's service containers (not one-offs) of ``services`` (all when None), sorted."""
    observed = await engine.observe(project)
    wanted = set(services or ())
    found = [
        c
        for c in observed.containers
        if c.labels.get(labels.ONEOFF, "False") != "True" and (not wanted or c.service in wanted)
    ]
    return sorted(found, key=lambda c: (c.service or "", c.number, c.name))


async def _one(
    engine: Engine, project: Project, service: str, index: int, running: bool = True
) -> ObservedContainer:
    _known(project, service)
    for container in await containers(engine, project.name, [service]):
        if container.number == index and (
            not running or container.status is ContainerStatus.RUNNING
        ):
            return container
    state = "running container" if running else "container"
    raise NotFoundError(
        f'service "{service}" of project {project.name} has no {state} number {index}; '
        "is the stack up?"
    )


async def ps(
    engine: Engine, project: Project, services: Iterable[str] | None
) -> list[ContainerInfo]:
    """One record per container, with the state, ports and limits from its inspect."""
    chosen = list(services) if services is not None else None
    for name in chosen or ():
        _known(project, name)
    found = []
    for container in await containers(engine, project.name, chosen):
        # Removed between the list call and the inspect: it is no longer part of the stack.
        with contextlib.suppress(NotFoundError):
            found.append(ContainerInfo.of(container, await engine.inspect_container(container.id)))
    return found


async def logs(
    engine: Engine,
    project: Project,
    service: str | None,
    follow: bool,
    tail: int | None,
    index: int | None,
) -> AsyncGenerator[LogLine, None]:
    """The output of the chosen containers, one container after another (see ``Stack.logs``)."""
    if service is not None:
        _known(project, service)
    chosen = await containers(engine, project.name, [service] if service else None)
    if index is not None:
        chosen = [c for c in chosen if c.number == index]
    if follow and len(chosen) != 1:
        # Following several streams needs a task group the caller's iteration cannot own safely.
        raise UsageError(
            f"follow=True reads one container; {len(chosen)} match: name a service and an index"
        )
    for container in chosen:
        lines = engine.logs(container.id, follow=follow, tail=tail)
        try:
            async for line in lines:
                yield line
        finally:
            # Close a followed stream now, not when the garbage collector gets to it.
            close = getattr(lines, "aclose", None)
            if close is not None:
                await close()


async def exec_in(
    engine: Engine,
    project: Project,
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
    target = await _one(engine, project, service, index)
    return await engine.exec(target.id, argv, user, workdir, dict(env or {}))


async def port(
    engine: Engine, project: Project, service: str, container_port: int, protocol: str, index: int
) -> tuple[str, int]:
    """The host address and port a client connects to for ``container_port/protocol``."""
    target = await _one(engine, project, service, index)
    state = await engine.inspect_container(target.id)
    published = ContainerInfo.of(target, state).ports
    matching = [
        p for p in published if (p.container_port, p.protocol) == (container_port, protocol)
    ]
    if not matching:
        shown = ", ".join(str(p) for p in published) or "none"
        raise NotFoundError(
            f"port {container_port}/{protocol} of {target.name} is not published (published: "
            f"{shown})"
        )
    # IPv4 first: a client resolving "localhost" may not try IPv6, and most binds have both.
    best = min(matching, key=lambda p: (":" in p.host_ip, p.host_ip, p.host_port))
    return connectable_host(best.host_ip), best.host_port


async def wait_healthy(engine: Engine, project: Project, service: str, timeout: float) -> None:
    """Wait for every container of ``service`` to be healthy, under one overall deadline."""
    _known(project, service)
    chosen = await containers(engine, project.name, [service])
    if not chosen:
        raise NotFoundError(f'service "{service}" of project {project.name} has no container')
    deadline = anyio.current_time() + timeout
    failures: list[OrchestraError] = []
    async with anyio.create_task_group() as group:
        watch = ContainerWatch(engine, project.name)
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
