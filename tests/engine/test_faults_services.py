"""Services that fail during ``up``: clear errors that name the service, no traceback.

A container that exits during its start, an image whose own HEALTHCHECK never passes, and a
dependency that fails (its dependents are never started, independent services are). A failing
one-shot job with ``service_completed_successfully`` is in test_up_lifecycle.py. Where compose
defines the outcome (``up --wait`` fails), the oracle runs on the same file.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oracle import clean_env, oracle_binary
from stacks import IMAGE, SLEEPER, Stack, container_actions, sweep

pytestmark = pytest.mark.engine


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


@pytest.fixture
def unhealthy_image(docker_client: Any, tmp_path: Path) -> Iterator[str]:
    """An image of the test image whose own HEALTHCHECK always fails (built here, removed after)."""
    tag = f"orchestra-test/unhealthy-{uuid.uuid4().hex[:8]}:1"
    context = tmp_path / "image"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {IMAGE}\nHEALTHCHECK --interval=500ms --timeout=1s --retries=2 CMD false\n"
    )
    docker_client.images.build(path=str(context), tag=tag, rm=True)
    yield tag
    docker_client.images.remove(tag, force=True)


def error_lines(text: str, *needles: str) -> list[str]:
    return [line for line in text.splitlines() if all(n in line for n in needles)]


def oracle_up(stack: Stack) -> subprocess.CompletedProcess[str]:
    """``docker compose up -d --wait`` on the same file, under another project name."""
    project = f"{stack.project}-oracle"
    try:
        return subprocess.run(
            [oracle_binary(), "-p", project, "-f", str(stack.file), "up", "-d", "--wait"],
            cwd=stack.directory,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        sweep(stack.client, project)
        for network in stack.client.networks.list(
            filters={"label": f"com.docker.compose.project={project}"}
        ):
            network.remove()


def test_a_container_that_exits_during_its_start_is_named_with_its_code(stack: Stack) -> None:
    # The healthcheck would pass if crash stayed up: without one, a wait that inspects crash
    # before its shell exits rightly fails with "has no healthcheck configured" (seen in CI).
    stack.write(f"""
        services:
          crash:
            image: {IMAGE}
            command: sh -c 'echo starting; exit 7'
            healthcheck: {{test: [CMD, "true"], interval: 2s}}
          web:
            {SLEEPER}
            depends_on:
              crash: {{condition: service_healthy}}
          other:
            {SLEEPER}
    """)
    result, events = stack.up_watched("--wait")
    assert result.rc == 1, str(result)
    assert "Traceback" not in result.out + result.err
    assert error_lines(result.out + result.err, "crash", "7"), (
        f"no line names crash and its code:\n{result.err}"
    )
    started = {name for action, name in container_actions(events) if action == "start"}
    assert stack.name("web") not in started and stack.name("other") in started
    web_line = error_lines(result.out + result.err, "web")
    assert web_line and any("crash" in line for line in web_line), result.err
    assert oracle_up(stack).returncode != 0, "compose also fails on this file"


def test_an_image_healthcheck_that_never_passes_fails_its_dependents(
    stack: Stack, unhealthy_image: str
) -> None:
    stack.write(f"""
        services:
          db:
            image: {unhealthy_image}
            command: sleep 600
            init: true
          web:
            {SLEEPER}
            depends_on:
              db: {{condition: service_healthy}}
    """)
    result, events = stack.up_watched()
    assert result.rc == 1, str(result)
    assert "Traceback" not in result.out + result.err
    assert error_lines(result.out + result.err, "db", "unhealthy"), (
        f"no line says db is unhealthy:\n{result.err}"
    )
    started = {name for action, name in container_actions(events) if action == "start"}
    assert stack.name("db") in started and stack.name("web") not in started
    oracle = oracle_up(stack)
    assert oracle.returncode != 0 and "unhealthy" in oracle.stderr, oracle.stderr


def test_a_failed_dependency_skips_only_its_dependents(stack: Stack) -> None:
    # base never starts: its command does not exist in the image.
    stack.write(f"""
        services:
          base:
            image: {IMAGE}
            command: /no/such/program
          api:
            {SLEEPER}
            depends_on: [base]
          front:
            {SLEEPER}
            depends_on: [api]
          other:
            {SLEEPER}
    """)
    result, events = stack.up_watched()
    assert result.rc == 1, str(result)
    assert "Traceback" not in result.out + result.err
    assert error_lines(result.out + result.err, "base", "/no/such/program"), result.err
    for dependent in ("api", "front"):
        lines = error_lines(result.out + result.err, dependent, "base")
        assert lines, f"nothing says {dependent} was skipped because of base:\n{result.err}"
    started = {name for action, name in container_actions(events) if action == "start"}
    assert started == {stack.name("other")}, started
    assert oracle_up(stack).returncode != 0, "compose also fails on this file"
