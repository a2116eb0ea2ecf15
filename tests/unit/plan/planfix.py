"""Test helpers for the planners: Compose text → Project, and observed engine state in a line.

``converged(project)`` is what the engine holds right after a successful ``up`` of the project
(every replica running with the labels the planner itself writes); tests then change one thing.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from orchestra import labels as lbl
from orchestra.engine.base import (
    ContainerStatus,
    HealthStatus,
    Observed,
    ObservedContainer,
    ObservedNetwork,
    ObservedVolume,
)
from orchestra.plan.container_spec import container_spec, image_ref
from orchestra.spec.load import project_from_raw
from orchestra.spec.model import Project
from orchestra.spec.raw import RMap
from orchestra.spec.yamlload import parse_yaml

IMG_A = "sha256:" + "a" * 64
IMG_B = "sha256:" + "b" * 64
VERSION = "0.1.0"


@dataclass(frozen=True)
class _Raw:
    tree: RMap
    name: str = "demo"
    directory: Path = Path("/proj")
    files: tuple[Path, ...] = (Path("/proj/compose.yaml"),)
    environment: Mapping[str, str] = field(default_factory=dict)
    profiles: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def load(text: str, *, profiles: tuple[str, ...] = ()) -> Project:
    """The project ``demo`` of the Compose YAML ``text`` (paths in it must be absolute)."""
    tree = parse_yaml(textwrap.dedent(text), "compose.yaml")[0]
    return project_from_raw(_Raw(tree=tree, profiles=profiles))


def images_of(project: Project, image_id: str = IMG_A) -> dict[str, str | None]:
    """Every image the project's services use, present locally with ``image_id``."""
    return {image_ref(project.name, s): image_id for s in project.services.values()}


def container(
    project: Project,
    service: str,
    number: int = 1,
    *,
    status: ContainerStatus = ContainerStatus.RUNNING,
    health: HealthStatus | None = None,
    image_id: str = IMG_A,
    labels: Mapping[str, str] | None = None,
) -> ObservedContainer:
    """A container of ``service`` as ``up`` would have left it, in state ``status``."""
    spec = container_spec(project, project.services[service], number, image_id, VERSION)
    return ObservedContainer(
        id=f"id-{service}-{number}",
        name=spec.name,
        labels={**spec.labels, **(labels or {})},
        status=status,
        health=health,
        image_id=image_id,
    )


def stale(project: Project, service: str, number: int = 1, **kwargs: object) -> ObservedContainer:
    """A container of ``service`` created from an older configuration."""
    return container(project, service, number, labels={lbl.CONFIG_HASH: "old"}, **kwargs)  # type: ignore[arg-type]


def orphan(name: str, service: str, number: int = 1, running: bool = True) -> ObservedContainer:
    """A container of the project whose service the files no longer define."""
    labels = {
        lbl.PROJECT: "demo",
        lbl.SERVICE: service,
        lbl.CONTAINER_NUMBER: str(number),
        lbl.ONEOFF: "False",
    }
    status = ContainerStatus.RUNNING if running else ContainerStatus.EXITED
    return ObservedContainer(f"id-{name}", name, labels, status, None, IMG_A)


def network(key: str, name: str | None = None) -> ObservedNetwork:
    labels = {lbl.PROJECT: "demo", lbl.NETWORK: key}
    return ObservedNetwork(f"net-{key}", name or f"demo_{key}", labels)


def volume(key: str, name: str | None = None) -> ObservedVolume:
    return ObservedVolume(name or f"demo_{key}", {lbl.PROJECT: "demo", lbl.VOLUME: key})


def converged(project: Project, *, replicas: Mapping[str, int] | None = None) -> Observed:
    """The engine right after ``up``: containers running, networks and volumes present."""
    counts = replicas or {}
    containers = tuple(
        container(project, name, n)
        for name, service in sorted(project.services.items())
        for n in range(1, counts.get(name, service.replicas) + 1)
    )
    networks = tuple(
        network(key, n.name) for key, n in sorted(project.networks.items()) if not n.external
    )
    volumes = tuple(
        volume(key, v.name) for key, v in sorted(project.volumes.items()) if not v.external
    )
    return Observed(containers, networks, volumes)


def swap(observed: Observed, *replacements: ObservedContainer) -> Observed:
    """``observed`` with the containers of the same name replaced (or added)."""
    by_name = {c.name: c for c in observed.containers}
    for new in replacements:
        by_name[new.name] = new
    return replace(observed, containers=tuple(by_name.values()))


def without(observed: Observed, *names: str) -> Observed:
    """``observed`` without the named containers."""
    return replace(
        observed, containers=tuple(c for c in observed.containers if c.name not in names)
    )
