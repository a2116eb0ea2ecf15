"""The per-project lock across real processes: waiting, --no-wait, crashed holders, scoping."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from orchestra.lock import (
    Holder,
    ProjectLockedError,
    lock_directory,
    lock_path,
    project_lock,
)

pytestmark = pytest.mark.anyio

HOST = "unix:///var/run/docker.sock"

HOLDER = textwrap.dedent("""
    import sys, anyio
    from pathlib import Path
    from orchestra.lock import project_lock

    async def main() -> None:
        where = Path(sys.argv[3])
        async with project_lock(sys.argv[1], sys.argv[2], "orchestra up", directory=where):
            print("held", flush=True)
            await anyio.sleep(float(sys.argv[4]))

    anyio.run(main)
""")


def hold(directory: Path, seconds: float, project: str = "demo") -> subprocess.Popen[str]:
    """A process that takes the lock, says "held", keeps it ``seconds``, then exits."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, project, HOST, str(directory), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = hold(tmp_path, 30)
    yield process
    process.kill()
    process.wait()


async def test_no_wait_fails_at_once_naming_the_holder(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    started = time.monotonic()
    with pytest.raises(ProjectLockedError) as caught:
        async with project_lock("demo", HOST, "orchestra down", wait=False, directory=tmp_path):
            pytest.fail("took a lock another process holds")
    assert time.monotonic() - started < 1
    found = caught.value.holder
    assert found is not None
    assert (found.pid, found.command) == (holder.pid, "orchestra up")
    assert f"project demo is locked by pid {holder.pid} on " in str(caught.value)
    assert "(orchestra up) since " in str(caught.value)


async def test_a_waiter_is_told_who_holds_the_lock_and_gets_it_when_released(
    tmp_path: Path,
) -> None:
    process = hold(tmp_path, 0.6)
    told: list[Holder | None] = []
    started = time.monotonic()
    async with project_lock("demo", HOST, "orchestra up", on_wait=told.append, directory=tmp_path):
        waited = time.monotonic() - started
    process.wait()
    assert 0.2 < waited < 5
    assert [h.pid if h else None for h in told] == [process.pid]


async def test_a_killed_holder_does_not_keep_the_lock(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    started = time.monotonic()
    async with project_lock("demo", HOST, "orchestra up", wait=False, directory=tmp_path) as me:
        assert me.pid == os.getpid()
    assert time.monotonic() - started < 1


async def test_other_projects_and_engines_are_not_blocked(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    async with project_lock("other", HOST, "orchestra up", wait=False, directory=tmp_path):
        pass
    async with project_lock("demo", "tcp://10.0.0.1:2375", "up", wait=False, directory=tmp_path):
        pass


async def test_waiting_can_be_cancelled(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    with anyio.move_on_after(0.3) as scope:
        async with project_lock("demo", HOST, "orchestra up", directory=tmp_path):
            pytest.fail("took a lock another process holds")
    assert scope.cancelled_caught


async def test_the_holder_is_recorded_while_held_and_the_file_removed_after(
    tmp_path: Path,
) -> None:
    path = lock_path("demo", HOST, tmp_path)
    async with project_lock("demo", HOST, "orchestra stop", directory=tmp_path) as me:
        assert f'"command": "orchestra stop", "since": {me.since}' in path.read_text()
    assert not path.exists()


async def test_a_holder_that_has_locked_but_not_yet_written_itself_is_still_named(
    tmp_path: Path,
) -> None:
    """The window between a holder's flock and its record (seen once in CI: "held by another
    orchestra command" where the pid was expected)."""
    path = lock_path("demo", HOST, tmp_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    record = '{"pid": 4242, "host": "box", "command": "orchestra up", "since": 0}'
    told: list[Holder | None] = []

    async def write_late() -> None:
        await anyio.sleep(0.05)
        os.pwrite(fd, record.encode(), 0)

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(write_late)
            with pytest.raises(ProjectLockedError, match="locked by pid 4242 on box"):
                async with project_lock("demo", HOST, "down", wait=False, directory=tmp_path):
                    pass
        os.ftruncate(fd, 0)
        async with anyio.create_task_group() as group:
            group.start_soon(write_late)
            with anyio.move_on_after(0.5):
                async with project_lock(
                    "demo", HOST, "down", on_wait=told.append, directory=tmp_path
                ):
                    pass
        assert [h.pid if h else None for h in told] == [4242]
    finally:
        os.close(fd)


CONTENDER = textwrap.dedent("""
    import os, sys, time, anyio
    from pathlib import Path
    from orchestra.lock import project_lock

    async def main() -> None:
        where = Path(sys.argv[2])
        for _ in range(5):
            async with project_lock("demo", sys.argv[1], "up", directory=where, poll=0.001):
                with open(sys.argv[3], "a") as log:
                    log.write(f"in {os.getpid()}\\n")
                time.sleep(0.01)
                with open(sys.argv[3], "a") as log:
                    log.write(f"out {os.getpid()}\\n")

    anyio.run(main)
""")


def test_contending_processes_never_overlap(tmp_path: Path) -> None:
    log = tmp_path / "log"
    args = [sys.executable, "-c", CONTENDER, HOST, str(tmp_path / "locks"), str(log)]
    processes = [subprocess.Popen(args) for _ in range(4)]
    assert [p.wait(timeout=60) for p in processes] == [0, 0, 0, 0]
    lines = log.read_text().splitlines()
    assert len(lines) == 40
    pairs = list(zip(lines[::2], lines[1::2], strict=True))
    assert all(a.split()[0] == "in" and b == "out " + a.split()[1] for a, b in pairs), lines
    assert list((tmp_path / "locks").iterdir()) == []


async def test_one_process_cannot_take_the_lock_twice(tmp_path: Path) -> None:
    async with project_lock("demo", HOST, "orchestra up", directory=tmp_path):
        with pytest.raises(ProjectLockedError, match=f"pid {os.getpid()}"):
            async with project_lock("demo", HOST, "watch", wait=False, directory=tmp_path):
                pass


def test_lock_files_live_under_the_runtime_dir_named_by_engine_and_project(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert lock_directory() == tmp_path / "orchestra-locks"
    path = lock_path("my/app", HOST)
    assert path.parent == tmp_path / "orchestra-locks"
    assert path.name.endswith("-my_app.lock") and len(path.name) == len("-my_app.lock") + 12
    assert lock_path("my/app", "tcp://x:2375") != path
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert lock_directory() == Path("/tmp/orchestra-locks")
