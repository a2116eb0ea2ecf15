"""The swarm adapter's pure parts: engine JSON -> snapshots, log details, event and error rules.

The JSON rows are trimmed copies of what Engine 20.10 (API 1.41) answered on a one-node swarm.
"""

from __future__ import annotations

from typing import Any

import pytest

from orchestra.engine.docker_swarm_events import ProjectEvents, event_filters, keeps_event
from orchestra.engine.docker_swarm_faults import out_of_sequence, swarm_failure
from orchestra.engine.docker_swarm_parse import (
    manager_problem,
    observed_object,
    observed_service,
    observed_task,
    split_log_details,
    swarm_node,
    task_names,
)
from orchestra.errors import (
    ConflictError,
    EngineError,
    EngineUnavailableError,
    NotFoundError,
    SwarmNotManagerError,
)

SERVICE_ROW: dict[str, Any] = {
    "ID": "sciyajm0e6olz7dybm0c7z1ef",
    "Version": {"Index": 11},
    "Spec": {
        "Name": "exp_web",
        "Labels": {"com.docker.compose.project": "exp"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "orchestra-test/busybox:1",
                "Labels": {"com.docker.compose.service": "web"},
            }
        },
        "Mode": {"Replicated": {"Replicas": 2}},
    },
    "UpdateStatus": {"State": "rollback_completed", "Message": "rollback completed"},
}

TASK_ROW: dict[str, Any] = {
    "ID": "lq1p8ekv1qyu9xfgffhwecroh",
    "ServiceID": "sciyajm0e6olz7dybm0c7z1ef",
    "Slot": 1,
    "NodeID": "5tpuze75vmgo0ej5kt76uxnhu",
    "Status": {
        "Timestamp": "2026-11-28T09:31:25.085689765Z",
        "State": "starting",
        "Message": "starting",
        "ContainerStatus": {"ContainerID": "c5a8650d1158", "PID": 0, "ExitCode": 0},
    },
    "DesiredState": "running",
}


def test_a_service_row_becomes_an_observed_service() -> None:
    service = observed_service(SERVICE_ROW)
    assert (service.id, service.name, service.version) == (SERVICE_ROW["ID"], "exp_web", 11)
    assert (service.mode, service.replicas, service.image) == (
        "replicated",
        2,
        "orchestra-test/busybox:1",
    )
    assert service.labels == {"com.docker.compose.project": "exp"}
    assert (service.update_state, service.update_message) == (
        "rollback_completed",
        "rollback completed",
    )


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ({"Global": {}}, ("global", None)),
        ({"Replicated": {}}, ("replicated", 1)),
        ({"ReplicatedJob": {"TotalCompletions": 3}}, ("replicated-job", 3)),
        ({"GlobalJob": {}}, ("global-job", None)),
        (None, ("replicated", 1)),
    ],
)
def test_service_modes(mode: dict[str, Any] | None, expected: tuple[str, int | None]) -> None:
    row = {"ID": "x", "Spec": {"Name": "p_s", "Mode": mode}}
    service = observed_service(row)
    assert (service.mode, service.replicas) == expected
    assert service.update_state is None


def test_a_task_row_becomes_an_observed_task() -> None:
    task = observed_task(TASK_ROW)
    assert task.state == "starting"  # a healthcheck has not passed yet
    assert (task.slot, task.desired_state, task.container_id) == (1, "running", "c5a8650d1158")
    assert task.timestamp.startswith("2026-11-28T09:31:25")
    failed = observed_task(
        {"ID": "t", "NodeID": "", "Status": {"State": "rejected", "Err": "No such image: x"}}
    )
    assert (failed.slot, failed.error, failed.container_id) == (None, "No such image: x", "")


def test_task_names_follow_docker_service_ps() -> None:
    global_task = {**TASK_ROW, "ID": "g1", "Slot": 0}
    services = {SERVICE_ROW["ID"]: SERVICE_ROW}
    assert task_names(services, [TASK_ROW, global_task]) == {
        TASK_ROW["ID"]: "exp_web.1",
        "g1": "exp_web.5tpuze75vmgo0ej5kt76uxnhu",
    }


def test_nodes_and_objects() -> None:
    node = swarm_node(
        {
            "ID": "n1",
            "Spec": {"Labels": {"db": "true"}, "Role": "manager", "Availability": "active"},
            "Description": {"Hostname": "vm"},
            "Status": {"State": "ready", "Addr": "127.0.0.1"},
        }
    )
    assert (node.hostname, node.role, node.availability, node.state, node.address) == (
        "vm",
        "manager",
        "active",
        "ready",
        "127.0.0.1",
    )
    assert node.labels == {"db": "true"}
    secret = observed_object("secret", {"ID": "s1", "Spec": {"Name": "p_pw-0123", "Labels": {}}})
    assert (secret.kind, secret.id, secret.name, secret.labels) == ("secret", "s1", "p_pw-0123", {})


@pytest.mark.parametrize(
    ("swarm", "fragment"),
    [
        ({"LocalNodeState": "inactive"}, "not part of a swarm: run `docker swarm init`"),
        ({"LocalNodeState": "active", "ControlAvailable": False}, "a swarm worker"),
        ({"LocalNodeState": "locked"}, "docker swarm unlock"),
        ({"LocalNodeState": "pending"}, "still joining"),
        ({"LocalNodeState": "error", "Error": "boom"}, "(boom)"),
        (None, "point DOCKER_HOST at a swarm manager"),
    ],
)
def test_manager_problem_says_what_is_wrong_and_what_to_do(
    swarm: dict[str, Any] | None, fragment: str
) -> None:
    problem = manager_problem({"Swarm": swarm}, "unix:///x.sock")
    assert problem is not None
    assert fragment in problem and "unix:///x.sock" in problem


def test_an_active_manager_has_no_problem() -> None:
    info = {"Swarm": {"LocalNodeState": "active", "ControlAvailable": True}}
    assert manager_problem(info, "h") is None


@pytest.mark.parametrize(
    ("line", "details", "message"),
    [
        (
            "com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,"
            "com.docker.swarm.task.id=t1 hello world",
            {
                "com.docker.swarm.node.id": "n1",
                "com.docker.swarm.service.id": "s1",
                "com.docker.swarm.task.id": "t1",
            },
            "hello world",
        ),
        ("com.docker.swarm.task.id=t1 ", {"com.docker.swarm.task.id": "t1"}, ""),
        (
            "env=a+b%2Cc,com.docker.swarm.task.id=t2 x",
            {"env": "a b,c", "com.docker.swarm.task.id": "t2"},
            "x",
        ),
        (" no details here", {}, "no details here"),
        ("plain", {}, "plain"),
        ("plain words only", {}, "plain words only"),
    ],
)
def test_log_details_are_split_from_the_message(
    line: str, details: dict[str, str], message: str
) -> None:
    assert split_log_details(line) == (details, message)


def _event(kind: str, actor: str, **attributes: str) -> dict[str, Any]:
    return {"Type": kind, "Action": "update", "Actor": {"ID": actor, "Attributes": attributes}}


def test_events_are_kept_by_project_label_service_id_or_name() -> None:
    known = {"svc1"}
    project_label = {"com.docker.compose.project": "shop"}
    assert keeps_event(_event("container", "c1", **project_label), "shop", known)
    assert not keeps_event(
        _event("container", "c2", **{"com.docker.compose.project": "shopx"}), "shop", known
    )
    assert keeps_event(_event("service", "svc1", name="renamed"), "shop", known)
    assert not keeps_event(_event("service", "other", name="shopx_web"), "shop", known)
    assert keeps_event(_event("node", "n1"), "shop", known)
    assert not keeps_event(_event("network", "net1", name="shop_default"), "shop", known)
    # A service created after the stream opened is recognised by name, then by id.
    assert keeps_event(_event("service", "svc2", name="shop_api"), "shop", known)
    assert "svc2" in known
    assert keeps_event(_event("service", "svc2"), "shop", known)


def test_project_events_filter_a_stream_and_close_it() -> None:
    class Stream:
        closed = False

        def __iter__(self) -> Any:
            yield _event("service", "a", name="shop_web")
            yield _event("service", "b", name="bar_web")
            yield _event("container", "c", **{"com.docker.compose.project": "shop"})

        def close(self) -> None:
            self.closed = True

    stream = Stream()
    events = ProjectEvents(stream, "shop", ())
    assert [raw["Actor"]["ID"] for raw in events] == ["a", "c"]
    events.close()
    assert stream.closed


def test_event_filters_keep_lifecycle_and_updates_but_not_execs() -> None:
    wanted = event_filters()
    assert wanted["type"] == ["service", "node", "container"]
    assert {"update", "create", "remove", "start", "die", "health_status"} <= set(wanted["event"])
    assert not any(action.startswith("exec") for action in wanted["event"])


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            EngineError("list services: This node is not a swarm manager. Use ..."),
            SwarmNotManagerError,
        ),
        (EngineError("create service p_web: network nonet not found"), NotFoundError),
        (
            EngineError(
                "create service p_web: rpc error: code = InvalidArgument "
                "desc = secret not found: pw"
            ),
            NotFoundError,
        ),
        (
            EngineError("x: rpc error: code = NotFound desc = service p_web not found"),
            NotFoundError,
        ),
        (
            EngineError(
                "remove secret s1: rpc error: code = InvalidArgument desc = secret 'p_pw' "
                "is in use by the following service: p_web"
            ),
            ConflictError,
        ),
        (
            EngineError("x: rpc error: code = Unknown desc = The swarm does not have a leader."),
            EngineUnavailableError,
        ),
        (EngineError("create service p_web: invalid mount config"), EngineError),
    ],
)
def test_swarm_refusals_are_refined(error: EngineError, expected: type[EngineError]) -> None:
    refined = swarm_failure(error, "unix:///x.sock")
    assert type(refined) is expected
    assert str(error) in str(refined)
    if expected is SwarmNotManagerError:
        assert refined.exit_code == 2 and "docker swarm init" in str(refined)


def test_already_specific_errors_stay_as_they_are() -> None:
    error = ConflictError("create service p_web: name conflicts with an existing object")
    assert swarm_failure(error, "h") is error
    assert out_of_sequence(EngineError("update service: rpc error: update out of sequence"))
    assert not out_of_sequence(EngineError("update service: something else"))
