"""Plain service attributes: commands, scalars from strings, cgroup knobs, service-wide checks."""

from __future__ import annotations

from typing import Any

import pytest
from raw_tree_builder import problems_of, service_of, service_problems

from orchestra.spec.model import ServiceNetwork


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ('command: sh -c "echo hi && sleep 1"', ("sh", "-c", "echo hi && sleep 1")),
        ("command: [echo, 1, two]", ("echo", "1", "two")),
        ("command: []", ()),
        ("command: ", None),
        ("command: \"a  'b c' d\\\\ e\"", ("a", "b c", "d e")),
    ],
)
def test_command_forms(body: str, command: tuple[str, ...] | None) -> None:
    assert service_of(body).command == command


def test_entrypoint_string_is_split_and_empty_list_kept() -> None:
    assert service_of("entrypoint: /bin/sh -c").entrypoint == ("/bin/sh", "-c")
    assert service_of("entrypoint: []").entrypoint == ()


@pytest.mark.parametrize(
    ("body", "attribute", "value"),
    [
        ("mem_limit: 500m", "mem_limit", 500 * 1024**2),
        ('mem_limit: "512"', "mem_limit", 512),
        ("mem_limit: 1048576", "mem_limit", 1048576),
        ("memswap_limit: -1", "memswap_limit", -1),
        ("mem_reservation: 1gb", "mem_reservation", 1024**3),
        ("shm_size: 64m", "shm_size", 64 * 1024**2),
        ('cpus: "1.5"', "cpus", 1.5),
        ("cpus: 2", "cpus", 2.0),
        ('cpu_shares: "512"', "cpu_shares", 512),
        ("cpu_quota: 50000", "cpu_quota", 50000),
        ("cpu_period: 100000", "cpu_period", 100000),
        ('cpuset: "0,1"', "cpuset", "0,1"),
        ('pids_limit: "-1"', "pids_limit", -1),
        ("oom_score_adj: -500", "oom_score_adj", -500),
        ("mem_swappiness: 0", "mem_swappiness", 0),
        ("oom_kill_disable: true", "oom_kill_disable", True),
        ("cgroup_parent: p", "cgroup_parent", "p"),
        ('init: "true"', "init", True),
        ("init: false", "init", False),
        ('tty: "false"', "tty", False),
        ("stdin_open: true", "stdin_open", True),
        ("privileged: true", "privileged", True),
        ("read_only: true", "read_only", True),
        ("stop_grace_period: 1m30s", "stop_grace_period", 90.0),
        ("stop_signal: SIGINT", "stop_signal", "SIGINT"),
        ("restart: on-failure:3", "restart", "on-failure:3"),
        ('restart: "no"', "restart", "no"),
        ("pull_policy: build", "pull_policy", "build"),
        ("container_name: web-1", "container_name", "web-1"),
        ('user: "1000:1000"', "user", "1000:1000"),
        ("group_add: [audio, 1000]", "group_add", ("audio", "1000")),
        ("working_dir: /app", "working_dir", "/app"),
        ("hostname: h", "hostname", "h"),
        ("domainname: d.example", "domainname", "d.example"),
        ("dns: 8.8.8.8", "dns", ("8.8.8.8",)),
        ("dns_search: [a.example]", "dns_search", ("a.example",)),
        ("dns_opt: [ndots:1]", "dns_opt", ("ndots:1",)),
        ("cap_add: [NET_ADMIN, NET_ADMIN, SYS_TIME]", "cap_add", ("NET_ADMIN", "SYS_TIME")),
        ("cap_drop: [ALL]", "cap_drop", ("ALL",)),
        ('security_opt: ["no-new-privileges:true"]', "security_opt", ("no-new-privileges:true",)),
        ("ipc: host", "ipc", "host"),
        ("pid: host", "pid", "host"),
        ("platform: linux/amd64", "platform", "linux/amd64"),
        ("profiles: [dev]", "profiles", ("dev",)),
        ("scale: 3", "scale", 3),
        ("external_links: [redis_1]", "external_links", ("redis_1",)),
        ("x-custom: ignored", "image", "busybox"),
    ],
)
def test_scalar_attributes(body: str, attribute: str, value: Any) -> None:
    assert getattr(service_of(body, profiles=("dev",)), attribute) == value


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("mem_limit: 12zb", "compose.yaml:4:16: services.web.mem_limit: invalid size '12zb'"),
        ("mem_limit: -1", "services.web.mem_limit: must be in 0.., not -1"),
        ("memswap_limit: -2", "services.web.memswap_limit: must be in -1.., not -2"),
        ("cpus: lots", "services.web.cpus: must be a number, not 'lots'"),
        ("cpus: -1", "services.web.cpus: must not be negative"),
        ("cpus: .inf", "services.web.cpus: must be a number, not float inf"),
        ("cpus: '1e400'", "services.web.cpus: must be a number, not '1e400'"),
        ("cpu_shares: 1.5", "services.web.cpu_shares: must be an integer"),
        ("mem_swappiness: 101", "must be in 0..100"),
        ("oom_score_adj: 2000", "must be in -1000..1000"),
        ("init: 1", "services.web.init: must be a boolean, not int 1"),
        ("stop_grace_period: 10", "must be a duration such as '1m30s', not int 10"),
        ("stop_grace_period: 1x", "unknown unit 'x'"),
        ("stop_grace_period: -1s", "must not be negative"),
        ("restart: sometimes", "services.web.restart: invalid restart policy 'sometimes'"),
        ("pull_policy: often", "invalid pull policy 'often'"),
        ("container_name: -x", "invalid container name '-x'"),
        ("user: 1000", "services.web.user: must be a string"),
        ("hostname: [a]", "services.web.hostname: must be a string"),
        ("cap_add: CHOWN", "services.web.cap_add: must be a list of strings"),
        ("command: {a: b}", "services.web.command: must be a list of strings"),
        ("command: 'a \"b'", "cannot split into words"),
        ("scale: -1", "services.web.scale: must not be negative"),
        ("profiles: dev", "services.web.profiles: must be a list of strings"),
    ],
)
def test_bad_scalar_values_are_located(body: str, expected: str) -> None:
    found = service_problems(body)
    assert len(found) == 1, found
    assert expected in found[0]


def test_a_service_needs_an_image_or_a_build() -> None:
    assert problems_of("services:\n  web:\n    environment: [A=1]\n") == [
        "compose.yaml:2:3: services.web: has neither an image nor a build context specified"
    ]


@pytest.mark.parametrize("body", ["imagee: x", "image: 12", "image: [x]", "biuld: ."])
def test_a_bad_or_misspelt_image_is_reported_alone(body: str) -> None:
    found = problems_of(f"services:\n  web:\n    {body}\n")
    assert len(found) == 1 and found[0].startswith("compose.yaml:3:"), found


def test_pull_policy_if_not_present_is_missing() -> None:
    assert service_of("pull_policy: if_not_present").pull_policy == "missing"


def test_a_service_must_be_a_mapping_with_a_valid_name() -> None:
    found = problems_of("services:\n  web:\n  'a b':\n    image: x\n")
    assert found == [
        "compose.yaml:2:7: services.web: a service must be a mapping",
        "compose.yaml:3:3: services.a b: invalid service name 'a b' (letters, digits, '.', "
        "'_', '-')",
    ]


def test_services_join_default_unless_told_otherwise() -> None:
    assert dict(service_of("").networks) == {"default": ServiceNetwork()}
    assert dict(service_of("network_mode: host").networks) == {}


def test_network_mode_excludes_networks() -> None:
    found = service_problems("network_mode: host\nnetworks: [default]")
    assert found == [
        "compose.yaml:4:19: services.web.network_mode: cannot be combined with 'networks'"
    ]


def test_container_name_needs_a_single_replica() -> None:
    found = service_problems("container_name: web\nscale: 2")
    assert "services.web.container_name: cannot be used with 2 replicas" in found[0]


def test_cgroup_limits_must_agree_with_deploy_limits() -> None:
    body = "mem_limit: 1g\ncpus: 1\ndeploy: {resources: {limits: {memory: 512m, cpus: '1'}}}"
    assert service_problems(body) == [
        "compose.yaml:4:16: services.web.mem_limit: differs from deploy.resources.limits.memory"
    ]


def test_replicas_come_from_deploy_then_scale_then_one() -> None:
    assert service_of("").replicas == 1
    assert service_of("scale: 3").replicas == 3
    assert service_of("scale: 3\ndeploy: {replicas: 2}").replicas == 2
    assert service_of("deploy: {replicas: 0}").replicas == 0
