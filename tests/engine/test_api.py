"""The public API (``orchestra.Stack``, ``orchestra.SyncStack``) against the real engine.

Each test writes a small busybox stack into its ``tmp_path`` and runs it under the test's own
project name (swept afterwards by the ``project_name`` fixture). What the engine holds is read
with the docker SDK, never through orchestra, so the API cannot vouch for itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import urllib.request
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio
import pytest

import orchestra
from orchestra import (
    ContainerStatus,
    ExecutionFailed,
    HealthStatus,
    NotFoundError,
    ReadinessFailed,
    Stack,
    SyncStack,
    UsageError,
)

pytestmark = [pytest.mark.engine, pytest.mark.anyio, pytest.mark.timeout(300)]

IMAGE = "orchestra-test/busybox:1"
PROJECT_LABEL = "com.docker.compose.project"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
RUNNABLE = re.compile(r"<!-- runnable: (\S+) -->\n```\w+\n(.*?)```", re.DOTALL)

# web: httpd with a healthcheck, port 8080 published on an ephemeral host port; job: waits for
# web to be healthy; both stop at once (SIGKILL) to keep teardowns short on a loaded machine.
WEB_AND_JOB = f"""
services:
  web:
    image: {IMAGE}
    command: sh -c "echo web-says-hello; mkdir -p /www; echo page > /www/index.html;
      exec httpd -f -p 8080 -h /www"
    stop_signal: SIGKILL
    ports: ["8080"]
    mem_limit: 64m
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 20
  job:
    image: {IMAGE}
    command: sleep 600
    stop_signal: SIGKILL
    depends_on:
      web: {{condition: service_healthy}}
    volumes: [data:/data]
volumes:
  data:
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "compose.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def leftovers(client: Any, project: str) -> list[str]:
    """Everything on the engine labelled with ``project``."""
    flt = {"label": f"{PROJECT_LABEL}={project}"}
    found = [c.name for c in client.containers.list(all=True, filters=flt)]
    found += [n.name for n in client.networks.list(filters=flt)]
    return found + [v.name for v in client.volumes.list(filters=flt)]


async def test_async_with_runs_the_stack_and_removes_it(
    docker_client: Any, project_name: str, tmp_path: Path
) -> None:
    async with Stack(write(tmp_path, WEB_AND_JOB), project_name=project_name) as stack:
        infos = await stack.ps()
        assert [(c.service, c.number, c.state) for c in infos] == [
            ("job", 1, ContainerStatus.RUNNING),
            ("web", 1, ContainerStatus.RUNNING),
        ]
        web = infos[1]
        assert web.health is HealthStatus.HEALTHY
        assert web.limits["memory"] == 64 * 1024 * 1024
        host, port = await stack.port("web", 8080)
        assert host == "127.0.0.1"
        assert port in {p.host_port for p in web.ports}
        with urllib.request.urlopen(f"http://{host}:{port}/", timeout=10) as answer:
            assert answer.read() == b"page\n"
        assert (await stack.plan()).is_empty
        assert docker_client.containers.get(web.id).name == f"{project_name}-web-1"
    assert leftovers(docker_client, project_name) == []


async def test_exec_logs_and_health(docker_client: Any, project_name: str, tmp_path: Path) -> None:
    async with Stack(write(tmp_path, WEB_AND_JOB), project_name=project_name) as stack:
        done = await stack.exec("job", ["sh", "-c", "echo out; echo err >&2; exit 3"])
        assert (done.exit_code, done.stdout, done.stderr) == (3, "out\n", "err\n")
        split = await stack.exec("job", "echo 'two words'")
        assert split.stdout == "two words\n"
        lines = [line async for line in stack.logs("web")]
        assert [(line.container, line.text) for line in lines] == [
            (f"{project_name}-web-1", "web-says-hello")
        ]
        with anyio.fail_after(30):
            async with aclosing(stack.logs("web", follow=True)) as stream:
                first = await anext(stream)  # a followed stream ends when the caller closes it
        assert first.text == "web-says-hello"
        await stack.wait_healthy("web", timeout=30)
        with pytest.raises(ReadinessFailed, match="no healthcheck"):
            await stack.wait_healthy("job", timeout=5)


async def test_lookups_fail_with_orchestra_errors(
    docker_client: Any, project_name: str, tmp_path: Path
) -> None:
    stack = Stack(write(tmp_path, WEB_AND_JOB), project_name=project_name)
    try:
        with pytest.raises(NotFoundError, match="is the stack up"):
            await stack.port("web", 8080)
        await stack.up(["web"])
        assert [c.service for c in await stack.ps()] == ["web"]
        with pytest.raises(NotFoundError, match="not published"):
            await stack.port("web", 9999)
        with pytest.raises(UsageError, match="no service 'nope'"):
            await stack.exec("nope", ["true"])
        with pytest.raises(NotFoundError, match="no running container number 2"):
            await stack.exec("web", ["true"], index=2)
    finally:
        await stack.down(volumes=True)
        await stack.close()
    assert leftovers(docker_client, project_name) == []


async def test_a_failed_up_raises_and_leaves_nothing(
    docker_client: Any, project_name: str, tmp_path: Path
) -> None:
    broken = f"""
    services:
      db:
        image: {IMAGE}
        command: sh -c "echo db-is-broken; exit 3"
      app:
        image: {IMAGE}
        command: sleep 600
        depends_on:
          db: {{condition: service_completed_successfully}}
    """
    with pytest.raises(ExecutionFailed, match="db"):
        async with Stack(write(tmp_path, broken), project_name=project_name):
            raise AssertionError("the body must not run when up failed")
    assert leftovers(docker_client, project_name) == []


async def test_a_cancelled_body_still_tears_down(
    docker_client: Any, project_name: str, tmp_path: Path
) -> None:
    entered = False
    with anyio.move_on_after(60) as scope:
        async with Stack(write(tmp_path, WEB_AND_JOB), project_name=project_name):
            entered = True
            scope.cancel()  # as Ctrl-C would, while the body runs
            await anyio.sleep(60)
    assert entered and scope.cancelled_caught
    assert leftovers(docker_client, project_name) == []


async def test_keep_leaves_the_stack_running(
    docker_client: Any, project_name: str, tmp_path: Path
) -> None:
    async with Stack(write(tmp_path, WEB_AND_JOB), project_name=project_name, keep=True):
        pass
    running = docker_client.containers.list(filters={"label": f"{PROJECT_LABEL}={project_name}"})
    assert sorted(c.name for c in running) == [f"{project_name}-job-1", f"{project_name}-web-1"]


def test_sync_stack_keeps_volumes_across_down_and_up(
    docker_client: Any, project_name: str, tmp_path: Path
) -> None:
    project = orchestra.load_project(write(tmp_path, WEB_AND_JOB), project_name=project_name)
    stack = SyncStack(project)
    try:
        stack.up()
        assert stack.exec("job", ["sh", "-c", "echo kept > /data/file"]).exit_code == 0
        stack.down()
        assert stack.ps() == []
        stack.up(["job"])
        assert stack.exec("job", ["cat", "/data/file"]).stdout == "kept\n"
        stack.down(volumes=True)
    finally:
        stack.down(volumes=True)
    assert leftovers(docker_client, project_name) == []


def test_the_documented_examples_run(docker_client: Any, project_name: str, tmp_path: Path) -> None:
    blocks = dict(RUNNABLE.findall(DOCS.read_text()))
    assert sorted(blocks) == ["blocking.py", "compose.yaml", "quickstart.py", "test_web.py"]
    for name, text in blocks.items():
        (tmp_path / name).write_text(text)
    env = {**os.environ, "COMPOSE_PROJECT_NAME": project_name}
    outputs = []
    for argv in (
        ["quickstart.py"],
        ["blocking.py"],
        [
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            f"orchestra_project_prefix={project_name}",
        ],
    ):
        done = subprocess.run(
            [sys.executable, *argv],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=280,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done.stdout)
    quick, blocking, tests = outputs
    assert "web says hello" in quick and "exit 0 output 42" in quick
    assert f"{project_name}-web-1 running healthy" in quick
    assert f"log: {project_name}-web-1 web is up" in quick
    assert blocking.splitlines() == ["True", "['web']", "two words"]
    assert "2 passed" in tests
    rows = docker_client.api.containers(all=True)
    assert [r for r in rows if r["Labels"].get(PROJECT_LABEL, "").startswith(project_name)] == []
