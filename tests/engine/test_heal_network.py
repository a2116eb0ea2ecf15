"""A container disconnected from one of its networks by hand is replaced by the next ``up``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from stacks import SLEEPER, Stack

pytestmark = pytest.mark.engine


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


def test_a_disconnected_network_is_planned_and_healed(stack: Stack, docker_client: Any) -> None:
    stack.write(f"""
        services:
          web:
            {SLEEPER}
            networks: [front, back]
        networks:
          front: {{}}
          back: {{}}
    """)
    stack.ok("up")
    web = stack.name("web")
    before = stack.inspect(web)["Id"]
    docker_client.networks.get(f"{stack.project}_back").disconnect(web)

    plan = stack.run("plan")
    assert plan.rc == 2, plan
    assert f"network {stack.project}_back disconnected" in plan.out

    stack.ok("up")
    after = stack.inspect(web)
    assert after["Id"] != before
    assert set(after["NetworkSettings"]["Networks"]) == {
        f"{stack.project}_front",
        f"{stack.project}_back",
    }
    assert stack.run("plan").rc == 0
