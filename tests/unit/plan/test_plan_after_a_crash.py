"""What a killed ``up`` leaves behind is planned away by the next one.

Found by tests/engine/test_faults_daemon.py and test_faults_signals.py:
- the engine (or orchestra) died between the create and the connect of a two-network
  container; the next ``up`` started it as it was, and the plan after that wanted to replace
  it. The check must not depend on the container running.
- orchestra was SIGKILLed right after a start-first CREATE and START of ``<name>-new-<hash>``;
  the engine was still starting it when the next ``up`` observed it "created", so a plain
  REMOVE of the duplicate failed on a running container. Duplicates are removed with force.
"""

from __future__ import annotations

import dataclasses

import pytest
from planfix import container, converged, images_of, load, swap

from orchestra.engine.base import ContainerStatus, ObservedContainer
from orchestra.plan.ops import OpKind
from orchestra.plan.up import plan_up

TWO_NETWORKS = """
services:
  web:
    image: busybox
    networks: [front, back]
networks:
  front: {}
  back: {}
"""


@pytest.mark.parametrize("status", [ContainerStatus.CREATED, ContainerStatus.EXITED])
def test_a_half_connected_container_is_replaced_not_started(status: ContainerStatus) -> None:
    project = load(TWO_NETWORKS)
    web = dataclasses.replace(
        container(project, "web"), status=status, networks=frozenset({"demo_front"})
    )
    rendered = plan_up(project, swap(converged(project), web), images_of(project)).render()
    assert "container:web:1 REMOVE (network demo_back disconnected)" in rendered, rendered
    assert "container:web:1 CREATE" in rendered


def test_a_stopped_container_with_all_its_networks_is_only_started() -> None:
    project = load(TWO_NETWORKS)
    web = dataclasses.replace(
        container(project, "web"),
        status=ContainerStatus.EXITED,
        networks=frozenset({"demo_front", "demo_back"}),
    )
    rendered = plan_up(project, swap(converged(project), web), images_of(project)).render()
    assert "REMOVE" not in rendered and "container:web:1 START" in rendered, rendered


def test_a_duplicate_seen_created_is_removed_with_force() -> None:
    project = load(TWO_NETWORKS)
    web = container(project, "web")
    temporary = ObservedContainer(
        "id-temp",
        "demo-web-1-new-0123abcd",
        web.labels,
        ContainerStatus.CREATED,
        None,
        web.image_id,
    )
    plan = plan_up(project, swap(converged(project), temporary), images_of(project))
    removes = [op for op in plan.ops if op.kind is OpKind.REMOVE_CONTAINER]
    assert [(op.engine_id, op.force) for op in removes] == [("id-temp", True)], plan.render()
