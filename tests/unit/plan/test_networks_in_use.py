"""``down`` leaves networks other containers still use: the removal leaves the plan, a warning
names the network and its users, and the other ops keep their order and dependencies."""

from __future__ import annotations

from orchestra.engine.base import ContainerStatus, ObservedContainer, ObservedNetwork
from orchestra.plan.networks_in_use import spare_networks_in_use
from orchestra.plan.ops import OpKind, Plan

NETS = (ObservedNetwork("n1", "demo_default", {}), ObservedNetwork("n2", "demo_back", {}))


def attached(ident: str, name: str, *networks: str) -> ObservedContainer:
    return ObservedContainer(
        ident, name, {}, ContainerStatus.RUNNING, None, "img", networks=frozenset(networks)
    )


def down_plan() -> Plan:
    plan = Plan(project="demo")
    stop = plan.add(OpKind.STOP_CONTAINER, "container:web:1", "down", engine_id="c1")
    remove = plan.add(OpKind.REMOVE_CONTAINER, "container:web:1", "down", [stop], engine_id="c1")
    plan.add(OpKind.REMOVE_NETWORK, "network:default", "down", [remove], engine_id="n1")
    plan.add(OpKind.REMOVE_NETWORK, "network:back", "down", [remove], engine_id="n2")
    plan.add(OpKind.REMOVE_VOLUME, "volume:data", "down -v", [remove], engine_id="demo_data")
    return plan


def test_a_network_a_foreign_container_uses_is_left_with_a_warning() -> None:
    ours = attached("c1", "demo-web-1", "demo_default", "demo_back")
    stranger = attached("x9", "someone-else", "demo_default", "bridge")
    spared = spare_networks_in_use(down_plan(), NETS, [ours, stranger])
    assert spared.render().splitlines() == [
        "warning: network demo_default is still in use by someone-else: left in place",
        "#1 container:web:1 STOP (down)",
        "[1] -> #2 container:web:1 REMOVE (down)",
        "[2] -> #3 network:back REMOVE (down)",
        "[2] -> #4 volume:data REMOVE (down -v)",
    ]


def test_containers_the_plan_removes_do_not_hold_a_network() -> None:
    plan = down_plan()
    ours = attached("c1", "demo-web-1", "demo_default", "demo_back")
    assert spare_networks_in_use(plan, NETS, [ours]) is plan
