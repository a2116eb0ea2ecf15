"""Saved plans: every spec field survives JSON, malformed files are refused, and staleness.

The round-trip fixtures set every field of every spec type to a non-default value, and a test
checks that they do: a field added to a spec later fails here until it round-trips too.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from orchestra import labels as lbl
from orchestra.engine.base import (
    BuildSpec,
    ContainerSpec,
    ContainerStatus,
    HealthSpec,
    HealthStatus,
    InjectedFile,
    LogConfig,
    Mount,
    NetworkAttachment,
    NetworkSpec,
    Observed,
    ObservedContainer,
    ObservedNetwork,
    ObservedVolume,
    PortBinding,
    ReadyCondition,
    Resources,
    Ulimit,
    VolumeSpec,
)
from orchestra.errors import UsageError
from orchestra.plan.diff import ChangeKind, FieldChange
from orchestra.plan.fingerprint import Fingerprint, changes, fingerprint
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.saved import SavedPlan, StalePlanError, check_fresh, dumps, loads

MOUNTS = (
    Mount("bind", "/a", "/src", True, "rslave", False, True, "sub", 1024, 0o755, "cached"),
    Mount("tmpfs", "/t", tmpfs_size=10, tmpfs_mode=0o1777),
)
NETWORK = NetworkAttachment(
    "p_back", ("web", "w"), "10.0.0.2", "fd00::2", ("169.254.0.9",), "02:42:ac:11:00:02",
    {"com.docker.network.endpoint.x": "1"}, 5,
)  # fmt: skip
RESOURCES = Resources(
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "0-1", "0", 11, 12, True, -100, 13,
    (Ulimit("nofile", 1024, 2048),),
)  # fmt: skip
CONTAINER = ContainerSpec(
    name="p-web-1",
    image="nginx:1",
    labels={"a": "b"},
    command=("sleep", "1"),
    entrypoint=("/bin/sh", "-c"),
    environment={"A": "1", "B": ""},
    working_dir="/w",
    user="1000:1000",
    hostname="h",
    domainname="example.org",
    ports=(PortBinding(80, "tcp", "127.0.0.1", "8080"), PortBinding(53, "udp")),
    mounts=MOUNTS,
    tmpfs={"/run": "size=1m"},
    read_only=True,
    networks=(NETWORK,),
    network_mode="p_back",
    restart_policy="on-failure:3",
    healthcheck=HealthSpec(("CMD", "true"), 1.5, 2.0, 3, 4.0, 0.5),
    init=True,
    stop_signal="SIGINT",
    stop_timeout=7,
    extra_hosts=("h:1.2.3.4",),
    dns=("8.8.8.8",),
    dns_search=("example.org",),
    dns_opt=("ndots:2",),
    cap_add=("NET_ADMIN",),
    cap_drop=("ALL",),
    security_opt=("no-new-privileges",),
    privileged=True,
    devices=("/dev/null:/dev/x:rwm",),
    sysctls={"net.core.somaxconn": "1024"},
    log_config=LogConfig("json-file", {"max-size": "1m"}),
    resources=RESOURCES,
    tty=True,
    stdin_open=True,
    ipc_mode="shareable",
    pid_mode="host",
    volumes_from=("p-db-1:ro",),
    links=("p-db-1:db",),
    group_add=("audio",),
    platform="linux/amd64",
    mac_address="02:42:ac:11:00:03",
    annotations={"x": "y"},
    files=(InjectedFile("/run/secrets/s", "aGk=", 1, 2, 0o400),),
)
NETWORK_SPEC = NetworkSpec(
    "p_back", {"l": "v"}, "bridge", {"o": "1"}, True, True, True, "default",
    ({"subnet": "10.0.0.0/24", "gateway": "10.0.0.1"},), {"x": "y"},
)  # fmt: skip
VOLUME_SPEC = VolumeSpec("p_data", {"l": "v"}, "local", {"type": "tmpfs"})
BUILD_SPEC = BuildSpec(
    "p-app", "/src", "Dockerfile.dev", {"V": "1"}, "dev", {"l": "v"}, "host", True, True,
    ("h:1.2.3.4",), 64,
)  # fmt: skip
SPECS = [
    CONTAINER, NETWORK_SPEC, VOLUME_SPEC, BUILD_SPEC, *MOUNTS[:1], NETWORK, RESOURCES,
    CONTAINER.files[0],
]  # fmt: skip


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: type(s).__name__)
def test_fixtures_set_every_field_away_from_its_default(spec: Any) -> None:
    at_default = [f.name for f in dataclasses.fields(spec) if getattr(spec, f.name) == _default(f)]
    assert at_default == []


def full_plan() -> Plan:
    plan = Plan(project="p", warnings=["service web: something"])
    build = plan.add(OpKind.BUILD_IMAGE, "image:p-app", "--build", spec=BUILD_SPEC)
    pull = plan.add(OpKind.PULL_IMAGE, "image:nginx:1", "not found", image="nginx:1")
    net = plan.add(OpKind.CREATE_NETWORK, "network:back", "not found", spec=NETWORK_SPEC)
    vol = plan.add(OpKind.CREATE_VOLUME, "volume:data", "not found", spec=VOLUME_SPEC)
    diff = (
        FieldChange("environment.A", ChangeKind.CHANGED, "1", "0"),
        FieldChange("user", ChangeKind.ADDED, desired="1000:1000"),
        FieldChange("ports[1]", ChangeKind.REMOVED, observed={"target": 81}),
    )
    where = "container:web:1"
    create = plan.add(
        OpKind.CREATE_CONTAINER, where, "config changed", [build, pull, net, vol],
        spec=CONTAINER, diff=diff,
    )  # fmt: skip
    start = plan.add(OpKind.START_CONTAINER, where, "start-first: new container", [create])
    ready = plan.add(
        OpKind.WAIT_READY, where, "ready", [start], condition=ReadyCondition.HEALTHY, service="web"
    )
    stop = plan.add(OpKind.STOP_CONTAINER, where, "replaced", [ready], engine_id="old", timeout=2.5)
    plan.add(OpKind.RENAME_CONTAINER, where, "take the name", [stop], name="p-web-1")
    plan.add(OpKind.REMOVE_CONTAINER, where, "roll back", [ready], force=True, rollback=True)
    plan.add(OpKind.RESTART_CONTAINER, "container:app:1", "dep", engine_id="a1", timeout=3)
    plan.add(OpKind.REMOVE_NETWORK, "network:old", "unused", engine_id="n1")
    plan.add(OpKind.REMOVE_VOLUME, "volume:old", "down -v", engine_id="p_old")
    return plan


def test_every_op_and_spec_field_round_trips_through_a_saved_plan() -> None:
    plan = full_plan()
    saved = SavedPlan(plan, Fingerprint(), "0.1.0")
    back = loads(dumps(saved))
    assert back.plan.ops == plan.ops
    assert (back.plan.project, back.plan.warnings) == (plan.project, plan.warnings)
    assert back.plan.op(5).spec == CONTAINER
    assert back.orchestra == "0.1.0"
    assert dumps(back) == dumps(saved)


def test_a_saved_plan_is_tagged_versioned_json() -> None:
    data = json.loads(dumps(SavedPlan(Plan(project="p"), Fingerprint(), "9.9")))
    assert (data["kind"], data["version"], data["orchestra"]) == ("orchestra-plan", 1, "9.9")
    assert data["plan"] == {"version": 1, "project": "p", "warnings": [], "ops": []}
    assert set(data["fingerprint"]) == {"containers", "networks", "volumes", "images", "digest"}


def _saved_json(**edits: Any) -> str:
    data = json.loads(dumps(SavedPlan(full_plan(), Fingerprint(), "0.1.0")))
    for path, value in edits.items():
        *parents, last = path.split("__")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "Expecting property name"),
        ('{"kind": "other"}', "not an orchestra plan"),
        (_saved_json(version=2), "schema version 2 is not supported"),
        (_saved_json(plan__ops__0__params__colour="red"), "unknown parameters \\['colour'\\]"),
        (_saved_json(plan__ops__0__params__spec__speed=1), "spec: unknown fields \\['speed'\\]"),
        (_saved_json(plan__ops__4__params__spec__init="yes"), "spec.init: expected bool"),
        (_saved_json(plan__ops__4__params__spec__ports=[{"protocol": "tcp"}]), "container_port"),
        (_saved_json(plan__ops__1__id=7), "op ids must count from 1"),
        (_saved_json(plan__ops__1__kind="teleport"), "'teleport' is not a valid OpKind"),
        (_saved_json(plan__ops__4__deps=[99]), "depends on unknown or later ops"),
        (_saved_json(fingerprint__containers=[]), "malformed fingerprint"),
    ],
)
def test_malformed_plan_files_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=f"plan.json is not a valid saved plan: .*{message}"):
        loads(text, "plan.json")


def _container(cid: str, status: ContainerStatus, **labels: str) -> ObservedContainer:
    base = {lbl.CONFIG_HASH: "h1", lbl.IMAGE_ID: "sha256:1", **labels}
    return ObservedContainer(cid, f"p-{cid}-1", base, status, None, "sha256:1")


RUNNING, EXITED = ContainerStatus.RUNNING, ContainerStatus.EXITED
BASE = Observed(
    (_container("a", RUNNING), _container("b", EXITED), _container("c", RUNNING)),
    (ObservedNetwork("n1", "p_default", {}),),
    (ObservedVolume("p_data", {}),),
)
IMAGES: dict[str, str | None] = {"nginx:1": "sha256:1", "p-app": None}


def moved(observed: Observed, images: dict[str, str | None] | None = None) -> list[str]:
    return changes(fingerprint(BASE, IMAGES), fingerprint(observed, images or IMAGES))


def test_an_unchanged_engine_leaves_the_fingerprint_equal() -> None:
    healthier = Observed(
        tuple(dataclasses.replace(c, health=HealthStatus.HEALTHY) for c in BASE.containers),
        BASE.networks,
        BASE.volumes,
    )
    assert moved(BASE) == []
    assert moved(healthier) == []  # health changes by itself: it is not part of the state
    assert fingerprint(BASE, IMAGES).to_dict() == fingerprint(BASE, dict(IMAGES)).to_dict()


def test_every_kind_of_move_is_named() -> None:
    a, b, c = BASE.containers
    now = Observed(
        (
            dataclasses.replace(a, status=EXITED),
            dataclasses.replace(b, status=RUNNING, name="p-b-2"),
            _container("d", RUNNING),
            dataclasses.replace(c, labels={**c.labels, lbl.CONFIG_HASH: "h2"}),
        ),
        (ObservedNetwork("n2", "p_default", {}),),
        (),
    )
    images = {"nginx:1": "sha256:2", "p-app": "sha256:3"}
    assert moved(now, images) == [
        "container p-a-1 stopped",
        "container p-b-2 started",
        "container p-b-1 renamed to p-b-2",
        "container p-c-1 changed",
        "container p-d-1 created",
        "network p_default removed",
        "network p_default created",
        "volume p_data removed",
        "image nginx:1 changed",
        "image p-app pulled or built",
    ]


def test_a_removed_container_and_image_are_named() -> None:
    assert moved(Observed(BASE.containers[1:], BASE.networks, BASE.volumes)) == [
        "container p-a-1 removed"
    ]
    assert moved(BASE, {"nginx:1": None, "p-app": None}) == ["image nginx:1 removed"]


def test_fingerprint_round_trips_and_digests_its_content() -> None:
    before = fingerprint(BASE, IMAGES)
    assert Fingerprint.from_dict(before.to_dict()) == before
    other = fingerprint(Observed(BASE.containers[:1]), IMAGES)
    assert before.to_dict()["digest"] != other.to_dict()["digest"]


def test_check_fresh_refuses_a_stale_plan_naming_the_first_changes() -> None:
    saved = SavedPlan(Plan(project="p"), fingerprint(BASE, IMAGES))
    check_fresh(saved, fingerprint(BASE, IMAGES))
    many = Observed(tuple(_container(f"x{i}", RUNNING) for i in range(4)))
    with pytest.raises(StalePlanError) as caught:
        check_fresh(saved, fingerprint(many, IMAGES))
    assert str(caught.value) == (
        "the engine changed since the plan was made: container p-a-1 removed, "
        "container p-b-1 removed, container p-c-1 removed, container p-x0-1 created, "
        "container p-x1-1 created +4 more; run orchestra plan again"
    )
    assert caught.value.exit_code == 1
