"""The model is immutable and its derived values are right."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from raw_tree_builder import service_of

from orchestra.spec.model import Deploy, Project, Service, Ulimit, frozen_map


def test_services_are_frozen_and_their_maps_read_only() -> None:
    service = service_of("environment: {A: 1}\nlabels: [a=b]")
    with pytest.raises(dataclasses.FrozenInstanceError):
        service.image = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        service.environment["A"] = "2"  # type: ignore[index]
    with pytest.raises(TypeError):
        service.labels["b"] = "c"  # type: ignore[index]


def test_frozen_map_copies() -> None:
    source = {"a": 1}
    frozen = frozen_map(source)
    source["a"] = 2
    assert frozen["a"] == 1


@pytest.mark.parametrize(
    ("service", "replicas"),
    [
        (Service("a"), 1),
        (Service("a", scale=0), 0),
        (Service("a", scale=3), 3),
        (Service("a", scale=3, deploy=Deploy()), 3),
        (Service("a", scale=3, deploy=Deploy(replicas=5)), 5),
    ],
)
def test_replicas(service: Service, replicas: int) -> None:
    assert service.replicas == replicas


def test_ulimit_equality_ignores_the_written_form() -> None:
    assert Ulimit(5, 5, single=True) == Ulimit(5, 5)


def test_service_field_names_are_compose_attribute_names() -> None:
    names = {f.name for f in dataclasses.fields(Service)}
    assert {"mem_limit", "stop_grace_period", "depends_on", "volumes_from", "cpus"} <= names


def test_project_defaults_are_empty() -> None:
    project = Project(name="p", directory=Path("/p"))
    assert dict(project.services) == {} and project.warnings == () and project.files == ()
