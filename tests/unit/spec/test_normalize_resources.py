"""deploy (replicas, resources, policies), ulimits and logging."""

from __future__ import annotations

import pytest
from raw_tree_builder import service_of, service_problems

from orchestra.spec.model import (
    Deploy,
    Logging,
    ResourceLimits,
    Resources,
    RestartPolicy,
    Ulimit,
    UpdateConfig,
)


def test_deploy_in_full() -> None:
    service = service_of(
        """
        deploy:
          mode: replicated
          replicas: "3"
          labels: [a=b]
          resources:
            limits: {cpus: '0.5', memory: 50M, pids: 10}
            reservations: {cpus: 0.25, memory: 20m}
          restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 2m}
          update_config: {parallelism: 2, delay: 10s, order: start-first, failure_action: pause}
          rollback_config: {parallelism: 0, monitor: 1s, max_failure_ratio: 0.5}
        """
    )
    assert service.deploy == Deploy(
        mode="replicated",
        replicas=3,
        labels=service.deploy.labels if service.deploy else {},
        resources=Resources(
            limits=ResourceLimits(cpus=0.5, memory=50 * 1024**2, pids=10),
            reservations=ResourceLimits(cpus=0.25, memory=20 * 1024**2),
        ),
        restart_policy=RestartPolicy("on-failure", 5.0, 3, 120.0),
        update_config=UpdateConfig(2, 10.0, "pause", None, None, "start-first"),
        rollback_config=UpdateConfig(0, None, None, 1.0, 0.5, None),
    )
    assert service.deploy is not None and dict(service.deploy.labels) == {"a": "b"}
    assert service.replicas == 3


def test_empty_deploy_keeps_empty_resources() -> None:
    assert service_of("deploy: {}").deploy == Deploy()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("deploy: {replicas: -1}", "compose.yaml:4:24: services.web.deploy.replicas: must not be"),
        ("deploy: {replicas: many}", "services.web.deploy.replicas: must be an integer"),
        ("deploy: {mode: global-job}", "deploy.mode: must be one of global, replicated"),
        (
            "deploy: {placement: {constraints: [node.role]}}",
            "compose.yaml:4:40: services.web.deploy.placement.constraints[0]: 'node.role' is not",
        ),
        (
            "deploy: {resources: {limits: {cpus: lots}}}",
            "services.web.deploy.resources.limits.cpus: must be a number, not 'lots'",
        ),
        ("deploy: {resources: {limits: {memory: 1x}}}", "limits.memory: invalid size '1x'"),
        ("deploy: {resources: {limits: {memory: -1}}}", "limits.memory: must not be negative"),
        (
            "deploy: {resources: {limits: {gpus: 1}}}",
            "limits.gpus: unknown attribute (did you mean 'cpus'?)",
        ),
        (
            "deploy: {resources: {reservations: {devices: []}}}",
            "reservations.devices: not supported by orchestra",
        ),
        (
            "deploy: {restart_policy: {condition: always}}",
            "restart_policy.condition: must be one of any, none, on-failure, not 'always'",
        ),
        ("deploy: {update_config: {order: random}}", "update_config.order: must be one of"),
        ("deploy: {update_config: {delay: 10}}", "update_config.delay: must be a duration"),
        ("deploy: 3", "services.web.deploy: must be a mapping, not int 3"),
    ],
)
def test_deploy_problems_are_located(body: str, expected: str) -> None:
    found = service_problems(body)
    assert len(found) == 1, found
    assert expected in found[0]


def test_ulimits_single_and_soft_hard() -> None:
    service = service_of("ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 65535}")
    assert dict(service.ulimits) == {"nofile": Ulimit(1024, 2048), "nproc": Ulimit(65535, 65535)}
    assert service.ulimits["nproc"].single and not service.ulimits["nofile"].single


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("ulimits: {nofile: {soft: 1}}", "services.web.ulimits.nofile: needs both"),
        ("ulimits: {nofile: {soft: 2, hard: 1}}", "soft limit 2 is above the hard limit 1"),
        ("ulimits: {nofile: lots}", "services.web.ulimits.nofile: must be an integer"),
        ("ulimits: [nofile]", "services.web.ulimits: must be a mapping"),
        ("ulimits: {nofile: {soft: 1, hard: 2, max: 3}}", "nofile.max: unknown attribute"),
    ],
)
def test_ulimit_problems(body: str, expected: str) -> None:
    found = service_problems(body)
    assert any(expected in p for p in found), found


def test_logging_options_become_text() -> None:
    service = service_of("logging: {driver: syslog, options: {a: 1, b: }}")
    assert service.logging == Logging("syslog", service.logging.options if service.logging else {})
    assert service.logging is not None and dict(service.logging.options) == {"a": "1", "b": ""}


def test_logging_unknown_key() -> None:
    assert service_problems("logging: {drvier: x}") == [
        "compose.yaml:4:15: services.web.logging.drvier: unknown attribute (did you mean 'driver'?)"
    ]
