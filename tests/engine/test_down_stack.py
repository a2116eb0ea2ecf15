"""``orchestra down`` on the real engine: order, what goes, what stays, and nothing foreign."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stacks import (
    IMAGE,
    PROJECT_LABEL,
    Stack,
    container_actions,
    event_time,
    run_cli,
    sweep,
)

pytestmark = pytest.mark.engine

CHAIN = """
    services:
      db:
        image: {image}
        command: sleep 600
        init: true
        volumes: [data:/data]
      api:
        image: {image}
        command: sleep 600
        init: true
        depends_on: [db]
      web:
        image: {image}
        command: sleep 600
        init: true
        depends_on: [api]
        networks: [default, front]
        volumes: [ext:/ext]
    networks:
      front: {{}}
    volumes:
      data: {{}}
      ext:
        external: true
        name: {extvol}
"""


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Iterator[Stack]:
    """The three-tier chain above, with an external volume that down must never remove."""
    extvol = docker_client.volumes.create(f"{project_name}-keep")
    chain = Stack(docker_client, project_name, tmp_path)
    chain.write(CHAIN.format(image=IMAGE, extvol=extvol.name))
    yield chain
    sweep(docker_client, project_name)
    with contextlib.suppress(Exception):
        extvol.remove(force=True)


def networks(client: Any, project: str) -> set[str]:
    return {n.name for n in client.networks.list(filters={"label": f"{PROJECT_LABEL}={project}"})}


def volume_exists(client: Any, name: str) -> bool:
    return any(v.name == name for v in client.volumes.list(filters={"name": name}))


def test_down_stops_dependents_first_and_keeps_volumes(stack: Stack, docker_client: Any) -> None:
    stack.up()
    p = stack.project
    assert networks(docker_client, p) == {f"{p}_default", f"{p}_front"}
    since = time.time()
    result = stack.run("down")
    events = stack.events_since(since)
    assert result.rc == 0, str(result)
    # A container's "die" is the end of its stop: web must be gone before api, api before db.
    web_died = event_time(events, "die", stack.name("web"))
    api_stop = _stop_began(events, stack.name("api"))
    api_died = event_time(events, "die", stack.name("api"))
    db_stop = _stop_began(events, stack.name("db"))
    assert web_died <= api_stop and api_died <= db_stop, container_actions(events)

    assert not stack.containers()
    assert networks(docker_client, p) == set()
    assert volume_exists(docker_client, f"{p}_data")
    assert volume_exists(docker_client, f"{p}-keep")


def _stop_began(events: list[dict[str, Any]], name: str) -> int:
    """The first event of stopping ``name``: the kill that delivers its stop signal."""
    for action in ("kill", "die"):
        with contextlib.suppress(AssertionError):
            return event_time(events, action, name)
    raise AssertionError(f"{name} was never stopped: {container_actions(events)}")


def test_down_v_removes_named_volumes_but_not_external(stack: Stack, docker_client: Any) -> None:
    stack.up()
    stack.ok("down", "-v")
    assert not stack.containers()
    assert not volume_exists(docker_client, f"{stack.project}_data")
    assert volume_exists(docker_client, f"{stack.project}-keep")


def test_down_by_project_name_without_a_compose_file(
    stack: Stack, docker_client: Any, tmp_path: Path
) -> None:
    stack.up()
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    result = run_cli(["-p", stack.project, "down", "--progress", "plain"], empty)
    assert result.rc == 0, str(result)
    assert not stack.containers()
    assert networks(docker_client, stack.project) == set()
    assert volume_exists(docker_client, f"{stack.project}_data"), "no -v: volumes stay"


@pytest.fixture
def foreign(docker_client: Any, project_name: str, decoy_project: str) -> Iterator[list[Any]]:
    """A decoy project's container and an unlabelled look-alike of this project's container."""
    decoy = docker_client.containers.run(
        IMAGE,
        ["sleep", "600"],
        name=f"{decoy_project}-web-1",
        labels={PROJECT_LABEL: decoy_project, "com.docker.compose.service": "web"},
        init=True,
        detach=True,
    )
    lookalike = docker_client.containers.run(
        IMAGE, ["sleep", "600"], name=f"{project_name}-web-1x", init=True, detach=True
    )
    yield [decoy, lookalike]
    for container in (decoy, lookalike):
        with contextlib.suppress(Exception):
            container.remove(force=True)


def test_down_never_touches_anything_outside_the_project(
    stack: Stack, docker_client: Any, foreign: list[Any]
) -> None:
    stack.up()
    stack.ok("down", "-v", "--remove-orphans")
    assert not stack.containers()
    for container in foreign:
        container.reload()
        assert container.status == "running", container.name
