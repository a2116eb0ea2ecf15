"""A Compose project → the engine-neutral requests of the Swarm backend (``--target swarm``).

``swarm_service_specs`` gives one ``SwarmServiceSpec`` per service, mapped the way ``docker
stack deploy`` maps it (``swarm_spec_parts`` has each part and the deliberate differences);
``swarm_network_specs`` the overlay networks the services join; ``swarm_object_specs`` (from
``swarm_spec_objects``) the secrets and configs. Engine names are stack deploy's:
``<project>_<service>``, ``<project>_<network>``. Everything carries the project label, its
Compose key and ``com.docker.stack.namespace`` (so ``docker stack ps <project>`` works too).

The config hash (label ``io.orchestra.config-hash``) is the sha256 of the canonical JSON of the
spec itself with ``replicas`` and the labels that hold the hash left out, so scaling (which the
ordering of dependents does) is never an update, and anything that changes the service is.
``io.orchestra.config`` keeps the hash input for per-field diffs, as on containers.

Call ``swarm_capabilities.check_swarm`` first: this module maps what it is given and leaves
refusing to the check. Pure; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from orchestra import labels as lbl
from orchestra.engine.base import NetworkSpec, Ulimit
from orchestra.engine.swarm_base import SwarmObjectSpec, SwarmServiceSpec
from orchestra.errors import UsageError
from orchestra.hashing import canonical
from orchestra.plan.container_resources import healthcheck, log_config
from orchestra.plan.container_spec import image_ref
from orchestra.plan.resources import network_spec, used_networks
from orchestra.plan.swarm_spec_objects import file_mounts
from orchestra.plan.swarm_spec_objects import swarm_object_specs as _objects
from orchestra.plan.swarm_spec_parts import (
    STACK_IMAGE,
    STACK_NAMESPACE,
    attachments,
    mount_volumes,
    mounts,
    placement,
    ports,
    restart_policy,
    service_resources,
    update_policy,
)
from orchestra.spec.model import Project, Service

__all__ = [
    "service_name",
    "swarm_config_hash",
    "swarm_hash_input",
    "swarm_network_specs",
    "swarm_object_specs",
    "swarm_service_spec",
    "swarm_service_specs",
]

_STATE_LABELS = frozenset({lbl.CONFIG_HASH, lbl.CONFIG})


def service_name(project_name: str, service: str) -> str:
    """The engine name of a service, as ``docker stack deploy`` names it."""
    return f"{project_name}_{service}"


def swarm_service_specs(
    project: Project, services: Iterable[str] | None = None
) -> dict[str, SwarmServiceSpec]:
    """The spec of each named service (every enabled one by default), by Compose name; raises
    UsageError for a name that is not an enabled service, SpecError when a secret or config
    value of one of them cannot be read."""
    names = sorted(project.services) if services is None else list(services)
    unknown = [name for name in names if name not in project.services]
    if unknown:
        raise UsageError(f"no such service: {', '.join(unknown)}")
    chosen = [project.services[name] for name in names]
    _objects(project, chosen)  # unreadable secret values: one SpecError before any mapping
    return {service.name: swarm_service_spec(project, service) for service in chosen}


def swarm_service_spec(project: Project, service: Service) -> SwarmServiceSpec:
    """One service's spec, its labels holding the config hash."""
    spec = _unlabelled(project, service)
    return replace(
        spec,
        labels={
            **spec.labels,
            lbl.CONFIG_HASH: swarm_config_hash(spec),
            lbl.CONFIG: lbl.encode_config(swarm_hash_input(spec)),
        },
    )


def swarm_hash_input(spec: SwarmServiceSpec) -> dict[str, Any]:
    """What the config hash covers: the spec without ``replicas`` and the hash labels."""
    data = canonical(spec)
    assert isinstance(data, dict)
    data.pop("replicas", None)
    data["labels"] = {k: v for k, v in data["labels"].items() if k not in _STATE_LABELS}
    return data


def swarm_config_hash(spec: SwarmServiceSpec) -> str:
    """Hex sha256 of the canonical JSON of ``swarm_hash_input(spec)``."""
    text = json.dumps(swarm_hash_input(spec), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _unlabelled(project: Project, service: Service) -> SwarmServiceSpec:
    deploy = service.deploy
    image = image_ref(project.name, service)
    return SwarmServiceSpec(
        name=service_name(project.name, service.name),
        image=image,
        labels=_service_labels(project.name, service, image),
        container_labels={
            **service.labels,
            lbl.PROJECT: project.name,
            lbl.SERVICE: service.name,
            STACK_NAMESPACE: project.name,
        },
        mode=(deploy.mode if deploy else None) or "replicated",
        replicas=service.replicas,
        command=service.entrypoint,
        args=service.command,
        environment=tuple(
            sorted(f"{k}={v}" for k, v in service.environment.items() if v is not None)
        ),
        working_dir=service.working_dir,
        user=service.user,
        hostname=service.hostname,
        groups=service.group_add,
        mounts=mounts(project, service),
        volumes=mount_volumes(project, service),
        networks=attachments(project, service),
        ports=ports(service),
        endpoint_mode=deploy.endpoint_mode if deploy else None,
        **_task_settings(project, service),
    )


def _task_settings(project: Project, service: Service) -> dict[str, Any]:
    """The ContainerSpec and task-level fields that need no lookup of other services."""
    deploy = service.deploy
    check = healthcheck(service.healthcheck)
    return {
        "healthcheck": None if check is None else replace(check, start_interval=None),
        "stop_signal": service.stop_signal,
        "stop_grace_period": service.stop_grace_period,
        "read_only": service.read_only,
        "init": service.init,
        "tty": service.tty,
        "stdin_open": service.stdin_open,
        "cap_add": service.cap_add,
        "cap_drop": service.cap_drop,
        "sysctls": dict(service.sysctls),
        "ulimits": tuple(
            Ulimit(name, limit.soft, limit.hard) for name, limit in sorted(service.ulimits.items())
        ),
        "dns": service.dns,
        "dns_search": service.dns_search,
        "dns_opt": service.dns_opt,
        "extra_hosts": service.extra_hosts,
        "log_config": log_config(service.logging),
        "placement": placement(deploy),
        "resources": service_resources(service),
        "restart_policy": restart_policy(service),
        "update_config": update_policy(deploy.update_config if deploy else None),
        "rollback_config": update_policy(deploy.rollback_config if deploy else None),
        "secrets": file_mounts(project, service, "secret"),
        "configs": file_mounts(project, service, "config"),
    }


def _service_labels(project_name: str, service: Service, image: str) -> Mapping[str, str]:
    """``deploy.labels``, then compose's and stack deploy's (which a user cannot override)."""
    written = service.deploy.labels if service.deploy else {}
    return {
        **written,
        lbl.PROJECT: project_name,
        lbl.SERVICE: service.name,
        STACK_NAMESPACE: project_name,
        STACK_IMAGE: image,
    }


def swarm_network_specs(project: Project) -> dict[str, NetworkSpec]:
    """The non-external networks the enabled services join, by Compose key: overlay, with the
    project label, the key and the stack namespace."""
    found = {}
    for key in used_networks(project, project.services.values()):
        network = project.networks[key]
        if network.external:
            continue
        spec = network_spec(project.name, key, network)
        found[key] = replace(
            spec,
            driver=network.driver or "overlay",
            labels={**spec.labels, STACK_NAMESPACE: project.name},
        )
    return found


def swarm_object_specs(project: Project) -> dict[str, SwarmObjectSpec]:
    """The secrets and configs to create, by ``secret:<key>`` / ``config:<key>``; raises
    SpecError naming each value that could not be read."""
    return _objects(project)
