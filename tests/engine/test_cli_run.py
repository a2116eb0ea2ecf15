"""``orchestra run``: a one-off container after the service's dependencies are up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, SLEEPER, Stack

pytestmark = pytest.mark.engine


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


def test_run_starts_dependencies_passes_the_exit_code_and_removes_with_rm(
    stack: Stack, docker_client: Any
) -> None:
    stack.write(f"""
        services:
          db:
            {SLEEPER}
          job:
            image: {IMAGE}
            command: echo never
            depends_on: [db]
    """)
    done = stack.run(
        "run",
        "--rm",
        "-e",
        "WHO=tester",
        "job",
        "sh",
        "-c",
        "nslookup db >/dev/null && echo hello $WHO; exit 3",
    )
    assert done.rc == 3, done
    assert "hello tester" in done.out
    running = stack.running()
    assert running == {stack.name("db")}, "only the dependency runs; the job is not started"
    leftovers = docker_client.containers.list(
        all=True,
        filters={
            "label": [
                f"com.docker.compose.project={stack.project}",
                "com.docker.compose.oneoff=True",
            ]
        },
    )
    assert leftovers == [], "--rm removed the one-off container"


def test_run_without_rm_keeps_a_labelled_one_off_that_up_ignores(
    stack: Stack, docker_client: Any
) -> None:
    stack.write(f"""
        services:
          job:
            image: {IMAGE}
            command: echo service
    """)
    assert stack.run("run", "job", "echo", "once").rc == 0
    one_off = docker_client.containers.list(
        all=True,
        filters={
            "label": [
                f"com.docker.compose.project={stack.project}",
                "com.docker.compose.oneoff=True",
            ]
        },
    )
    assert len(one_off) == 1 and one_off[0].name.startswith(f"{stack.project}-job-run-")
    plan = stack.run("plan")
    assert "orphan" not in plan.out and "run-" not in plan.out, plan
