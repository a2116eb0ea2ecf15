"""What a service asks for that a single Docker Engine (or orchestra) would ignore, as warnings.

``container_spec`` maps everything the engine supports; this module names the rest (Swarm-only
``deploy`` settings, options the engine API cannot express, external secrets) so the plan says
so instead of dropping it silently. Pure; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from orchestra.plan.container_resources import deploy_reservations
from orchestra.spec.model import Deploy, FileReference, Project, Service, UpdateConfig

__all__ = ["service_warnings"]


def service_warnings(project: Project, service: Service) -> list[str]:
    """One message per ignored setting of ``service``, prefixed with the service name."""
    found = [
        *_deploy(service),
        *_host(service),
        *_files(project, service.secrets, "secret"),
        *_files(project, service.configs, "config"),
    ]
    return [f"service {service.name}: {message}" for message in found]


def _deploy(service: Service) -> Iterator[str]:
    deploy = service.deploy or Deploy()
    reservations = deploy_reservations(service)
    if reservations.cpus is not None:
        yield "deploy.resources.reservations.cpus is ignored without Swarm"
    if reservations.pids is not None:
        yield "deploy.resources.reservations.pids is ignored (pids is only a limit)"
    policy = deploy.restart_policy
    if policy is not None:
        if service.restart is not None:
            yield "deploy.restart_policy overrides restart (as docker compose does)"
        if policy.condition is None:
            yield "deploy.restart_policy has no condition: the container is not restarted"
        if policy.delay is not None or policy.window is not None:
            yield "deploy.restart_policy delay and window are ignored without Swarm"
    update = deploy.update_config
    if update is not None and replace(update, order=None) != UpdateConfig():
        yield "deploy.update_config: only order is used (start-first: one replica at a time)"
    if deploy.rollback_config is not None:
        yield "deploy.rollback_config is ignored (a failed start-first update keeps the old one)"
    if deploy.labels:
        yield "deploy.labels label Swarm services, not containers: ignored"
    if deploy.mode == "global":
        yield "deploy.mode global is ignored without Swarm (one replica per node)"
    if deploy.placement is not None or deploy.endpoint_mode is not None:
        yield "deploy.placement and deploy.endpoint_mode are ignored without Swarm"


def _host(service: Service) -> Iterator[str]:
    if service.cgroup_parent is not None:
        yield "cgroup_parent is not supported by orchestra yet: ignored"
    for key, joined in sorted(service.networks.items()):
        if joined.gw_priority is not None:
            yield f"networks.{key}.gw_priority needs a newer engine API: ignored"
    for volume in service.volumes:
        bind = volume.bind
        if bind is not None and (bind.selinux or bind.recursive):
            yield f"volume {volume.target}: bind selinux/recursive options are ignored"


def _files(project: Project, refs: tuple[FileReference, ...], kind: str) -> Iterator[str]:
    # file, environment and content ones are copied in (secret_files); external ones live in Swarm.
    defined = project.secrets if kind == "secret" else project.configs
    for ref in refs:
        top = defined.get(ref.source)
        if top is not None and top.external:
            yield f"{kind} {ref.source}: external {kind}s exist only in Swarm: not mounted"
