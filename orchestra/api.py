"""The public async API: load a Compose project and drive it as a ``Stack``.

A ``Stack`` is one project on one engine. Its lifecycle methods (``up``, ``down``, ``plan``) go
through the same ``converge``/``tear_down`` pass as the CLI, under the same per-project lock;
its inspection methods (``ps``, ``logs``, ``exec``, ``port``, ``wait_healthy``) live in
``orchestra.api_containers``. The CLI is a thin layer over this class. The engine connection is
opened on first use and released by ``close()`` (a later call opens a new one). ``async with
Stack(...)`` brings the stack up and always tears it down, even when the body fails or is
cancelled.

Imports the loader, ``lock`` and the engine protocol; ``reconcile`` (and with it the planner and
the executor) and the Docker adapter only lazily, so that ``orchestra ps`` stays light. Must not
import ``docker``, the CLI or ``rich``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, aclosing, nullcontext
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

import anyio

from orchestra import api_containers
from orchestra.api_load import FileArg, Files, check_loaded, load_project
from orchestra.api_types import ContainerInfo
from orchestra.engine.base import Engine, ExecResult, LogLine
from orchestra.errors import Interrupted, UsageError
from orchestra.lock import Holder, engine_host, project_lock
from orchestra.plan.options import DownOptions, UpOptions
from orchestra.spec.model import Project

if TYPE_CHECKING:
    from orchestra.events import EventSink
    from orchestra.plan.ops import Plan
    from orchestra.reconcile import Outcome

__all__ = ["FileArg", "Files", "Stack", "load_project", "open_docker_engine"]

TEARDOWN_LIMIT = 180.0  # seconds a teardown may take once the body failed or was cancelled
ENGINE_CONCURRENCY = 16  # engine calls at a time; stops and removes mostly wait on the engine

LockWait = Callable[[Holder | None], None]
"""Called once when ``up``/``down`` must wait for another command's lock (with its holder)."""


async def open_docker_engine(concurrency: int = ENGINE_CONCURRENCY) -> Engine:
    """Connect to the engine ``DOCKER_HOST`` names (or the local socket) and check it answers.

    ``concurrency`` caps the engine calls in flight. Raises EngineUnavailableError when no
    engine answers.
    """
    from orchestra.engine.docker import DockerEngine

    engine = await anyio.to_thread.run_sync(lambda: DockerEngine.from_env(concurrency))
    try:
        await engine.ping()
    except BaseException:
        with anyio.CancelScope(shield=True):
            await engine.close()
        raise
    return engine


class Stack:
    """One Compose project on one engine, driven from async code.

    ``project_or_files`` is a ``Project`` from ``load_project`` or the Compose file(s) to load
    (the other loading arguments are those of ``load_project``). ``services`` is what
    ``async with`` brings up (default: every enabled service). Leaving ``async with`` runs
    ``down`` (named volumes too unless ``remove_volumes=False``), unless ``keep`` is true.
    ``engine`` lends an engine (never closed here); by default the Docker Engine is used.
    ``client`` names the caller in the project lock (another command waiting for it reads
    "``<client> up``"); ``on_lock_wait`` is told when ``up``/``down`` has to wait for the lock.
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
        engine: Engine | None = None,
        client: str = "orchestra API",
        on_lock_wait: LockWait | None = None,
    ) -> None:
        if isinstance(project_or_files, Project):
            check_loaded(project_or_files, project_name, env, profiles, env_files)
            project = project_or_files
        else:
            project = load_project(
                project_or_files,
                project_name=project_name,
                env=env,
                profiles=profiles,
                env_files=env_files,
                project_directory=project_directory,
            )
        self._project: Project | None = project
        self._name = project.name
        self._services = tuple(services)
        self.keep = keep
        self.remove_volumes = remove_volumes
        self._engine = engine
        self._owns_engine = engine is None
        self._client = client
        self._on_lock_wait = on_lock_wait

    @classmethod
    def by_name(
        cls,
        project_name: str,
        *,
        engine: Engine | None = None,
        client: str = "orchestra API",
        on_lock_wait: LockWait | None = None,
    ) -> Stack:
        """A stack known by its project name alone, without its Compose files.

        Everything that works by label works: ``ps``, ``logs``, ``exec``, ``port``,
        ``wait_healthy`` and ``down`` (which then cannot tell orphans apart); ``up``, ``plan``
        and ``project`` raise UsageError. Unknown service names find no containers.
        """
        placeholder = Project(name=project_name, directory=Path())
        stack = cls(placeholder, engine=engine, client=client, on_lock_wait=on_lock_wait)
        stack._project = None
        return stack

    def __repr__(self) -> str:
        services = list(self._project.services) if self._project else "unknown"
        return f"Stack(project={self.name!r}, services={services!r})"

    @property
    def project(self) -> Project:
        """The validated Compose project this stack runs; UsageError for ``by_name`` stacks."""
        if self._project is None:
            raise UsageError(
                f"project {self._name} was opened by name: its Compose files are needed here"
            )
        return self._project

    @property
    def name(self) -> str:
        """The project name: every container, network and volume carries it as a label."""
        return self._name

    async def _connected(self) -> Engine:
        """The engine connection, opened on first use; EngineUnavailableError."""
        if self._engine is None:
            self._engine = await open_docker_engine()
        return self._engine

    async def close(self) -> None:
        """Release the engine connection (a later call opens a new one)."""
        engine = self._engine
        if engine is None or not self._owns_engine:
            return
        self._engine = None
        with anyio.CancelScope(shield=True):
            await engine.close()

    def _lock(self, command: str, no_wait: bool) -> AbstractAsyncContextManager[Holder]:
        return project_lock(
            self.name,
            engine_host(),
            f"{self._client} {command}",
            wait=not no_wait,
            on_wait=self._on_lock_wait,
        )

    async def up(
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
        cancel: anyio.Event | None = None,
        on_plan: Callable[[Plan], None] | None = None,
    ) -> Plan:
        """Converge the engine to the project (like ``orchestra up``) and return the plan run.

        ``services`` limits it to those and their dependencies (not these with ``no_deps``);
        ``wait`` waits until every selected container is ready (healthy where it has a
        healthcheck), each wait bounded by ``timeout`` seconds. ``pull`` is always, missing or
        never; ``scale`` maps services to replica counts. ``dry_run`` only plans (no lock, no
        change). ``no_wait`` fails with ProjectLockedError instead of waiting for another
        command's lock. ``progress`` receives an ``OpEvent`` per step; setting ``cancel`` stops
        starting new operations (running engine calls finish) and raises Interrupted. ``on_plan``
        receives the plan once it ran, also when ``up`` then raises. Raises ExecutionFailed
        (failed operations, readiness timeouts), SpecError, UsageError, EngineUnavailableError,
        ProjectLockedError.
        """
        options = UpOptions(
            services=tuple(services) if services is not None else self._services,
            no_deps=no_deps,
            force_recreate=force_recreate,
            no_recreate=no_recreate,
            remove_orphans=remove_orphans,
            scale=dict(scale or {}),
            wait=wait,
            build=build,
            pull=pull,
        )
        from orchestra.graph import ServiceGraph
        from orchestra.reconcile import RunSettings, converge

        project = self.project
        ServiceGraph.of(project)  # a cycle is a spec error: report it before the engine
        engine = await self._connected()
        settings = RunSettings(
            wait_timeout=timeout, sink=progress, cancel_event=cancel, dry_run=dry_run
        )
        # A dry run changes nothing, so it needs no lock.
        lock = nullcontext() if dry_run else self._lock("up", no_wait)
        async with lock:
            outcome = await converge(project, engine, options, settings)
        return _checked(outcome, on_plan)

    async def down(
        self,
        volumes: bool = False,
        *,
        remove_orphans: bool = False,
        timeout: float | None = None,
        no_wait: bool = False,
        progress: EventSink | None = None,
        cancel: anyio.Event | None = None,
        on_plan: Callable[[Plan], None] | None = None,
    ) -> Plan:
        """Stop and remove the project's containers and networks; named volumes with ``volumes``.

        Works by label, so it also cleans up after a partial ``up``. ``timeout``: seconds before
        a stop kills (default: each container's own). ``no_wait``, ``progress``, ``cancel`` and
        ``on_plan`` as for ``up``. Raises ExecutionFailed, EngineError, ProjectLockedError.
        """
        from orchestra.reconcile import RunSettings, tear_down

        options = DownOptions(volumes=volumes, remove_orphans=remove_orphans, timeout=timeout)
        engine = await self._connected()
        settings = RunSettings(sink=progress, cancel_event=cancel)
        async with self._lock("down", no_wait):
            outcome = await tear_down(self.name, self._project, engine, options, settings)
        return _checked(outcome, on_plan)

    async def plan(self, services: Iterable[str] | None = None) -> Plan:
        """What ``up`` would do now, without changing anything (``plan().is_empty`` when none)."""
        from orchestra.reconcile import plan_converge

        selected = tuple(services) if services is not None else self._services
        return await plan_converge(
            self.project, await self._connected(), UpOptions(services=selected)
        )

    async def ps(
        self,
        services: str | Iterable[str] | None = None,
        *,
        include_stopped: bool = True,
        limits: bool = True,
    ) -> list[ContainerInfo]:
        """The stack's containers (one-off ones not) by service, stopped ones unless
        ``include_stopped=False``. ``limits=False`` skips the one inspect per container that
        reads the cgroup limits (``ContainerInfo.limits`` is then empty)."""
        return await api_containers.ps(
            await self._connected(), self.name, self._project, services, include_stopped, limits
        )

    async def logs(
        self,
        services: str | Iterable[str] | None = None,
        *,
        follow: bool = False,
        tail: int | None = None,
        index: int | None = None,
    ) -> AsyncGenerator[LogLine, None]:
        """The output of the services' containers (every service's when None), line by line.

        Without ``follow`` the containers are read one after another. ``follow`` streams new
        output of every chosen container as it arrives (``index`` picks one replica); consume
        it in one task and close it there: ``async with contextlib.aclosing(stack.logs(...))``.
        """
        engine = await self._connected()
        lines = api_containers.logs(engine, self.name, self._project, services, follow, tail, index)
        async with aclosing(lines):
            async for line in lines:
                yield line

    async def exec(
        self,
        service: str,
        cmd: str | Sequence[str],
        *,
        index: int = 1,
        user: str | None = None,
        workdir: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ExecResult:
        """Run ``cmd`` in the running container ``index`` of ``service``; never raises on a
        non-zero exit (see ``ExecResult.exit_code``). A string is split as a shell would.

        Raises UsageError for an unknown service, NotFoundError when it has no such running
        container.
        """
        engine = await self._connected()
        return await api_containers.exec_in(
            engine, self.name, self._project, service, cmd, index, user, workdir, env
        )

    async def port(
        self, service: str, container_port: int, protocol: str = "tcp", *, index: int = 1
    ) -> tuple[str, int]:
        """Where ``container_port`` of the service is published: ``(host, port)`` to connect to.

        A wildcard bind (``0.0.0.0``, ``::``) is given as loopback. Raises UsageError for an
        unknown service, NotFoundError when the container or the published port is missing.
        """
        engine = await self._connected()
        return await api_containers.port(
            engine, self.name, self._project, service, container_port, protocol, index
        )

    async def wait_healthy(self, service: str, *, timeout: float = 300.0) -> None:
        """Wait until every container of ``service`` reports healthy after its latest start.

        Raises ReadinessFailed (unhealthy, exited, no healthcheck, or ``timeout`` seconds
        passed), NotFoundError when the service has no container, UsageError when unknown.
        """
        engine = await self._connected()
        await api_containers.wait_healthy(engine, self.name, self._project, service, timeout)

    async def __aenter__(self) -> Self:
        try:
            await self.up()
        except BaseException:
            await self._finish()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._finish()

    async def _finish(self) -> None:
        """Tear down (unless kept) and close, even when the caller was cancelled."""
        try:
            if not self.keep:
                with anyio.fail_after(TEARDOWN_LIMIT, shield=True):
                    await self.down(volumes=self.remove_volumes, remove_orphans=True)
        finally:
            await self.close()


def _checked(outcome: Outcome, on_plan: Callable[[Plan], None] | None) -> Plan:
    if on_plan is not None:
        on_plan(outcome.plan)
    if outcome.report is not None:
        if outcome.report.cancelled:
            raise Interrupted("cancelled before the plan finished; run it again to converge")
        outcome.report.raise_for_failures()
    return outcome.plan
