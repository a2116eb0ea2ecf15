"""``deploy.placement`` and ``deploy.endpoint_mode`` in the loader and in ``config`` output."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from orchestra.api_load import load_project
from orchestra.errors import SpecError
from orchestra.plan.spec_warnings import service_warnings
from orchestra.spec.model import Deploy, Placement, Project
from orchestra.spec.normalize_placement import constraint_problem
from orchestra.spec.render import project_to_dict


def _load(tmp_path: Path, deploy: str) -> Project:
    body = textwrap.indent(textwrap.dedent(deploy).strip(), " " * 6)
    text = f"services:\n  web:\n    image: busybox\n    deploy:\n{body}\n"
    (tmp_path / "compose.yaml").write_text(text)
    return load_project(tmp_path / "compose.yaml", project_name="demo")


def _problems(tmp_path: Path, deploy: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        _load(tmp_path, deploy)
    return [str(p) for p in caught.value.problems]


def test_placement_and_endpoint_mode_are_read(tmp_path: Path) -> None:
    project = _load(
        tmp_path,
        """
        endpoint_mode: dnsrr
        placement:
          constraints: [node.role == manager, "node.labels.zone!=east", engine.labels.ssd==1]
          preferences: [{spread: node.labels.zone}, {spread: node.labels.rack}]
          max_replicas_per_node: "2"
        """,
    )
    deploy = project.services["web"].deploy
    assert deploy is not None
    assert deploy.endpoint_mode == "dnsrr"
    assert deploy.placement == Placement(
        constraints=("node.role == manager", "node.labels.zone!=east", "engine.labels.ssd==1"),
        preferences=("node.labels.zone", "node.labels.rack"),
        max_replicas_per_node=2,
    )


def test_files_without_placement_keep_none(tmp_path: Path) -> None:
    """None (not an empty Placement) keeps the container backend's config hash unchanged."""
    deploy = _load(tmp_path, "replicas: 2").services["web"].deploy
    assert deploy == Deploy(replicas=2)


@pytest.mark.parametrize(
    ("deploy", "expected"),
    [
        (
            "placement: {constraints: [node.role]}",
            "compose.yaml:5:33: services.web.deploy.placement.constraints[0]: 'node.role' is not",
        ),
        (
            "placement: {constraints: ['node.label.zone == a']}",
            "constraints[0]: 'node.label.zone == a': Swarm knows no attribute 'node.label.zone'",
        ),
        ("placement: {constraints: ['== a']}", "constraints[0]: '== a': '' is not an attribute"),
        ("placement: {constraints: ['node.role == ']}", "'' is not a valid value"),
        ("placement: {constraints: node.role==manager}", "constraints: must be a list"),
        ("placement: {preferences: [node.labels.zone]}", "preferences[0]: must be a mapping"),
        ("placement: {preferences: [{}]}", "preferences[0]: needs 'spread'"),
        ("placement: {preferences: [{spread: a, other: b}]}", "preferences[0].other: unknown"),
        ("placement: {max_replicas_per_node: -1}", "max_replicas_per_node: must not be negative"),
        ("placement: {colocate: true}", "services.web.deploy.placement.colocate: unknown attr"),
        ("endpoint_mode: round-robin", "endpoint_mode: must be one of dnsrr, vip, not 'round"),
    ],
)
def test_placement_problems_name_file_service_and_key(
    tmp_path: Path, deploy: str, expected: str
) -> None:
    found = _problems(tmp_path, deploy)
    assert len(found) == 1, found
    assert expected in found[0]


def test_every_bad_constraint_is_reported(tmp_path: Path) -> None:
    found = _problems(tmp_path, "placement: {constraints: [a, 'node.id == x', b]}")
    assert [p.split(": ", 2)[1] for p in found] == [
        "services.web.deploy.placement.constraints[0]",
        "services.web.deploy.placement.constraints[2]",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "node.id==2ivku8v2gvtg4",
        "node.hostname != node-2",
        "node.ip == 10.0.0.1",
        "node.platform.os==linux",
        "node.platform.arch == x86_64",
        "NODE.ROLE==Manager",
        "node.labels.security == high",
        "engine.labels.operatingsystem == ubuntu 22.04",
    ],
)
def test_constraints_swarm_evaluates_are_accepted(text: str) -> None:
    assert constraint_problem(text) is None


def test_config_prints_placement_as_docker_compose_does(tmp_path: Path) -> None:
    project = _load(
        tmp_path,
        """
        endpoint_mode: vip
        placement:
          constraints: [node.role==worker]
          preferences: [{spread: node.labels.zone}]
          max_replicas_per_node: 0
        """,
    )
    deploy = project_to_dict(project)["services"]["web"]["deploy"]
    assert deploy == {
        "resources": {},
        "placement": {
            "constraints": ["node.role==worker"],
            "preferences": [{"spread": "node.labels.zone"}],
        },
        "endpoint_mode": "vip",
    }


def test_the_container_backend_warns_it_ignores_placement(tmp_path: Path) -> None:
    project = _load(tmp_path, "placement: {constraints: [node.role==worker]}")
    warnings = service_warnings(project, project.services["web"])
    assert warnings == [
        "service web: deploy.placement and deploy.endpoint_mode are ignored without Swarm"
    ]
