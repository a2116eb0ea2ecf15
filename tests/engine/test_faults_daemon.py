"""The Docker daemon dies or restarts in the middle of ``orchestra up``.

The test starts a daemon of its own (tests/engine/own_dockerd.py: own socket, data root, exec
root, pid file, network namespace), points orchestra at it with ``DOCKER_HOST`` and kills it
(SIGKILL, a crash) or stops it (SIGTERM, a restart) after a few of the project's lifecycle
events. orchestra must say the engine is unavailable and exit 3 without a traceback, and once
the daemon is back, the next ``up`` must converge with the volume data intact.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults import EventCounter, FaultStack, convergence_problems, start_up
from own_dockerd import OwnDaemon, own_dockerd
from stacks import Stack

from bench.generate import StackShape

pytestmark = [pytest.mark.engine, pytest.mark.slow]

# Connection refused or reset, or (a daemon shutting down) its runtime gone for calls in flight.
UNAVAILABLE = ("cannot reach the Docker Engine at unix://", "the Docker Engine stopped serving")


@pytest.fixture(scope="module")
def daemon(docker_client: Any) -> Iterator[OwnDaemon]:
    # docker_client first: it fails under CI (skips locally) when no engine answers.
    missing = [tool for tool in ("dockerd", "nsenter", "ip") if shutil.which(tool) is None]
    assert not missing, f"missing {missing}: make test installs docker.io and iproute2"
    with own_dockerd() as started:
        yield started


@pytest.fixture
def fault(daemon: OwnDaemon, project_name: str, tmp_path: Path) -> Iterator[FaultStack]:
    client = daemon.client()
    stack = Stack(client, project_name, tmp_path, env={"DOCKER_HOST": daemon.host})
    made = FaultStack(stack, StackShape(12, layers=3, seed=11))
    made.write()
    yield made
    client.close()


def up_converged(fault: FaultStack) -> None:
    fault.stack.ok("up", "-d", "--progress", "plain", timeout=300)
    assert convergence_problems(fault) == []


def up_cut_by(daemon: OwnDaemon, fault: FaultStack, signum: int, after: int) -> tuple[int, str]:
    """Run ``up -d``, signal the daemon after ``after`` lifecycle events; (exit code, output)."""
    counter = EventCounter(fault.stack.client, fault.stack.project)
    process = start_up(fault.stack)
    try:
        seen = counter.wait_for(after, process, timeout=120)
        assert process.poll() is None, f"up ended after {seen} events, before the cut"
        daemon.kill(signum)
    finally:
        counter.close()
    started = time.monotonic()
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"up hung after the daemon died:\n{out}\n{err}") from None
    took = time.monotonic() - started
    name = signal.Signals(signum).name
    print(f"{name} after {seen} events: exit {process.returncode} in {took:.1f}s")
    return process.returncode, out + err


def restart(daemon: OwnDaemon, fault: FaultStack) -> None:
    fault.stack.client.close()
    daemon.start()
    fault.stack.client = daemon.client()


def test_up_against_a_stopped_daemon_exits_3(daemon: OwnDaemon, fault: FaultStack) -> None:
    up_converged(fault)
    daemon.kill(signal.SIGTERM)
    try:
        result = fault.stack.run("up", "-d", "--progress", "plain")
    finally:
        restart(daemon, fault)
    assert result.rc == 3, str(result)
    assert UNAVAILABLE[0] in result.err and "Traceback" not in result.out + result.err


def test_daemon_killed_during_recreate_then_up_converges(
    daemon: OwnDaemon, fault: FaultStack
) -> None:
    up_converged(fault)
    fault.write_volume_data()
    fault.trial.update({name: "1" for name in fault.services})
    fault.write()
    try:
        rc, output = up_cut_by(daemon, fault, signal.SIGKILL, after=15)
    finally:
        restart(daemon, fault)
    assert rc == 3, output
    assert any(text in output for text in UNAVAILABLE) and "Traceback" not in output, output
    up_converged(fault)


def test_daemon_restarted_during_cold_up_then_up_converges(
    daemon: OwnDaemon, fault: FaultStack
) -> None:
    up_converged(fault)
    fault.write_volume_data()
    fault.stack.ok("down", timeout=300)
    try:
        rc, output = up_cut_by(daemon, fault, signal.SIGTERM, after=8)
    finally:
        restart(daemon, fault)
    assert rc == 3, output
    assert any(text in output for text in UNAVAILABLE) and "Traceback" not in output, output
    first = fault.stack.run("up", "-d", "--progress", "plain", timeout=300)
    stale = [line for line in first.err.splitlines() if "failed: " in line]
    leftovers = ("already exists", "failed to start shim")
    if first.rc != 0 and stale and all(any(t in ln for t in leftovers) for ln in stale):
        # Engine 20.10: a start cut by the daemon's shutdown leaves a containerd task behind;
        # after the restart, starting that container fails with "task ...: already exists"
        # (or "failed to start shim: mkdir ...: file exists"),
        # on every ``up`` (the same engine call as docker compose's). Open: orchestra could
        # replace such a container. Replacing it by hand (--force-recreate) must converge.
        fault.stack.ok("up", "-d", "--force-recreate", "--progress", "plain", timeout=300)
        assert convergence_problems(fault) == []
        pytest.xfail(f"a plain up does not recover after a restart mid-start: {stale[0].strip()}")
    assert first.rc == 0, str(first)
    assert convergence_problems(fault) == []
