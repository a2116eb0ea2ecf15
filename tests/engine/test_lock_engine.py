"""The per-project lock with the real CLI and engine: concurrent ``up``s, ``--no-wait``, crashes.

Every process of a test shares ``XDG_RUNTIME_DIR=tmp_path``, so the test's locks are its own.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, SERVICE_LABEL, Stack, orchestra_binary

pytestmark = pytest.mark.engine

# Health takes a few seconds, so the first ``up --wait`` holds the lock long enough for the
# second to find it taken.
STACK = f"""
    services:
      db:
        image: {IMAGE}
        command: sh -c "sleep 2 && touch /tmp/ok && exec sleep 600"
        init: true
        healthcheck: {{test: [CMD, test, -f, /tmp/ok], interval: 1s, retries: 20}}
      web:
        image: {IMAGE}
        command: sleep 600
        init: true
        depends_on: {{db: {{condition: service_healthy}}}}
        scale: 2
"""

HOLDER = textwrap.dedent("""
    import sys, anyio
    from orchestra.lock import engine_host, project_lock

    async def main() -> None:
        async with project_lock(sys.argv[1], engine_host(), "holder script"):
            print("held", flush=True)
            await anyio.sleep(600)

    anyio.run(main)
""")


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    made = Stack(docker_client, project_name, tmp_path, env={"XDG_RUNTIME_DIR": str(tmp_path)})
    return made.write(STACK)


def start_up(stack: Stack) -> subprocess.Popen[str]:
    args = ["-p", stack.project, "-f", str(stack.file), "up", "--wait", "--progress", "plain"]
    return subprocess.Popen(
        [orchestra_binary(), *args],
        cwd=stack.directory,
        env={**os.environ, **stack.env, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def hold_lock(stack: Stack) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, stack.project],
        env={**os.environ, **stack.env},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_two_ups_at_once_run_one_after_the_other(stack: Stack) -> None:
    first, second = start_up(stack), start_up(stack)
    outputs = [p.communicate(timeout=180) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    waited = [err for _, err in outputs if "waiting for the lock of project" in err]
    assert len(waited) == 1, outputs
    assert f"held by pid {first.pid} " in waited[0] or f"held by pid {second.pid} " in waited[0]
    assert "(orchestra up)" in waited[0]
    containers = stack.containers()
    services = Counter(c["Labels"][SERVICE_LABEL] for c in containers.values())
    assert services == {"db": 1, "web": 2}
    assert stack.running() == set(containers)
    assert stack.run("plan").rc == 0


def test_no_wait_fails_at_once_naming_the_holder(stack: Stack) -> None:
    holder = hold_lock(stack)
    try:
        started = time.monotonic()
        result = stack.run("up", "--no-wait")
        assert time.monotonic() - started < 15
    finally:
        holder.kill()
        holder.wait()
    assert result.rc == 1, str(result)
    assert f"error: project {stack.project} is locked by pid {holder.pid} on " in result.err
    assert "(holder script)" in result.err
    assert stack.containers() == {}


def test_a_killed_holder_does_not_block_the_next_up(stack: Stack) -> None:
    holder = hold_lock(stack)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    result = stack.run("up", "--no-wait", "--progress", "plain")
    assert result.rc == 0, str(result)
    assert "waiting for the lock" not in result.err
    assert len(stack.running()) == 3


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 60) -> str:
    """Lines of the process's stderr up to the first one containing ``marker``."""
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.5)
        if ready:
            line = process.stderr.readline()
            seen += line
            if marker in line or not line:
                return seen
    raise AssertionError(f"no {marker!r} within {timeout}s; stderr so far: {seen}")


def test_down_waits_for_a_holder_and_then_runs(stack: Stack) -> None:
    stack.up()
    holder = hold_lock(stack)
    down = subprocess.Popen(
        [orchestra_binary(), "-p", stack.project, "-f", str(stack.file), "down"],
        cwd=stack.directory,
        env={**os.environ, **stack.env, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        told = read_until(down, "waiting for the lock")
        assert f"of project {stack.project}, held by pid {holder.pid} on " in told
        time.sleep(1)
        assert down.poll() is None  # still waiting
        assert len(stack.running()) == 3
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait()
    _, err = down.communicate(timeout=120)
    assert down.returncode == 0, err
    assert stack.containers() == {}
