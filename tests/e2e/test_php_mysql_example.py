"""The flagship example, end to end: ``examples/php-mysql`` run by the installed ``orchestra``.

One long scenario, as a user would live it: ``up --wait`` → the visit count grows by one per
request → ``down`` → ``up`` → the count went on (the volume was kept) → ``down -v`` → ``up`` →
the count starts again at 1 → a second ``up`` changes nothing on the engine → the app's cgroup
files show its limits → ``down -v`` leaves nothing behind. Along the way: the app starts only
after the database reported healthy, and every ``down`` takes under 3 s.

The project gets a unique ``-p`` name and the app a free port (``APP_PORT``), so it never
clashes with the demo on 8080; the passwords come from a copy of ``.env.example``. Engine facts
are read with the docker SDK, never through orchestra.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.engine, pytest.mark.slow, pytest.mark.timeout(900)]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/php-mysql"
PROJECT_LABEL = "com.docker.compose.project"
LIFECYCLE = ("create", "start", "stop", "kill", "die", "destroy", "restart", "pause")
MEMORY_LIMIT = 500 * 1024 * 1024  # mem_limit: 500m
CPU_SHARES = 512
DOWN_BUDGET = 3.0  # seconds


def orchestra_binary() -> str:
    beside = Path(sys.executable).parent / "orchestra"
    return str(beside) if beside.exists() else (shutil.which("orchestra") or "orchestra")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Example:
    """The example as one project: how to run orchestra on it and how to read its results."""

    client: Any
    project: str
    env_file: Path
    port: int

    def run(self, *args: str, timeout: float = 600) -> tuple[float, str]:
        """``orchestra ARGS`` on the example; must succeed; returns (seconds, stderr)."""
        argv = [orchestra_binary(), "-p", self.project, "-f", str(EXAMPLE / "compose.yaml")]
        argv += ["--env-file", str(self.env_file), *args]
        env = {**os.environ, "APP_PORT": str(self.port), "NO_COLOR": "1"}
        started = time.monotonic()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
        took = time.monotonic() - started
        assert done.returncode == 0, f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}"
        return took, done.stderr

    def up(self) -> str:
        return self.run("up", "--wait", "--progress", "plain")[1]

    def down(self, *args: str) -> None:
        took, err = self.run("down", "--progress", "plain", *args, timeout=60)
        assert took < DOWN_BUDGET, f"down took {took:.1f} s:\n{err}"

    def visits(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=10) as answer:
            assert answer.status == 200
            body = answer.read().decode()
        match = re.search(r"^visits: (\d+)$", body, re.MULTILINE)
        assert match, body
        return int(match.group(1))

    def events(self, since: float, until: float) -> list[dict[str, Any]]:
        """Every container, network and volume event of the project between two instants."""
        time.sleep(max(0.0, until - time.time()))  # the engine answers once ``until`` passed
        stream = self.client.events(since=f"{since:.6f}", until=f"{until:.6f}", decode=True)
        try:
            return [e for e in stream if self._ours(e)]
        finally:
            stream.close()

    def _ours(self, event: dict[str, Any]) -> bool:
        attributes = (event.get("Actor") or {}).get("Attributes") or {}
        if event.get("Type") == "container":
            return bool(attributes.get(PROJECT_LABEL) == self.project)
        # Network and volume events carry the name only: ours start with the project name.
        return str(attributes.get("name", "")).startswith(f"{self.project}_")

    def leftovers(self) -> list[str]:
        flt = {"label": f"{PROJECT_LABEL}={self.project}"}
        found = [c.name for c in self.client.containers.list(all=True, filters=flt)]
        found += [n.name for n in self.client.networks.list(filters=flt)]
        return found + [v.name for v in self.client.volumes.list(filters=flt)]


def event_time(events: list[dict[str, Any]], action: str, name: str) -> int:
    for event in events:
        attributes = (event.get("Actor") or {}).get("Attributes") or {}
        if event.get("Action") == action and attributes.get("name") == name:
            return int(event["timeNano"])
    seen = [
        (e.get("Action"), (e.get("Actor") or {}).get("Attributes", {}).get("name")) for e in events
    ]
    raise AssertionError(f"no '{action}' event for {name}; saw {seen}")


@pytest.fixture
def example(docker_client: Any, project_name: str, tmp_path: Path) -> Iterator[Example]:
    env_file = tmp_path / "example.env"
    shutil.copy(EXAMPLE / ".env.example", env_file)
    found = Example(docker_client, project_name, env_file, free_port())
    yield found
    # The project_name fixture sweeps whatever a failed run left behind.


def cgroup_limits(client: Any, container: str) -> tuple[int, int]:
    """(memory limit in bytes, CPU shares) as the container's own cgroup files say (v1 or v2)."""
    script = (
        "if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then "
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares; "
        "else cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.weight; echo v2; fi"
    )
    code, output = client.containers.get(container).exec_run(["sh", "-c", script])
    assert code == 0, output
    lines = output.decode().split()
    if lines[-1] == "v2":
        # cgroup v2 has weights: the runtime maps shares s to 1 + (s - 2) * 9999 / 262142.
        assert int(lines[1]) == 1 + (CPU_SHARES - 2) * 9999 // 262142
        return int(lines[0]), CPU_SHARES
    return int(lines[0]), int(lines[1])


def test_the_php_mysql_example_end_to_end(example: Example, docker_client: Any) -> None:
    app, db = f"{example.project}-app-1", f"{example.project}-db-1"

    began = time.time()
    example.up()
    first = example.events(began, time.time() + 0.3)
    healthy = event_time(first, "health_status: healthy", db)
    assert event_time(first, "start", app) > healthy, "app started before db was healthy"
    counts = [example.visits() for _ in range(3)]
    assert counts == [1, 2, 3], "a new volume, then one more per request"

    example.down()
    example.up()
    assert example.visits() == 4, "the named volume kept the data across down/up"

    example.down("-v")
    example.up()
    assert example.visits() == 1, "down -v removed the data"

    began = time.time()
    example.up()
    again = example.events(began, time.time() + 0.3)
    # Health checks still run (exec_* and health_status events); nothing else may happen.
    changes = [
        (e.get("Type"), e.get("Action"))
        for e in again
        if e.get("Type") != "container" or str(e.get("Action")).split(":")[0] in LIFECYCLE
    ]
    assert changes == [], "the converged stack was changed"

    assert cgroup_limits(docker_client, app) == (MEMORY_LIMIT, CPU_SHARES)

    example.down("-v")
    assert example.leftovers() == []
