"""A running container that lost one of its networks is replaced; one that has them all is not."""

from __future__ import annotations

import dataclasses

from planfix import container, converged, images_of, load, swap

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


def test_disconnected_network_recreates_the_container() -> None:
    project = load(TWO_NETWORKS)
    web = dataclasses.replace(container(project, "web"), networks=frozenset({"demo_front"}))
    plan = plan_up(project, swap(converged(project), web), images_of(project))
    assert "container:web:1 STOP (network demo_back disconnected)" in plan.render()


def test_all_networks_attached_or_unknown_means_no_change() -> None:
    project = load(TWO_NETWORKS)
    web = container(project, "web")
    attached = dataclasses.replace(web, networks=frozenset({"demo_front", "demo_back"}))
    for observed in (swap(converged(project), attached), converged(project)):
        assert plan_up(project, observed, images_of(project)).is_empty
