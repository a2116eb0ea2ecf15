"""``orchestra --target swarm up``/``down`` on the private single-node swarm, through the CLI.

Each test writes its own Compose file, runs the installed ``orchestra`` with ``DOCKER_HOST`` on
the private swarm, and checks the result with the docker CLI (``docker service inspect``).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from stacks import orchestra_binary
from swarm_daemon import SwarmDaemon

pytestmark = [pytest.mark.engine, pytest.mark.slow]

IMAGE = "orchestra-test/busybox:1"
ORCHESTRA = [orchestra_binary()]


def orchestra(
    env: dict[str, str], *args: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ORCHESTRA, "--target", "swarm", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "compose.yaml"
    path.write_text(text)
    return path


def inspect(swarm: SwarmDaemon, name: str) -> dict[str, Any]:
    out = swarm.docker("service", "inspect", name)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert isinstance(data, list)
    first = data[0]
    assert isinstance(first, dict)
    return first


def running(swarm: SwarmDaemon, name: str) -> int:
    out = swarm.docker(
        "service", "ps", name, "--filter", "desired-state=running", "--format", "{{.CurrentState}}"
    )
    return sum(1 for line in out.stdout.splitlines() if line.startswith("Running"))


def wait_running(swarm: SwarmDaemon, name: str, count: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running(swarm, name) >= count:
            return
        time.sleep(0.5)
    raise AssertionError(f"{name}: not {count} running after {timeout} s")


def gone_soon(swarm: SwarmDaemon, kind: str, flt: str, timeout: float = 20) -> bool:
    """Whether nothing of ``kind`` matches ``flt`` within ``timeout`` s (a removed overlay
    network stays in the node's own list until its last task's sandbox is gone)."""
    deadline = time.monotonic() + timeout
    while swarm.docker(kind, "ls", "-q", "--filter", flt).stdout.split():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


SIMPLE = f"""
services:
  web:
    image: {IMAGE}
    command: ["sleep", "3600"]
    stop_grace_period: 1s  # sleep ignores SIGTERM: do not wait the default 10 s per task
    environment:
      GREETING: hello
    deploy:
      replicas: 2
"""


def test_up_creates_then_noop_then_rolls_in_place(
    swarm: SwarmDaemon, swarm_project: str, swarm_env: dict[str, str], tmp_path: Path
) -> None:
    compose = write(tmp_path, SIMPLE)
    up = orchestra(swarm_env, "-f", str(compose), "-p", swarm_project, "up", "-d", "--wait")
    assert up.returncode == 0, up.stderr
    name = f"{swarm_project}_web"
    first = inspect(swarm, name)
    assert first["Spec"]["Mode"]["Replicated"]["Replicas"] == 2
    assert first["Spec"]["Labels"]["com.docker.compose.project"] == swarm_project
    assert running(swarm, name) == 2

    since = str(int(time.time()) - 1)
    again = orchestra(swarm_env, "-f", str(compose), "-p", swarm_project, "up", "-d")
    assert again.returncode == 0, again.stderr
    assert inspect(swarm, name)["Version"]["Index"] == first["Version"]["Index"]
    until = str(int(time.time()) + 1)
    events = swarm.docker("events", "--since", since, "--until", until, "--filter", "type=service")
    assert events.stdout == "", events.stdout  # a no-op up changes nothing, not even in place
    planned = orchestra(swarm_env, "-f", str(compose), "-p", swarm_project, "plan")
    assert (planned.returncode, planned.stdout.strip()) == (0, "nothing to do")

    compose.write_text(SIMPLE.replace("hello", "bonjour"))
    planned = orchestra(swarm_env, "-f", str(compose), "-p", swarm_project, "plan")
    assert planned.returncode == 2, planned.stderr
    assert "service:web UPDATE (config changed)" in planned.stdout
    rolled = orchestra(swarm_env, "-f", str(compose), "-p", swarm_project, "up", "--wait")
    assert rolled.returncode == 0, rolled.stderr
    after = inspect(swarm, name)
    assert after["ID"] == first["ID"]
    assert after["Version"]["Index"] > first["Version"]["Index"]
    env = after["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert "GREETING=bonjour" in env
    assert running(swarm, name) == 2


def test_down_removes_services_networks_and_objects(
    swarm: SwarmDaemon, swarm_project: str, swarm_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "token.txt").write_text("s3cret\n")
    compose = write(
        tmp_path,
        f"""
services:
  app:
    image: {IMAGE}
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    secrets: [token]
    volumes: [data:/data]
secrets:
  token:
    file: ./token.txt
volumes:
  data: {{}}
""",
    )
    base = ["-f", str(compose), "-p", swarm_project]
    up = orchestra(swarm_env, *base, "up", "--wait")
    assert up.returncode == 0, up.stderr
    flt = f"label=com.docker.compose.project={swarm_project}"
    assert swarm.docker("secret", "ls", "-q", "--filter", flt).stdout.split()
    assert swarm.docker("network", "ls", "-q", "--filter", flt).stdout.split()
    down = orchestra(swarm_env, *base, "down")
    assert down.returncode == 0, down.stderr
    for kind in ("service", "network", "secret", "config"):
        assert gone_soon(swarm, kind, flt), (kind, down.stderr)
    volumes = swarm.docker("volume", "ls", "-q", "--filter", f"name={swarm_project}_data")
    assert volumes.stdout.split() == [f"{swarm_project}_data"]  # kept without -v
    gone = orchestra(swarm_env, *base, "up", "--wait")
    assert gone.returncode == 0, gone.stderr
    gone = orchestra(swarm_env, *base, "down", "-v")
    assert gone.returncode == 0, gone.stderr
    assert "only the project's volumes on the manager" in gone.stderr
    assert gone_soon(swarm, "volume", f"label=com.docker.compose.project={swarm_project}")


def test_not_a_manager_is_a_clear_error(tmp_path: Path, docker_client: Any) -> None:
    import os

    compose = write(tmp_path, SIMPLE)
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    out = orchestra(env, "-f", str(compose), "-p", "orchestra-not-a-swarm", "up")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert "swarm init" in out.stderr


def task_times(swarm: SwarmDaemon, name: str) -> list[tuple[str, str]]:
    """(CreatedAt, Status.Timestamp) of the service's tasks meant to run, as RFC 3339 text."""
    ids = swarm.docker(
        "service", "ps", name, "-q", "--no-trunc", "--filter", "desired-state=running"
    ).stdout.split()
    data = json.loads(swarm.docker("inspect", *ids).stdout)
    return [(t["CreatedAt"], t["Status"]["Timestamp"]) for t in data]


def test_dependents_wait_for_a_healthy_dependency(
    swarm: SwarmDaemon, swarm_project: str, swarm_env: dict[str, str], tmp_path: Path
) -> None:
    compose = write(
        tmp_path,
        f"""
services:
  db:
    image: {IMAGE}
    command: ["sh", "-c", "sleep 4; touch /tmp/ok; sleep 3600"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ok"]
      interval: 1s
      retries: 30
  web:
    image: {IMAGE}
    command: ["sleep", "3600"]
    depends_on:
      db:
        condition: service_healthy
    deploy:
      replicas: 2
""",
    )
    up = orchestra(swarm_env, "-f", str(compose), "-p", swarm_project, "up", "--progress", "plain")
    assert up.returncode == 0, up.stderr
    ((_created, db_running),) = task_times(swarm, f"{swarm_project}_db")
    web = task_times(swarm, f"{swarm_project}_web")
    assert len(web) == 2
    # RFC 3339 in UTC with the same precision: text order is time order (to the second).
    assert all(created[:19] >= db_running[:19] for created, _ in web), (db_running, web)


def test_failing_healthcheck_rolls_back_and_up_names_the_task_error(
    swarm: SwarmDaemon, swarm_project: str, swarm_env: dict[str, str], tmp_path: Path
) -> None:
    good = f"""
services:
  api:
    image: {IMAGE}
    command: ["sh", "-c", "touch /tmp/ok; sleep 3600"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ok"]
      interval: 1s
      retries: 2
    deploy:
      update_config:
        failure_action: rollback
        monitor: 5s
"""
    compose = write(tmp_path, good)
    base = ["-f", str(compose), "-p", swarm_project]
    assert orchestra(swarm_env, *base, "up", "--wait").returncode == 0
    name = f"{swarm_project}_api"
    before = inspect(swarm, name)
    compose.write_text(good.replace("touch /tmp/ok; sleep 3600", "sleep 3600"))
    bad = orchestra(swarm_env, *base, "up", "--wait")
    assert bad.returncode == 1, bad.stderr
    assert "service api:" in bad.stderr and "rollback" in bad.stderr
    assert "unhealthy container" in bad.stderr
    assert "Traceback" not in bad.stderr
    after = inspect(swarm, name)
    assert after["ID"] == before["ID"]
    args = after["Spec"]["TaskTemplate"]["ContainerSpec"]["Args"]
    assert args == before["Spec"]["TaskTemplate"]["ContainerSpec"]["Args"]
    assert after["UpdateStatus"]["State"] == "rollback_completed"


def test_changed_secret_is_a_new_version_and_the_old_one_goes(
    swarm: SwarmDaemon, swarm_project: str, swarm_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "token.txt").write_text("one\n")
    compose = write(
        tmp_path,
        f"""
services:
  app:
    image: {IMAGE}
    command: ["sleep", "3600"]
    secrets: [token]
secrets:
  token:
    file: ./token.txt
""",
    )
    base = ["-f", str(compose), "-p", swarm_project]
    assert orchestra(swarm_env, *base, "up").returncode == 0
    flt = f"label=com.docker.compose.project={swarm_project}"
    first = swarm.docker("secret", "ls", "--filter", flt, "--format", "{{.Name}}").stdout.split()
    assert len(first) == 1 and first[0].startswith(f"{swarm_project}_token-")
    (tmp_path / "token.txt").write_text("two\n")
    again = orchestra(swarm_env, *base, "up")
    assert again.returncode == 0, again.stderr
    second = swarm.docker("secret", "ls", "--filter", flt, "--format", "{{.Name}}").stdout.split()
    assert len(second) == 1 and second != first
    mounted = inspect(swarm, f"{swarm_project}_app")["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert [s["SecretName"] for s in mounted["Secrets"]] == second
