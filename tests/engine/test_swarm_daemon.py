"""The private swarm fixture itself: a manager that runs a service from the test image."""

from __future__ import annotations

import time

import pytest
from swarm_daemon import SwarmDaemon

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def test_private_swarm_is_a_manager_that_runs_services(
    swarm: SwarmDaemon, swarm_project: str
) -> None:
    info = swarm.docker("info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}")
    assert info.stdout.split() == ["active", "true"]
    name = f"{swarm_project}_probe"
    made = swarm.docker(
        "service",
        "create",
        "-d",
        "--name",
        name,
        "--label",
        f"com.docker.compose.project={swarm_project}",
        "orchestra-test/busybox:1",
        "sleep",
        "300",
    )
    assert made.returncode == 0, made.stderr
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = swarm.docker(
            "service", "ls", "--filter", f"name={name}", "--format", "{{.Replicas}}"
        )
        if listed.stdout.strip() == "1/1":
            break
        time.sleep(0.5)
    assert listed.stdout.strip() == "1/1"
