"""``ps``, ``logs``, ``watch`` and target selection of ``orchestra --target swarm`` on the private
swarm, through the installed CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from stacks import orchestra_binary
from swarm_daemon import SwarmDaemon
from test_swarm_up import IMAGE, orchestra, write

pytestmark = [pytest.mark.engine, pytest.mark.slow]

TALKER = f"""
services:
  talker:
    image: {IMAGE}
    command: ["sh", "-c", "echo hello-from-talker; echo second-line; sleep 3600"]
    deploy:
      replicas: 2
"""


def test_ps_shows_replicas_and_the_node_of_each_task_and_logs_gather_them(
    swarm: SwarmDaemon, swarm_project: str, swarm_env: dict[str, str], tmp_path: Path
) -> None:
    base = ["-f", str(write(tmp_path, TALKER)), "-p", swarm_project]
    assert orchestra(swarm_env, *base, "up", "--wait").returncode == 0
    out = orchestra(swarm_env, *base, "ps", "--format", "json")
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)
    hostname = swarm.docker("info", "--format", "{{.Name}}").stdout.strip()
    assert (row["service"], row["desired"], row["running"]) == ("talker", 2, 2)
    assert sorted(t["slot"] for t in row["tasks"]) == [1, 2]
    assert {t["node"] for t in row["tasks"]} == {hostname}
    table = orchestra(swarm_env, *base, "ps").stdout.splitlines()
    assert table[1].split()[:3] == ["talker", "replicated", "2/2"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        logs = orchestra(swarm_env, "-p", swarm_project, "logs", "--tail", "1", "talker")
        if logs.stdout.count("second-line") == 2:
            break
        time.sleep(1)
    assert logs.returncode == 0, logs.stderr
    assert sorted(logs.stdout.splitlines()) == [
        "talker.1 | second-line",
        "talker.2 | second-line",
    ]


def test_watch_prints_a_line_when_a_running_count_changes(
    swarm: SwarmDaemon, swarm_project: str, swarm_env: dict[str, str], tmp_path: Path
) -> None:
    base = ["-f", str(write(tmp_path, TALKER)), "-p", swarm_project]
    assert orchestra(swarm_env, *base, "up", "--wait").returncode == 0
    watch = subprocess.Popen(
        [orchestra_binary(), "--target", "swarm", *base, "watch"],
        env=swarm_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _line(watch, "talker: 2/2 running", 60)
        # Kill one task's container: Swarm replaces the task after its restart delay.
        flt = f"label=com.docker.swarm.service.name={swarm_project}_talker"
        container = swarm.docker("ps", "-q", "--filter", flt).stdout.split()[0]
        swarm.docker("rm", "-f", container)
        assert _line(watch, "talker: 1/2 running", 30)
        assert _line(watch, "talker: 2/2 running", 60)
    finally:
        watch.send_signal(signal.SIGINT)
        _out, err = watch.communicate(timeout=30)
    assert watch.returncode == 130, err
    assert "Traceback" not in err


def _line(process: subprocess.Popen[str], wanted: str, timeout: float) -> bool:
    """Whether ``process`` prints the line ``wanted`` within ``timeout`` seconds."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            return False
        if line.strip() == wanted:
            return True
    return False


def test_target_comes_from_the_file_and_the_environment(
    swarm: SwarmDaemon, swarm_project: str, swarm_env: dict[str, str], tmp_path: Path
) -> None:
    marked = TALKER + "x-orchestra:\n  target: swarm\n"
    base = ["-f", str(write(tmp_path, marked)), "-p", swarm_project]
    plain = [orchestra_binary(), *base]
    planned = subprocess.run(
        [*plain, "plan"], env=swarm_env, capture_output=True, text=True, check=False
    )
    assert planned.returncode == 2, planned.stderr
    assert "service:talker CREATE (not found)" in planned.stdout
    dry = subprocess.run([*plain, "up", "--dry-run"], env=swarm_env, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert "service:talker CREATE (not found)" in dry.stdout
    flt = f"label=com.docker.compose.project={swarm_project}"
    assert swarm.docker("service", "ls", "-q", "--filter", flt).stdout == ""
    refused = subprocess.run(
        [*plain, "exec", "talker", "true"], env=swarm_env, capture_output=True, text=True
    )
    assert refused.returncode == 2
    assert "orchestra exec works on containers, not on a swarm" in refused.stderr
    assert "x-orchestra.target in" in refused.stderr
    # The flag beats the file: --target container plans containers.
    container = subprocess.run(
        [orchestra_binary(), "--target", "container", *base, "plan"],
        env=swarm_env,
        capture_output=True,
        text=True,
    )
    assert "container:talker:1 CREATE" in container.stdout, container.stderr
    env = {**swarm_env, "ORCHESTRA_TARGET": "nomad"}
    bad = subprocess.run([*plain, "ps"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2
    assert "ORCHESTRA_TARGET: unknown target 'nomad'" in bad.stderr


def test_unsupported_options_are_refused_before_the_engine(tmp_path: Path) -> None:
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    base = ["-f", str(write(tmp_path, TALKER)), "-p", "orchestra-refused"]
    out = orchestra(env, *base, "up", "--build")
    assert out.returncode == 2
    assert "up on a swarm does not take --build" in out.stderr
