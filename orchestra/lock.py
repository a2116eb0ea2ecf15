"""The per-project lock: two orchestra commands never change one project at the same time.

A command that mutates a project (``up``, ``down``, ``start``/``stop``/``restart``, each pass of
``watch``) holds an exclusive ``flock`` on
``${XDG_RUNTIME_DIR:-/tmp}/orchestra-locks/<engine-hash>-<project>.lock`` from its observe to the
end of its execution. The kernel drops a ``flock`` when its holder exits, even on ``kill -9``, so
a crashed holder never leaves the project stuck. The holder writes who it is (pid, host, command,
since) into the file; a waiter reads that to say whom it waits for. The holder removes the file
while it still holds the lock, and an acquirer that locked a file which is no longer at the path
starts over, so two processes never hold two different files of one path (and no lock file is
left behind, except by a crashed holder; the next run takes that one over).

The lock covers one machine (processes sharing the lock directory), not several machines
driving one remote engine. It is not reentrant: one process must not take it twice.

Acquiring polls a non-blocking ``flock`` every ``poll`` seconds on the event loop, so Ctrl-C and
cancellation work while waiting. ``lock_if_free`` is the blocking variant that never waits: the
no-op ``up`` takes it without an event loop (``orchestra.api_quick``). Imports the standard
library, ``errors`` and (only to wait) ``anyio``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from orchestra.errors import OrchestraError
from orchestra.records import record

__all__ = [
    "DEFAULT_ENGINE_HOST",
    "Holder",
    "ProjectLockedError",
    "command_lock",
    "engine_host",
    "lock_directory",
    "lock_if_free",
    "lock_path",
    "project_lock",
    "read_holder",
    "report_waiting",
]

DEFAULT_ENGINE_HOST = "unix:///var/run/docker.sock"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_HOLDER_READS = 10
_HOLDER_READ_PAUSE = 0.02  # seconds


@record
class Holder:
    """Who holds (or last held) a project's lock."""

    pid: int
    host: str
    command: str
    since: float  # unix seconds

    def describe(self) -> str:
        """``pid 4242 on box (orchestra up) since 12:00:03``."""
        clock = time.strftime("%H:%M:%S", time.localtime(self.since))
        return f"pid {self.pid} on {self.host} ({self.command}) since {clock}"


class ProjectLockedError(OrchestraError):
    """Another orchestra command holds the project's lock and the caller would not wait."""

    def __init__(self, project: str, holder: Holder | None) -> None:
        self.project = project
        self.holder = holder
        who = holder.describe() if holder is not None else "another orchestra command"
        super().__init__(
            f"project {project} is locked by {who}; try again when it is done, "
            "or leave out --no-wait to wait for it"
        )


def engine_host() -> str:
    """The engine address the lock is scoped to: ``DOCKER_HOST`` or the local socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_ENGINE_HOST


def lock_directory() -> Path:
    """``$XDG_RUNTIME_DIR/orchestra-locks``, else ``/tmp/orchestra-locks``."""
    return Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp") / "orchestra-locks"


def lock_path(project: str, host: str, directory: Path | None = None) -> Path:
    """The lock file of ``project`` on the engine at ``host``."""
    digest = hashlib.sha256(host.encode()).hexdigest()[:12]
    return (directory or lock_directory()) / f"{digest}-{_UNSAFE.sub('_', project)}.lock"


def _open(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not inheritable (Python's default): a child process must not keep the lock alive.
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise OrchestraError(f"cannot open the project lock {path}: {exc}") from exc


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def read_holder(fd: int) -> Holder | None:
    """The holder recorded in an open lock file; None when empty or unreadable."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "null")
        return Holder(
            int(data["pid"]), str(data["host"]), str(data["command"]), float(data["since"])
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _write_holder(fd: int, holder: Holder) -> None:
    text = json.dumps(
        {"pid": holder.pid, "host": holder.host, "command": holder.command, "since": holder.since}
    )
    os.ftruncate(fd, 0)
    os.pwrite(fd, text.encode(), 0)


def report_waiting(project: str) -> Callable[[Holder | None], None]:
    """An ``on_wait`` callback that tells the user on stderr whom the command waits for."""

    def say(holder: Holder | None) -> None:
        who = holder.describe() if holder is not None else "another orchestra command"
        print(f"waiting for the lock of project {project}, held by {who}", file=sys.stderr)

    return say


def _is_current(fd: int, path: Path) -> bool:
    """Whether ``fd`` is still the file at ``path`` (a releasing holder removes the file)."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)


async def _written_holder(fd: int) -> Holder | None:
    """The holder of the locked file ``fd``, once it has written itself: a holder that has just
    taken the flock writes its record a moment later, so an empty file is read again a few times
    before the holder is called unknown."""
    import anyio

    for _ in range(_HOLDER_READS):
        holder = read_holder(fd)
        if holder is not None:
            return holder
        await anyio.sleep(_HOLDER_READ_PAUSE)
    return read_holder(fd)


async def _acquire(
    project: str,
    path: Path,
    wait: bool,
    on_wait: Callable[[Holder | None], None] | None,
    poll: float,
) -> int:
    """An open descriptor of ``path`` holding its flock; see ``project_lock`` for the errors."""
    import anyio  # only a waiter needs the event loop's sleep

    told = False
    while True:
        fd = _open(path)
        try:
            while not _try_lock(fd):
                if not wait:
                    raise ProjectLockedError(project, await _written_holder(fd))
                if on_wait is not None and not told:
                    on_wait(await _written_holder(fd))
                    told = True
                await anyio.sleep(poll)
        except BaseException:
            os.close(fd)
            raise
        if _is_current(fd, path):
            return fd
        os.close(fd)  # locked a file its holder removed on release: lock the new one


@contextlib.asynccontextmanager
async def project_lock(
    project: str,
    host: str,
    command: str,
    *,
    wait: bool = True,
    on_wait: Callable[[Holder | None], None] | None = None,
    poll: float = 0.1,
    directory: Path | None = None,
) -> AsyncIterator[Holder]:
    """Hold the lock of ``project`` on the engine at ``host`` for the ``async with`` body.

    Without ``wait``, raises ProjectLockedError naming the holder when the lock is taken;
    with it, calls ``on_wait(holder)`` once and polls until the lock is free. Raises
    OrchestraError when the lock file cannot be opened.
    """
    path = lock_path(project, host, directory)
    fd = await _acquire(project, path, wait, on_wait, poll)
    with _holding(fd, path, command) as me:
        yield me


@contextlib.contextmanager
def _holding(fd: int, path: Path, command: str) -> Iterator[Holder]:
    """Record ourselves in the locked file ``fd``; on exit remove the file and unlock."""
    try:
        me = Holder(os.getpid(), socket.gethostname(), command, time.time())
        _write_holder(fd, me)
        yield me
    finally:
        # Removed while still locked, so no one can lock this file after we let go of it.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)  # closing the descriptor releases the flock


def _lock_now(path: Path) -> int | None:
    """An open descriptor of ``path`` holding its flock, or None when another holds it."""
    while True:
        fd = _open(path)
        if not _try_lock(fd):
            os.close(fd)
            return None
        if _is_current(fd, path):
            return fd
        os.close(fd)  # locked a file its holder removed on release: lock the new one


@contextlib.contextmanager
def lock_if_free(
    project: str, host: str, command: str, *, directory: Path | None = None
) -> Iterator[Holder | None]:
    """Hold the lock of ``project`` for the ``with`` body if nobody holds it now (yields the
    holder record), else yield None at once: the caller then takes ``project_lock``, which waits
    and says whom for. Raises OrchestraError when the lock file cannot be opened."""
    path = lock_path(project, host, directory)
    fd = _lock_now(path)
    if fd is None:
        yield None
        return
    with _holding(fd, path, command) as me:
        yield me


def command_lock(project: str, command: str, *, wait: bool) -> AbstractAsyncContextManager[Holder]:
    """The lock as a CLI command takes it: on this engine, saying on stderr whom it waits for."""
    return project_lock(project, engine_host(), command, wait=wait, on_wait=report_waiting(project))
