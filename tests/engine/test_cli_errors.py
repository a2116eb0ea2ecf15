"""How ``orchestra up`` fails: a clear message, the right exit code, no traceback, and no
collateral damage (checked on the engine's event stream and on the foreign containers).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, SLEEPER, Stack, free_port, mutations

pytestmark = pytest.mark.engine


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def assert_clean_failure(result: Any, code: int) -> None:
    assert result.rc == code, str(result)
    assert "Traceback" not in result.err + result.out, str(result)


def test_engine_unreachable_exits_3_with_a_hint(stack: Stack) -> None:
    stack.write(f"""
        services:
          app:
            {SLEEPER}
    """)
    result = stack.run("up", env={"DOCKER_HOST": "unix:///nonexistent.sock"})
    assert_clean_failure(result, 3)
    assert "DOCKER_HOST" in result.err and "/nonexistent.sock" in result.err, str(result)


@pytest.fixture
def port_holder(docker_client: Any, project_name: str) -> Iterator[int]:
    """A foreign container publishing a port on 127.0.0.1; yields the port."""
    port = free_port()
    holder = docker_client.containers.run(
        IMAGE,
        ["sleep", "600"],
        name=f"{project_name}-holder",
        init=True,
        detach=True,
        ports={"80/tcp": ("127.0.0.1", port)},
    )
    yield port
    with contextlib.suppress(Exception):
        holder.remove(force=True)


def test_port_already_allocated_is_one_line_naming_the_service(
    stack: Stack, port_holder: int
) -> None:
    stack.write(f"""
        services:
          web:
            {SLEEPER}
            ports: ["127.0.0.1:{port_holder}:80"]
    """)
    result, events = stack.up_watched()
    # Found before acting (orchestra.preflight): exit 2, as for any user mistake. docker compose
    # creates the network and the container first, then fails at start with exit 1.
    assert_clean_failure(result, 2)
    assert mutations(events) == [], "nothing may change when a port is known to be taken"
    lines = error_lines(result.err)
    assert len(lines) == 1, str(result)
    assert "web" in result.err and str(port_holder) in result.err
    assert "already published" in result.err


def test_missing_image_fails_before_any_container_changes(stack: Stack) -> None:
    stack.write(f"""
        services:
          fine:
            {SLEEPER}
          broken:
            image: orchestra-test/absent:404
            command: sleep 600
            depends_on: [fine]
    """)
    result, events = stack.up_watched()
    assert_clean_failure(result, 1)
    assert mutations(events) == [], "nothing of the stack may change before images are there"
    assert not stack.containers()
    lines = error_lines(result.err)
    assert lines, str(result)
    assert "orchestra-test/absent:404" in lines[0]
    assert "broken" in lines[0], f"the error must name the service: {lines[0]}"


@pytest.fixture
def squatter(docker_client: Any, project_name: str) -> Iterator[Any]:
    """An unlabelled container already holding the name the stack's container_name asks for."""
    container = docker_client.containers.run(
        IMAGE, ["sleep", "600"], name=f"{project_name}-fixed", init=True, detach=True
    )
    yield container
    with contextlib.suppress(Exception):
        container.remove(force=True)


def test_container_name_conflict_with_a_foreign_container(stack: Stack, squatter: Any) -> None:
    stack.write(f"""
        services:
          app:
            {SLEEPER}
            container_name: {stack.project}-fixed
    """)
    result = stack.run("up", "--progress", "plain")
    assert_clean_failure(result, 2)  # found before acting, like any user mistake
    lines = error_lines(result.err)
    assert len(lines) == 1, str(result)
    assert f"{stack.project}-fixed" in result.err and "is taken by" in result.err
    squatter.reload()
    assert squatter.status == "running"
    assert "com.docker.compose.project" not in squatter.labels
    assert not stack.containers(), "nothing of the project was created under another name"
