"""pytest plugin: Compose stacks as test fixtures (entry point ``pytest11``: ``orchestra``).

Fixtures (all hand out ``orchestra.SyncStack`` objects, already up and ready):

- ``orchestra_stack``: a factory, ``orchestra_stack("compose.yaml", services=["db"],
  scope="session")``. pytest cannot give one fixture a scope per call, so the *stack* has the
  scope: it is started on the first request and shared by every later request with the same
  arguments until its scope node (the test, class, module, package or session) ends.
- ``compose_stack``: the same, configured by ``@pytest.mark.orchestra(files, services=...,
  scope=...)`` on the test, its class or its module (``pytestmark``).
- ``orchestra_stacks``: the session's ``StackRegistry``; ``orchestra_stacks.start(files, ...)``
  gives session-scoped fixtures of your own a session-scoped stack.

Every stack gets a unique project name ``<prefix>-<run>-<worker>-<n>-<dir>`` (the run token is
shared by pytest-xdist workers, the worker id tells them apart), so parallel runs never collide.
Stacks are torn down (``down -v``) when their scope ends, after a failed ``up`` (after reading
its logs), and at session end for anything left (Ctrl-C included); ``--orchestra-keep`` leaves
them running and lists them. A failing test's report gets the last log lines of every stack it
used (ini ``orchestra_log_lines``).

Imported by every pytest run once orchestra is installed: at import time it loads only pytest
and the standard library; orchestra's engine code is imported on first use of a fixture.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from orchestra.sync import SyncStack

__all__ = ["StackFactory", "StackRegistry", "StackRequest"]

SCOPES = ("function", "class", "module", "package", "session")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class StackRequest:
    """What a test asked for; equal requests in one scope share one stack."""

    files: tuple[str, ...]
    services: tuple[str, ...] | None = None
    env: tuple[tuple[str, str], ...] = ()
    env_files: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    project_directory: str | None = None

    @classmethod
    def build(
        cls,
        base: Path,
        files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        services: Iterable[str] | None = None,
        env: Mapping[str, str] | None = None,
        env_files: Iterable[str | os.PathLike[str]] = (),
        profiles: Iterable[str] = (),
        project_directory: str | os.PathLike[str] | None = None,
    ) -> StackRequest:
        """A request with paths made absolute against ``base`` (the test file's directory)."""
        listed = [files] if isinstance(files, str | os.PathLike) else list(files)
        return cls(
            files=tuple(str(base / f) for f in listed),
            services=tuple(services) if services is not None else None,
            env=tuple(sorted((env or {}).items())),
            env_files=tuple(str(base / f) for f in env_files),
            profiles=tuple(profiles),
            project_directory=str(base / project_directory) if project_directory else None,
        )

    def slug(self) -> str:
        """A short readable part for the project name: the first file's directory."""
        if self.project_directory:
            folder = Path(self.project_directory).name
        else:
            folder = Path(self.files[0]).parent.name if self.files else ""
        return _SLUG.sub("", folder.lower())[:20] or "stack"


@dataclass
class _Held:
    stack: SyncStack
    label: str  # "<scope> <nodeid>", for messages


@dataclass
class StackRegistry:
    """Every stack this pytest process started, by scope node and request."""

    prefix: str
    run: str
    worker: str
    keep: bool
    log_lines: int
    held: dict[tuple[str, StackRequest], _Held] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    failed_teardowns: list[str] = field(default_factory=list)
    session: pytest.Session | None = None
    numbers: count[int] = field(default_factory=lambda: count(1))

    def project_name(self, request: StackRequest) -> str:
        """A project name no other test, worker or run uses."""
        parts = [self.prefix, self.run, self.worker, str(next(self.numbers)), request.slug()]
        return "-".join(p for p in parts if p)

    def acquire(
        self, request: StackRequest, node: pytest.Item | pytest.Collector, scope: str, item: Any
    ) -> SyncStack:
        """The stack for ``request`` in ``node``'s scope, started (and ready) on first use."""
        key = (node.nodeid, request)
        held = self.held.get(key)
        if held is None:
            held = self._start(key, request, node, scope, item)
        _used_by(item).append(held.stack)
        return held.stack

    def start(
        self,
        files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        services: Iterable[str] | None = None,
        env: Mapping[str, str] | None = None,
        env_files: Iterable[str | os.PathLike[str]] = (),
        profiles: Iterable[str] = (),
        project_directory: str | os.PathLike[str] | None = None,
    ) -> SyncStack:
        """A session-scoped stack, for session-scoped fixtures of your own.

        Relative paths are resolved against the rootdir. Raises RuntimeError outside a session.
        """
        if self.session is None:
            raise RuntimeError("orchestra_stacks.start needs a running pytest session")
        request = StackRequest.build(
            self.session.config.rootpath,
            files,
            services=services,
            env=env,
            env_files=env_files,
            profiles=profiles,
            project_directory=project_directory,
        )
        return self.acquire(request, self.session, "session", None)

    def _start(
        self,
        key: tuple[str, StackRequest],
        request: StackRequest,
        node: pytest.Item | pytest.Collector,
        scope: str,
        item: Any,
    ) -> _Held:
        from orchestra.sync import SyncStack

        stack = SyncStack(
            request.files,
            project_name=self.project_name(request),
            env=dict(request.env),
            env_files=request.env_files,
            profiles=request.profiles,
            project_directory=request.project_directory,
        )
        held = _Held(stack, f"{scope} {node.nodeid or '<session>'}")
        # Registered before ``up``: an interrupted ``up`` is still torn down at session end.
        self.held[key] = held
        node.addfinalizer(lambda: self.release(key))
        try:
            stack.up(request.services)
        except BaseException as exc:
            if item is not None and isinstance(exc, Exception):
                _captured(item).extend(self.log_sections(stack))
            try:
                self.release(key)
            except Exception as teardown:  # the failed up is the error to report
                exc.add_note(f"orchestra: the teardown after it failed too: {teardown}")
            raise
        return held

    def release(self, key: tuple[str, StackRequest]) -> None:
        """Tear down one stack (or keep it, with ``--orchestra-keep``); idempotent."""
        held = self.held.pop(key, None)
        if held is None:
            return
        if self.keep:
            self.kept.append(held.stack.name)
            return
        held.stack.down(volumes=True, remove_orphans=True)

    def release_all(self) -> None:
        """Tear down every stack still held, going on past failures (listed in the summary)."""
        for key in list(self.held):
            name = self.held[key].stack.name
            try:
                self.release(key)
            except Exception as exc:
                self.failed_teardowns.append(f"{name}: {exc}")

    def log_sections(self, stack: SyncStack) -> list[tuple[str, str]]:
        """A report section with the last log lines of every container of ``stack``."""
        title = f"orchestra logs: {stack.name}"
        try:
            lines = stack.logs(tail=self.log_lines)
        except Exception as exc:  # the report must not fail because logs are unreadable
            return [(title, f"(logs unavailable: {exc})")]
        prefix = stack.name + "-"
        width = max((len(line.container.removeprefix(prefix)) for line in lines), default=0)
        text = "\n".join(
            f"{line.container.removeprefix(prefix).ljust(width)} | {line.text.rstrip()}"
            for line in lines
        )
        return [(title, text or "(no output)")]


class StackFactory(Protocol):
    """The ``orchestra_stack`` fixture: call it to get a running stack."""

    def __call__(
        self,
        files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        services: Iterable[str] | None = None,
        scope: str = "function",
        env: Mapping[str, str] | None = None,
        env_files: Iterable[str | os.PathLike[str]] = (),
        profiles: Iterable[str] = (),
        project_directory: str | os.PathLike[str] | None = None,
    ) -> SyncStack: ...


_REGISTRY = pytest.StashKey[StackRegistry]()
_USED = pytest.StashKey[list["SyncStack"]]()
_CAPTURED = pytest.StashKey[list[tuple[str, str]]]()


def _used_by(item: Any) -> list[SyncStack]:
    if item is None:
        return []
    used: list[SyncStack] = item.stash.setdefault(_USED, [])
    return used


def _captured(item: pytest.Item) -> list[tuple[str, str]]:
    return item.stash.setdefault(_CAPTURED, [])


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("orchestra", "orchestra Compose stacks")
    group.addoption(
        "--orchestra-keep",
        action="store_true",
        default=False,
        help="leave the stacks of this run running (for debugging); their names are listed",
    )
    parser.addini("orchestra_project_prefix", "prefix of the stacks' project names", default="pt")
    parser.addini(
        "orchestra_log_lines", "log lines per container on a failing test's report", default="200"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "orchestra(files, *, services=None, scope='function', env=None, env_files=(), "
        "profiles=(), project_directory=None): the Compose stack the compose_stack fixture gives",
    )
    workerinput: Mapping[str, Any] = getattr(config, "workerinput", {})
    run = str(workerinput.get("testrunuid") or secrets.token_hex(3))[:6]
    config.stash[_REGISTRY] = StackRegistry(
        prefix=_SLUG.sub("-", str(config.getini("orchestra_project_prefix")).lower()).strip("-"),
        run=run.lower(),
        worker=os.environ.get("PYTEST_XDIST_WORKER", ""),
        keep=bool(config.getoption("orchestra_keep")),
        log_lines=int(config.getini("orchestra_log_lines")),
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_REGISTRY].session = session


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    # After pytest's own teardown of every scope: only interrupted runs leave stacks here.
    registry = session.config.stash.get(_REGISTRY, None)
    if registry is not None:
        registry.release_all()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    registry = config.stash.get(_REGISTRY, None)
    if registry is None:
        return
    if registry.failed_teardowns:
        terminalreporter.section("orchestra: teardowns that failed", red=True)
        for line in registry.failed_teardowns:
            terminalreporter.line(line)
    if registry.kept:
        terminalreporter.section("orchestra: stacks kept (--orchestra-keep)")
        for name in registry.kept:
            terminalreporter.line(f"{name}    remove with: orchestra -p {name} down -v")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and report.when in ("setup", "call"):
        registry = item.config.stash[_REGISTRY]
        sections = list(_captured(item))
        for stack in dict.fromkeys(_used_by(item)):
            sections += registry.log_sections(stack)
        report.sections.extend(sections)
    return report


def _scope_node(request: pytest.FixtureRequest, scope: str) -> pytest.Item | pytest.Collector:
    """The node whose end ends a stack of ``scope``; a missing class or package widens it."""
    if scope not in SCOPES:
        raise pytest.UsageError(f"orchestra: unknown scope {scope!r} (one of {', '.join(SCOPES)})")
    item: pytest.Item = request.node  # ``request.node`` is typed Any: a function's is its item
    if scope == "function":
        return item
    widening = {"class": (pytest.Class, pytest.Module), "module": (pytest.Module,)}
    for kind in widening.get(scope, (pytest.Package,)):
        node = item.getparent(kind)
        if node is not None:
            return node
    return request.session


@pytest.fixture(scope="session")
def orchestra_stacks(request: pytest.FixtureRequest) -> StackRegistry:
    """The registry of this session's stacks (``start`` gives a session-scoped one)."""
    return request.config.stash[_REGISTRY]


@pytest.fixture
def orchestra_stack(
    request: pytest.FixtureRequest, orchestra_stacks: StackRegistry
) -> StackFactory:
    """A factory of running stacks; paths are relative to the test file's directory."""
    base = Path(request.path).parent

    def make(
        files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        services: Iterable[str] | None = None,
        scope: str = "function",
        env: Mapping[str, str] | None = None,
        env_files: Iterable[str | os.PathLike[str]] = (),
        profiles: Iterable[str] = (),
        project_directory: str | os.PathLike[str] | None = None,
    ) -> SyncStack:
        wanted = StackRequest.build(
            base,
            files,
            services=services,
            env=env,
            env_files=env_files,
            profiles=profiles,
            project_directory=project_directory,
        )
        node = _scope_node(request, scope)
        return orchestra_stacks.acquire(wanted, node, scope, request.node)

    return make


@pytest.fixture
def compose_stack(request: pytest.FixtureRequest, orchestra_stack: StackFactory) -> SyncStack:
    """The stack ``@pytest.mark.orchestra(files, ...)`` describes (closest marker wins)."""
    marker = request.node.get_closest_marker("orchestra")
    if marker is None:
        raise pytest.UsageError(
            "compose_stack needs @pytest.mark.orchestra(files, ...) on the test, class or module"
        )
    return orchestra_stack(*marker.args, **marker.kwargs)
