"""The Docker daemon dies or restarts in the middle of ``orchestra up``.

The test starts a daemon of its own (tests/engine/own_dockerd.py: own socket, data root, exec
root, pid file, network namespace), points orchestra at it with ``DOCKER_HOST`` and kills it
(SIGKILL, a crash) or stops it (SIGTERM, a restart) after a few of the project's lifecycle
events. orchestra must say the engine is unavailable and exit 3 without a traceback, and once
the daemon is back, the next ``up`` must converge with the volume data intact.

Engine 20.10 keeps the containerd task (or the shim's directory) of a container whose start the
SIGTERM cut short, and refuses every later start of it; ``up`` then replaces that container with
a warning. The last test makes that state on purpose (the shim's directory left in place) and
compares with ``docker compose``, which fails there.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults import EventCounter, FaultStack, convergence_problems, start_up
from oracle import clean_env, oracle_binary
from own_dockerd import OwnDaemon, own_dockerd
from stacks import SLEEPER, Stack

from bench.generate import StackShape

pytestmark = [pytest.mark.engine, pytest.mark.slow]

# Connection refused or reset, or (a daemon shutting down) its runtime gone for calls in flight.
UNAVAILABLE = ("cannot reach the Docker Engine at unix://", "the Docker Engine stopped serving")
# What ``up`` says when it replaced a container the engine kept a stale task of.
REPLACED = "the engine kept a stale task for container"


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
    # Containers whose start the shutdown cut short are refused by the engine from now on
    # ("task ...: already exists"): this ``up`` replaces them, saying so, and converges.
    began = time.monotonic()
    first = fault.stack.ok("up", "-d", "--progress", "plain", timeout=300)
    replaced = [line for line in first.err.splitlines() if REPLACED in line]
    took = time.monotonic() - began
    print(f"first up after the restart: {took:.1f}s, replaced {len(replaced)}: {replaced}")
    assert "Traceback" not in first.out + first.err
    assert convergence_problems(fault) == []
    fault.write_volume_data()  # the stack is usable: the volumes take writes again


# SLEEPER's continuation lines expect service keys at 12 spaces.
STALE_STACK = f"""
        services:
          db:
            {SLEEPER}
            volumes: ["/data"]
          web:
            {SLEEPER}
            depends_on: [db]
"""


def leave_stale_shim(daemon: OwnDaemon, container_id: str) -> None:
    """What a daemon restart mid-start leaves: the shim's bundle directory of the container."""
    tasks = daemon.exec_root / "containerd" / "daemon" / "io.containerd.runtime.v2.task"
    os.makedirs(tasks / daemon.netns / container_id)


def oracle_refused(daemon: OwnDaemon, stack: Stack) -> str:
    """``docker compose up -d`` after the same stale state: its output (it must fail)."""
    project = f"{stack.project}-oracle"
    base = [str(oracle_binary()), "-p", project, "-f", str(stack.file)]
    env = clean_env({"DOCKER_HOST": daemon.host})

    def compose(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *args],
            cwd=stack.directory,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    try:
        assert compose("up", "-d").returncode == 0
        assert compose("stop").returncode == 0
        db = stack.client.api.inspect_container(f"{project}-db-1")["Id"]
        leave_stale_shim(daemon, db)
        again = compose("up", "-d")
        assert again.returncode != 0, again.stdout + again.stderr
        return again.stdout + again.stderr
    finally:
        compose("down", "-v")


def test_a_container_the_engine_kept_a_stale_task_of_is_replaced_by_up(
    daemon: OwnDaemon, project_name: str, tmp_path: Path
) -> None:
    client = daemon.client()
    stack = Stack(client, project_name, tmp_path, env={"DOCKER_HOST": daemon.host})
    stack.write(STALE_STACK)
    db, web = stack.name("db"), stack.name("web")
    try:
        stack.up("-d")
        client.containers.get(db).exec_run(["sh", "-c", "echo kept > /data/marker"])
        old = stack.inspect(db)
        stack.ok("stop")
        leave_stale_shim(daemon, old["Id"])
        refused = stack.run("start")  # no spec to recreate from: refused, as compose's start
        assert refused.rc == 1 and "failed to start shim" in refused.err, str(refused)
        result = stack.up("-d")
        assert f"service db: {REPLACED} {db} after a restart; replaced it" in result.err, result
        assert "stale task for the old container after a restart; replacing it" in result.err
        new = stack.inspect(db)
        assert new["Id"] != old["Id"] and stack.running() == {db, web}
        volume = [(m["Name"], m["Destination"]) for m in new["Mounts"]]
        assert volume == [(m["Name"], m["Destination"]) for m in old["Mounts"]]
        marker = client.containers.get(db).exec_run(["cat", "/data/marker"]).output
        assert marker == b"kept\n"
        assert stack.ok("plan").out.strip() in ("", "nothing to do")
        assert "failed to start shim" in oracle_refused(daemon, stack)
    finally:
        stack.run("down", "-v")
        client.close()
