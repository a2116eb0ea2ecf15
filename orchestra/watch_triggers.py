"""What makes ``orchestra watch`` run a pass, and what the engine's events say about containers.

Triggers only trigger. Every source calls ``Triggers.fire(kind, detail)``: the engine's event
stream (``follow_engine``), the compose-file poller (``FileWatch`` + ``poll_files``), and the
loop's own timers (periodic resync, end of a backoff). The loop in ``watch`` takes everything
fired so far as one ``Batch`` and runs one pass for it, so a burst becomes one pass.

``ContainerHistory`` reads the container events of the project: it tells a run that ended on its
own (a crash, or a job that completed with exit 0) from one that was stopped or killed (a
``kill``/``stop`` event came first), and it notices starts that orchestra did not make (the
engine's restart policy, or a person), for ``depends_on.restart``.

Imports ``engine.base``, ``errors`` and ``anyio``; never ``docker``, ``spec`` or ``plan``.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio.abc import TaskStatus

from orchestra.engine.base import Engine, EngineEvent
from orchestra.errors import EngineError

__all__ = [
    "TRIGGER_ACTIONS",
    "Batch",
    "ContainerHistory",
    "Ending",
    "FileWatch",
    "Triggers",
    "follow_engine",
    "poll_files",
    "watched_paths",
]

# Container events that may leave the project different from its files. Healthcheck execs
# (``exec_create``/``exec_start``/``exec_die``, one set per check) and ``attach`` are not here.
TRIGGER_ACTIONS = frozenset(
    {
        "create",
        "start",
        "die",
        "kill",
        "stop",
        "destroy",
        "oom",
        "pause",
        "unpause",
        "rename",
        "health_status: unhealthy",
    }
)
_SERVICE_LABEL = "com.docker.compose.service"
_KEY_LEN = 12  # ids are compared on their first 12 hex digits, as the engine shortens them
_MAX_DETAILS = 6  # per trigger kind; more would only make the pass line long


@dataclass(frozen=True)
class Batch:
    """Everything fired since the last pass: the kinds (sorted) and a few details of each."""

    kinds: tuple[str, ...]
    details: tuple[str, ...] = ()

    @property
    def trigger(self) -> str:
        """``events+files``: the kinds joined, as the metrics name them."""
        return "+".join(self.kinds) or "none"

    def has(self, kind: str) -> bool:
        return kind in self.kinds


class Triggers:
    """Reasons for the next pass, collected from every source until the loop takes them."""

    def __init__(self) -> None:
        self._fired: dict[str, list[str]] = {}
        self._wake = anyio.Event()

    @property
    def pending(self) -> bool:
        return bool(self._fired)

    def fire(self, kind: str, detail: str = "") -> None:
        """Ask for a pass because of ``kind`` (``events``, ``files``, ``resync``, ...)."""
        details = self._fired.setdefault(kind, [])
        if detail and detail not in details and len(details) < _MAX_DETAILS:
            details.append(detail)
        self._wake.set()

    async def wait(self, timeout: float | None) -> bool:
        """Wait until something is fired (True) or ``timeout`` seconds pass (False)."""
        if self._fired:
            return True
        with anyio.move_on_after(math.inf if timeout is None else max(timeout, 0.0)):
            await self._wake.wait()
            return True
        return False

    def take(self) -> Batch:
        """Everything fired so far, as one batch; the collection starts empty again."""
        fired, self._fired = self._fired, {}
        self._wake = anyio.Event()
        kinds = tuple(sorted(fired))
        details = tuple(detail for kind in kinds for detail in fired[kind])
        return Batch(kinds, details)


@dataclass(frozen=True)
class _Snapshot:
    stat: tuple[int, int, int] | None  # (mtime_ns, size, inode); None when the file is missing
    digest: str | None


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _snapshot(path: Path) -> _Snapshot:
    stat = _stat(path)
    return _Snapshot(stat, _digest(path) if stat is not None else None)


class FileWatch:
    """Notices changes to the content of some files by polling: a stat, and a hash on change.

    A file that only got touched (same content) does not count; a file that appears or
    disappears does.
    """

    def __init__(self, paths: Iterable[Path]) -> None:
        self._seen: dict[Path, _Snapshot] = {}
        self.track(paths)

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(self._seen)

    def track(self, paths: Iterable[Path]) -> None:
        """Watch exactly ``paths`` from now on (files already watched keep their state)."""
        wanted = list(dict.fromkeys(paths))
        self._seen = {p: self._seen.get(p) or _snapshot(p) for p in wanted}

    def changed(self) -> list[Path]:
        """The files whose content changed since the last call (or since they were tracked)."""
        found = []
        for path, before in self._seen.items():
            stat = _stat(path)
            if stat == before.stat:
                continue
            now = _Snapshot(stat, _digest(path) if stat is not None else None)
            self._seen[path] = now
            if now.digest != before.digest:
                found.append(path)
        return found


def watched_paths(
    files: Sequence[Path], directory: Path, env_files: Sequence[Path] = ()
) -> tuple[Path, ...]:
    """The compose files and the ``.env`` files (``--env-file``, else ``<directory>/.env``)."""
    envs = tuple(env_files) or (directory / ".env",)
    return tuple(dict.fromkeys((*files, *envs)))


async def poll_files(watch: FileWatch, triggers: Triggers, interval: float) -> None:
    """Fire ``files`` whenever a watched file changes; runs until cancelled."""
    while True:
        await anyio.sleep(interval)
        changed = watch.changed()
        for path in changed:
            triggers.fire("files", path.name)


async def follow_engine(
    engine: Engine,
    project: str,
    handle: Callable[[EngineEvent], None],
    connected: Callable[[str | None], None],
    retry: float = 2.0,
    *,
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Feed the project's engine events to ``handle``; reconnect after ``retry`` s when lost.

    ``connected(None)`` is called on every (re)connection, ``connected(reason)`` when the stream
    is lost or cannot be opened. Reports started after the first attempt, whatever its result.
    """
    reported = False
    while True:
        try:
            async with engine.events(project) as stream:
                connected(None)
                if not reported:
                    task_status.started()
                    reported = True
                async for event in stream:
                    handle(event)
            connected("the engine closed the event stream")
        except (EngineError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            connected(str(exc) or type(exc).__name__)
        if not reported:
            task_status.started()
            reported = True
        await anyio.sleep(retry)


@dataclass(frozen=True)
class Ending:
    """How a container's run ended (or went bad), as its events tell it."""

    service: str
    container: str  # the container's name
    kind: str  # "crashed" | "completed" | "stopped" | "unhealthy"
    exit_code: str = ""
    ran_for: float | None = None  # seconds since its start; None when the start was not seen

    @property
    def reason(self) -> str:
        """``exit 1 after 0.2 s``, ``unhealthy after 12 s``: for messages."""
        what = "unhealthy" if self.kind == "unhealthy" else f"exit {self.exit_code or '?'}"
        return what if self.ran_for is None else f"{what} after {self.ran_for:.1f} s"


def _key(container_id: str) -> str:
    return container_id[:_KEY_LEN]


class ContainerHistory:
    """What the project's container events said since the watch began."""

    def __init__(self) -> None:
        self._started: dict[str, int] = {}  # key → time_nano of the current run's start
        self._signalled: set[str] = set()  # keys stopped or killed during their current run
        self._completed: dict[str, str] = {}  # key → full id of runs that completed (exit 0)
        self._starts: list[tuple[str, str]] = []  # (key, service) of starts since the last take
        self._ours: Counter[str] = Counter()  # starts orchestra made, not yet matched

    @property
    def completed(self) -> frozenset[str]:
        """Full ids of containers whose last run ended with exit 0, by itself."""
        return frozenset(self._completed.values())

    def assume_completed(self, container_ids: Iterable[str]) -> None:
        """Count stopped containers as completed (exit 0 seen by inspect, history unknown)."""
        for container_id in container_ids:
            self._completed[_key(container_id)] = container_id

    def expect_starts(self, container_ids: Iterable[str]) -> None:
        """Containers orchestra just started: their ``start`` events are not someone else's."""
        self._ours.update(_key(i) for i in container_ids)

    def take_restarted(self) -> frozenset[str]:
        """Services started by someone else (engine or person) since the last call."""
        found = set()
        for key, service in self._starts:
            if self._ours[key] > 0:
                self._ours[key] -= 1
            elif service:
                found.add(service)
        # Everything orchestra did before this point has been matched or will never come.
        self._starts.clear()
        self._ours.clear()
        return frozenset(found)

    def note(self, event: EngineEvent) -> Ending | None:
        """Take in one event; how the run ended when the event is a ``die`` or ``unhealthy``."""
        if event.type != "container":
            return None
        key, action = _key(event.id), event.action
        if action == "start":
            self._started[key] = event.time_nano
            self._signalled.discard(key)
            self._completed.pop(key, None)
            self._starts.append((key, event.attributes.get(_SERVICE_LABEL, "")))
        elif action in ("kill", "stop"):
            self._signalled.add(key)
        elif action == "destroy":
            self._started.pop(key, None)
            self._signalled.discard(key)
            self._completed.pop(key, None)
        elif action == "die":
            return self._ended(event, key)
        elif action == "health_status: unhealthy":
            return self._ending(event, key, "unhealthy")
        return None

    def _ended(self, event: EngineEvent, key: str) -> Ending:
        code = event.attributes.get("exitCode", "")
        if key in self._signalled:
            return self._ending(event, key, "stopped", code)
        if code == "0":
            self._completed[key] = event.id
            return self._ending(event, key, "completed", code)
        return self._ending(event, key, "crashed", code)

    def _ending(self, event: EngineEvent, key: str, kind: str, code: str = "") -> Ending:
        started = self._started.get(key)
        ran = None if started is None else max(event.time_nano - started, 0) / 1e9
        return Ending(
            service=event.attributes.get(_SERVICE_LABEL, ""),
            container=event.attributes.get("name", key),
            kind=kind,
            exit_code=code,
            ran_for=ran,
        )
