"""Promise 5: other people's things are never touched.

Beside this test's project live: a decoy project with the same service names (its container,
network and volume carry the decoy's project label), an unlabelled container named like one of
ours (``<project>-db-2``), and a container of another project attached to our network. Every
CLI command of the data-safety list runs on our project; after each, none of them was stopped,
restarted, removed or disconnected (same id, still running, same start time, still attached).
``down`` with the stranger still on our network warns naming the network, leaves it (as
``docker compose`` does: "Resource is still in use", exit 0), and the next ``up`` works. An
unlabelled container holding one of our container names makes ``up`` refuse before acting.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, PROJECT_LABEL, SERVICE_LABEL, Stack
from test_data_safety import commands, compose
from test_no_half_apply import project_events

pytestmark = pytest.mark.engine

NUMBER_LABEL = "com.docker.compose.container-number"


def _run(client: Any, name: str, labels: dict[str, str], network: str | None = None) -> Any:
    return client.containers.run(
        IMAGE, ["sleep", "900"], name=name, labels=labels, network=network, init=True, detach=True
    )


@pytest.fixture
def others(docker_client: Any, project_name: str) -> Iterator[dict[str, Any]]:
    """The decoy project's container, network and volume, and the unlabelled look-alike."""
    decoy = f"{project_name}-decoy"
    own = {PROJECT_LABEL: decoy}
    made: dict[str, Any] = {
        "external": docker_client.volumes.create(f"{project_name}-external"),
        "network": docker_client.networks.create(f"{decoy}_default", labels=own),
        "volume": docker_client.volumes.create(f"{decoy}_data", labels=own),
    }
    made["decoy"] = _run(
        docker_client,
        f"{decoy}-db-1",
        {**own, SERVICE_LABEL: "db", NUMBER_LABEL: "1", "com.docker.compose.oneoff": "False"},
        network=f"{decoy}_default",
    )
    made["lookalike"] = _run(docker_client, f"{project_name}-db-2", {})
    yield made
    for key in ("decoy", "lookalike", "stranger"):
        with contextlib.suppress(Exception):
            made[key].remove(force=True)
    with contextlib.suppress(Exception):
        docker_client.containers.get(f"{project_name}-db-1").remove(force=True)
    for key in ("network", "volume", "external"):
        with contextlib.suppress(Exception):
            made[key].remove()


def attach_stranger(client: Any, project: str, others: dict[str, Any]) -> None:
    """A container of the decoy project, attached to our project's default network."""
    others["stranger"] = _run(
        client, f"{project}-stranger", {PROJECT_LABEL: f"{project}-decoy", SERVICE_LABEL: "x"}
    )
    client.networks.get(f"{project}_default").connect(others["stranger"])


def snapshot(client: Any, others: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """Per foreign container: (id, status, start time); raises if one was removed."""
    found: dict[str, tuple[str, str, str]] = {}
    for key in ("decoy", "lookalike", "stranger"):
        if key in others:
            state = client.api.inspect_container(others[key].id)["State"]
            found[key] = (others[key].id, state["Status"], state["StartedAt"])
    return found


def networks_of(client: Any, container: Any) -> set[str]:
    return set(client.api.inspect_container(container.id)["NetworkSettings"]["Networks"])


def test_no_command_touches_what_is_not_ours(
    docker_client: Any, project_name: str, tmp_path: Path, others: dict[str, Any]
) -> None:
    external = others["external"].name
    stack = Stack(docker_client, project_name, tmp_path).write(compose(external))
    stack.up("-d")
    attach_stranger(docker_client, project_name, others)
    before = snapshot(docker_client, others)
    assert {status for _, status, _ in before.values()} == {"running"}
    ours = f"{project_name}_default"
    checked = []
    for name, command, _ in commands(stack, external, tmp_path):
        result = command()
        assert snapshot(docker_client, others) == before, f"after {name}:\n{result}"
        assert ours in networks_of(docker_client, others["stranger"]), f"after {name}"
        assert networks_of(docker_client, others["decoy"]) == {f"{project_name}-decoy_default"}
        checked.append(name)
    others["network"].reload()
    others["volume"].reload()  # raises NotFound if a command removed the decoy's volume
    stack.run("down", "-v", "--remove-orphans")
    assert snapshot(docker_client, others) == before
    assert len(checked) == 28


def test_down_leaves_our_network_to_a_foreign_container_with_a_warning(
    docker_client: Any, project_name: str, tmp_path: Path, others: dict[str, Any]
) -> None:
    stack = Stack(docker_client, project_name, tmp_path).write(compose(others["external"].name))
    stack.up("-d")
    attach_stranger(docker_client, project_name, others)
    network = f"{project_name}_default"
    result = stack.run("down")
    assert result.rc == 0, str(result)
    assert network in result.err and "warning" in result.err.lower(), str(result)
    assert not stack.containers()
    assert network in networks_of(docker_client, others["stranger"])
    assert docker_client.networks.get(network)
    stack.up("-d")  # reuses the network left in place
    assert {f"{project_name}-db-1", f"{project_name}-aux-1"} <= stack.running()


def test_an_unlabelled_container_holding_our_name_stops_up_before_acting(
    docker_client: Any, project_name: str, tmp_path: Path, others: dict[str, Any]
) -> None:
    squatter = _run(docker_client, f"{project_name}-db-1", {})
    try:
        stack = Stack(docker_client, project_name, tmp_path)
        stack.write(compose(others["external"].name))
        since = time.time()
        result = stack.run("up", "-d")
        assert result.rc == 2, str(result)
        assert f"container name {project_name}-db-1 is taken" in result.err
        assert project_events(docker_client, project_name, since) == []
        squatter.reload()
        assert squatter.status == "running"
    finally:
        squatter.remove(force=True)
