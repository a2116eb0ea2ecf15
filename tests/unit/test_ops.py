"""Plan ops: the builder's checks, rendering (golden text) and the versioned JSON schema."""

from __future__ import annotations

import json

import pytest

from orchestra.engine.base import (
    ContainerSpec,
    HealthSpec,
    NetworkSpec,
    ReadyCondition,
    VolumeSpec,
)
from orchestra.plan.ops import SCHEMA_VERSION, OpKind, Plan

LABELS = {"com.docker.compose.project": "demo"}


def web_spec() -> ContainerSpec:
    return ContainerSpec(
        name="demo-web-1",
        image="busybox",
        labels={**LABELS, "com.docker.compose.service": "web"},
        command=("sleep", "30"),
        environment={"B": "2", "A": "1"},
    )


def db_spec() -> ContainerSpec:
    return ContainerSpec(
        name="demo-db-1",
        image="busybox",
        labels={**LABELS, "com.docker.compose.service": "db"},
        healthcheck=HealthSpec(test=("CMD", "true"), interval=1.0),
    )


def sample_plan() -> Plan:
    """A typical up: network, volume, db with a healthcheck, web depending on db healthy."""
    plan = Plan(project="demo")
    net = plan.add(
        OpKind.CREATE_NETWORK,
        "network:default",
        "not found",
        spec=NetworkSpec("demo_default", LABELS),
    )
    vol = plan.add(
        OpKind.CREATE_VOLUME, "volume:data", "not found", spec=VolumeSpec("demo_data", LABELS)
    )
    db = plan.add(
        OpKind.CREATE_CONTAINER, "container:db:1", "not found", [net, vol], spec=db_spec()
    )
    db_start = plan.add(OpKind.START_CONTAINER, "container:db:1", "new container", [db])
    db_ready = plan.add(
        OpKind.WAIT_READY,
        "container:db:1",
        "web depends on db",
        [db_start],
        condition=ReadyCondition.HEALTHY,
        service="db",
    )
    old = plan.add(
        OpKind.STOP_CONTAINER,
        "container:web:1",
        "config changed: environment.DB_HOST",
        engine_id="abc123",
        timeout=10,
    )
    rm = plan.add(
        OpKind.REMOVE_CONTAINER,
        "container:web:1",
        "config changed: environment.DB_HOST",
        [old],
        engine_id="abc123",
    )
    web = plan.add(
        OpKind.CREATE_CONTAINER,
        "container:web:1",
        "config changed: environment.DB_HOST",
        [net, rm],
        spec=web_spec(),
    )
    plan.add(OpKind.START_CONTAINER, "container:web:1", "recreated", [db_ready, web])
    return plan


GOLDEN = """\
#1 network:default CREATE (not found)
#2 volume:data CREATE (not found)
[1,2] -> #3 container:db:1 CREATE (not found)
[3] -> #4 container:db:1 START (new container)
[4] -> #5 container:db:1 WAIT healthy (web depends on db)
#6 container:web:1 STOP (config changed: environment.DB_HOST)
[6] -> #7 container:web:1 REMOVE (config changed: environment.DB_HOST)
[1,7] -> #8 container:web:1 CREATE (config changed: environment.DB_HOST)
[5,8] -> #9 container:web:1 START (recreated)"""


def test_render_matches_golden_text() -> None:
    assert sample_plan().render() == GOLDEN


def test_ids_follow_insertion_and_deps_are_sorted_and_unique() -> None:
    plan = Plan()
    a = plan.add(OpKind.PULL_IMAGE, "image:busybox", "not present", image="busybox")
    b = plan.add(OpKind.PULL_IMAGE, "image:redis", "not present", image="redis")
    c = plan.add(OpKind.CREATE_VOLUME, "volume:x", "not found", [b, a, b], spec=VolumeSpec("x", {}))
    assert (a, b, c) == (1, 2, 3)
    assert plan.op(c).deps == (1, 2)
    assert plan.ancestors(c) == {1, 2}
    with pytest.raises(KeyError):
        plan.op(4)


def test_warnings_render_before_ops() -> None:
    plan = Plan()
    plan.warn("service x: build is ignored")
    plan.add(OpKind.PULL_IMAGE, "image:busybox", "not present", image="busybox")
    assert plan.render_lines() == [
        "warning: service x: build is ignored",
        "#1 image:busybox PULL (not present)",
    ]


@pytest.mark.parametrize(
    ("kind", "target", "kwargs", "fragment"),
    [
        (OpKind.START_CONTAINER, "network:x", {"engine_id": "i"}, "is not a container"),
        (OpKind.CREATE_NETWORK, "network", {"spec": NetworkSpec("n", {})}, "is not a network"),
        (OpKind.CREATE_CONTAINER, "container:web:1", {}, "needs a ContainerSpec"),
        (OpKind.CREATE_VOLUME, "volume:v", {"spec": NetworkSpec("n", {})}, "needs a VolumeSpec"),
        (OpKind.PULL_IMAGE, "image:busybox", {}, "needs an image reference"),
        (OpKind.WAIT_READY, "container:db:1", {"engine_id": "i"}, "needs a condition"),
        (OpKind.START_CONTAINER, "container:web:1", {}, "no CREATE among its dependencies"),
        (OpKind.REMOVE_VOLUME, "volume:data", {}, "no engine id"),
    ],
)
def test_malformed_ops_are_rejected(
    kind: OpKind, target: str, kwargs: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        Plan().add(kind, target, "cause", **kwargs)  # type: ignore[arg-type]


def test_deps_must_point_to_earlier_ops() -> None:
    plan = Plan()
    with pytest.raises(ValueError, match="unknown or later"):
        plan.add(OpKind.PULL_IMAGE, "image:a", "c", [1], image="a")
    assert len(plan) == 0


def test_start_finds_its_create_transitively_but_not_another_targets() -> None:
    plan = Plan()
    create = plan.add(OpKind.CREATE_CONTAINER, "container:web:1", "new", spec=web_spec())
    other = plan.add(OpKind.CREATE_CONTAINER, "container:db:1", "new", spec=db_spec())
    hop = plan.add(OpKind.START_CONTAINER, "container:db:1", "new", [other, create])
    plan.add(OpKind.START_CONTAINER, "container:web:1", "new", [hop])  # via #3 -> #1
    with pytest.raises(ValueError, match="no CREATE"):
        plan.add(OpKind.START_CONTAINER, "container:web:2", "new", [hop])


def test_is_empty_ignores_readiness_waits() -> None:
    plan = Plan()
    assert plan.is_empty
    plan.add(
        OpKind.WAIT_READY,
        "container:db:1",
        "already running",
        engine_id="abc",
        condition=ReadyCondition.HEALTHY,
        service="db",
    )
    assert plan.is_empty
    plan.add(OpKind.START_CONTAINER, "container:web:1", "stopped", engine_id="def")
    assert not plan.is_empty


def test_kind_properties() -> None:
    assert OpKind.CREATE_CONTAINER.verb == "CREATE"
    assert OpKind.WAIT_READY.verb == "WAIT"
    assert OpKind.REMOVE_VOLUME.resource == "volume"
    assert OpKind.RESTART_CONTAINER.resource == "container"
    assert OpKind.PULL_IMAGE.resource == "image"
    assert not OpKind.WAIT_READY.mutating
    assert OpKind.STOP_CONTAINER.mutating


def test_json_schema_is_versioned_and_lists_only_set_params() -> None:
    data = json.loads(sample_plan().to_json())
    assert data["version"] == SCHEMA_VERSION == 1
    assert data["project"] == "demo"
    assert data["warnings"] == []
    ops = data["ops"]
    assert [op["id"] for op in ops] == list(range(1, 10))
    assert ops[2]["kind"] == "create_container"
    assert ops[2]["deps"] == [1, 2]
    db = ops[2]["params"]["spec"]
    assert db["name"] == "demo-db-1"
    assert db["healthcheck"] == {"test": ["CMD", "true"], "interval": 1.0}
    assert "ports" not in db  # defaults are left out
    assert ops[4]["params"] == {"condition": "healthy", "service": "db"}
    assert ops[5]["params"] == {"engine_id": "abc123", "timeout": 10}
    assert ops[8]["params"] == {}
    web = ops[7]["params"]["spec"]
    assert list(web["environment"]) == ["A", "B"]
    assert web["command"] == ["sleep", "30"]


def test_json_is_stable_across_builds() -> None:
    assert sample_plan().to_json() == sample_plan().to_json()
    assert sample_plan().to_dict() == json.loads(sample_plan().to_json(indent=None))


def test_remove_with_force_is_in_json() -> None:
    plan = Plan()
    plan.add(OpKind.REMOVE_CONTAINER, "container:w:1", "orphaned", engine_id="x", force=True)
    assert plan.to_dict()["ops"][0]["params"] == {"engine_id": "x", "force": True}
