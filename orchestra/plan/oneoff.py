"""The create request of a one-off container (``orchestra run``): the service's container with
the command line's overrides, labelled ``oneoff`` so ``up`` and ``down`` keep their hands off.

Pure: the caller passes the random suffix. Never imports ``docker``/``anyio``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from orchestra import labels
from orchestra.engine.base import ContainerSpec, NetworkAttachment, PortBinding
from orchestra.plan.container_spec import container_spec
from orchestra.spec.model import Project

__all__ = ["RunOverrides", "oneoff_spec"]


@dataclass(frozen=True)
class RunOverrides:
    """What ``run`` may change; None keeps the service's own value."""

    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    user: str | None = None
    working_dir: str | None = None
    name: str | None = None
    service_ports: bool = False  # publish the service's ports (compose's --service-ports)


def oneoff_spec(
    project: Project,
    service_name: str,
    image_id: str | None,
    version: str,
    suffix: str,
    overrides: RunOverrides,
) -> ContainerSpec:
    """A one-off container of ``service_name``; KeyError when there is no such service."""
    service = project.services[service_name]
    base = container_spec(project, service, 1, image_id, version)
    name = overrides.name or f"{project.name}-{service_name}-run-{suffix}"
    ports = base.ports if overrides.service_ports else tuple(_expose_only(base.ports))
    return dataclasses.replace(
        base,
        name=name,
        labels={**base.labels, labels.ONEOFF: "True", labels.CONTAINER_NUMBER: "1"},
        command=overrides.command if overrides.command else base.command,
        entrypoint=overrides.entrypoint if overrides.entrypoint is not None else base.entrypoint,
        environment={**base.environment, **overrides.environment},
        user=overrides.user or base.user,
        working_dir=overrides.working_dir or base.working_dir,
        ports=ports,
        # One-off containers must not answer to the service's name: only their own.
        networks=tuple(NetworkAttachment(a.network) for a in base.networks),
        restart_policy=None,
    )


def _expose_only(ports: tuple[PortBinding, ...]) -> list[PortBinding]:
    return [PortBinding(p.container_port, p.protocol) for p in ports]
