"""The public async API: load a Compose project and drive it as a ``Stack``.

A ``Stack`` is one project on one engine. Its lifecycle methods (``up``, ``down``, ``plan``) go
through the same ``converge``/``tear_down`` pass as the CLI, under the same per-project lock;
its inspection methods (``ps``, ``logs``, ``exec``, ``port``, ``wait_healthy``) live in
``orchestra.api_containers``. The engine connection is opened on first use and released by
``close()`` (a later call opens a new one). ``async with Stack(...)`` brings the stack up and
always tears it down, even when the body fails or is cancelled.

Imports the loader, ``reconcile``, ``lock`` and the engine protocol; the Docker adapter only
lazily, when no engine was given. Must not import ``docker``, the CLI or ``rich``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, aclosing
from types import TracebackType
from typing import Self

import anyio

from orchestra import api_containers
from orchestra.api_types import ContainerInfo
from orchestra.engine.base import Engine, ExecResult, LogLine
from orchestra.errors import UsageError
from orchestra.lock import Holder, engine_host, project_lock
from orchestra.plan.ops import Plan
from orchestra.plan.options import DownOptions, UpOptions
from orchestra.reconcile import Outcome, RunSettings, converge, plan_converge, tear_down
from orchestra.spec.files import LoadOptions
from orchestra.spec.load import load_project as _load
from orchestra.spec.model import Project

__all__ = ["FileArg", "Files", "Stack", "load_project"]

FileArg = str | os.PathLike[str]
Files = FileArg | Sequence[FileArg]
"""One Compose file or several (later ones override earlier ones, as ``-f`` does)."""

TEARDOWN_LIMIT = 180.0  # seconds a teardown may take once the body failed or was cancelled


def _paths(files: Files) -> tuple[str, ...]:
    if isinstance(files, str | os.PathLike):
        return (os.fspath(files),)
    return tuple(os.fspath(f) for f in files)


def load_project(
    files: Files = (),
    *,
    project_name: str | None = None,
    env: Mapping[str, str] | None = None,
    profiles: Iterable[str] = (),
    env_files: Files = (),
    project_directory: FileArg | None = None,
) -> Project:
    """Read, interpolate, merge and validate Compose files into a typed ``Project``.

    Without ``files`` the nearest ``compose.yaml`` (and its override) from the working directory
    up is used, as ``docker compose`` does. ``env`` adds variables over the process environment
    for interpolation (``${APP_PORT:-8080}``); ``env_files`` replace the default ``.env`` next
    to the first file. Raises SpecError listing every problem with its file:line:column.
    """
    options = LoadOptions(
        files=_paths(files),
        project_name=project_name,
        project_directory=os.fspath(project_directory) if project_directory else None,
        env_files=_paths(env_files),
        profiles=tuple(profiles),
        environ={**os.environ, **(env or {})},
    )
    return _load(options)


async def open_docker_engine() -> Engine:
    """Connect to the engine ``DOCKER_HOST`` names (or the local socket) and check it answers.

    Raises EngineUnavailableError when no engine answers.
    """
    from orchestra.engine.docker import DockerEngine

    engine = await anyio.to_thread.run_sync(DockerEngine.from_env)
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
    ) -> None:
        if isinstance(project_or_files, Project):
            _check_loaded(project_or_files, project_name, env, profiles, env_files)
            self._project = project_or_files
        else:
            self._project = load_project(
                project_or_files,
                project_name=project_name,
                env=env,
                profiles=profiles,
                env_files=env_files,
                project_directory=project_directory,
            )
        self._services = tuple(services)
        self.keep = keep
        self.remove_volumes = remove_volumes
        self._engine = engine
        self._owns_engine = engine is None

    def __repr__(self) -> str:
        return f"Stack(project={self.name!r}, services={list(self._project.services)!r})"

    @property
    def project(self) -> Project:
        """The validated Compose project this stack runs."""
        return self._project

    @property
    def name(self) -> str:
        """The project name: every container, network and volume carries it as a label."""
        return self._project.name

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

    def _lock(self, command: str) -> AbstractAsyncContextManager[Holder]:
        return project_lock(self.name, engine_host(), f"orchestra API {command}")

    async def up(
        self,
        services: Iterable[str] | None = None,
        *,
        wait: bool = True,
        timeout: float = 300.0,
        build: bool = False,
        pull: str | None = None,
        force_recreate: bool = False,
        remove_orphans: bool = False,
    ) -> Plan:
        """Converge the engine to the project (like ``orchestra up``) and return the plan run.

        ``services`` limits it to those and their dependencies; ``wait`` waits until every
        selected container is ready (healthy where it has a healthcheck), each wait bounded by
        ``timeout`` seconds. Raises ExecutionFailed (failed operations, readiness timeouts),
        SpecError for unknown services, EngineUnavailableError, ProjectLockedError never (waits).
        """
        options = UpOptions(
            services=tuple(services) if services is not None else self._services,
            wait=wait,
            build=build,
            pull=pull,
            force_recreate=force_recreate,
            remove_orphans=remove_orphans,
        )
        engine = await self._connected()
        async with self._lock("up"):
            outcome = await converge(
                self._project, engine, options, RunSettings(wait_timeout=timeout)
            )
        return _checked(outcome)

    async def down(
        self, volumes: bool = False, *, remove_orphans: bool = False, timeout: float | None = None
    ) -> Plan:
        """Stop and remove the project's containers and networks; named volumes with ``volumes``.

        Works by label, so it also cleans up after a partial ``up``. ``timeout``: seconds before
        a stop kills (default: each container's own). Raises ExecutionFailed, EngineError.
        """
        options = DownOptions(volumes=volumes, remove_orphans=remove_orphans, timeout=timeout)
        engine = await self._connected()
        async with self._lock("down"):
            outcome = await tear_down(self.name, self._project, engine, options, RunSettings())
        return _checked(outcome)

    async def plan(self, services: Iterable[str] | None = None) -> Plan:
        """What ``up`` would do now, without changing anything (``plan().is_empty`` when none)."""
        selected = tuple(services) if services is not None else self._services
        return await plan_converge(
            self._project, await self._connected(), UpOptions(services=selected)
        )

    async def ps(self, services: Iterable[str] | None = None) -> list[ContainerInfo]:
        """Every container of the stack (stopped ones too, one-off ones not), by service."""
        return await api_containers.ps(await self._connected(), self._project, services)

    async def logs(
        self,
        service: str | None = None,
        *,
        follow: bool = False,
        tail: int | None = None,
        index: int | None = None,
    ) -> AsyncGenerator[LogLine, None]:
        """The output of the service's containers (every service's when None), line by line.

        Without ``follow`` the containers are read one after another. ``follow`` streams new
        output and needs a single container (a one-replica service, or ``index``; UsageError
        otherwise); stop it with ``async with contextlib.aclosing(stack.logs(...))``.
        """
        engine = await self._connected()
        lines = api_containers.logs(engine, self._project, service, follow, tail, index)
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
            engine, self._project, service, cmd, index, user, workdir, env
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
            engine, self._project, service, container_port, protocol, index
        )

    async def wait_healthy(self, service: str, *, timeout: float = 300.0) -> None:
        """Wait until every container of ``service`` reports healthy after its latest start.

        Raises ReadinessFailed (unhealthy, exited, no healthcheck, or ``timeout`` seconds
        passed), NotFoundError when the service has no container, UsageError when unknown.
        """
        await api_containers.wait_healthy(await self._connected(), self._project, service, timeout)

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


def _checked(outcome: Outcome) -> Plan:
    if outcome.report is not None:
        outcome.report.raise_for_failures()
    return outcome.plan


def _check_loaded(
    project: Project,
    project_name: str | None,
    env: Mapping[str, str] | None,
    profiles: Iterable[str],
    env_files: Files,
) -> None:
    """A loaded project is final: loading arguments beside it would be silently ignored."""
    if project_name is not None and project_name != project.name:
        raise UsageError(
            f"project_name {project_name!r} differs from the loaded project's {project.name!r}; "
            "pass project_name to load_project instead"
        )
    if env or tuple(profiles) or _paths(env_files):
        raise UsageError("env, profiles and env_files apply to loading: pass them to load_project")
