"""Turn a ``SwarmServiceSpec`` or ``SwarmObjectSpec`` into the Engine API 1.41 request body.

``service_body`` is the ``ServiceSpec`` of ``POST /services/create`` and
``/services/{id}/update``; ``object_body`` the body of ``POST /secrets/create`` and
``/configs/create``. Pure functions building plain JSON-ready dicts (no HTTP). Durations are
nanoseconds, networks are named (the engine resolves a name as ``Target``), capabilities get the
``CAP_`` prefix and extra hosts the ``IP host`` order the engine wants (as the docker CLI sends
them), and unset fields are left out so the engine's defaults apply, as the CLI leaves them.
Must not import ``orchestra.spec`` or ``docker``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from orchestra.engine.base import HealthSpec, LogConfig, Mount, Ulimit, VolumeSpec
from orchestra.engine.docker_convert import seconds_to_nanos
from orchestra.engine.swarm_base import (
    FileMount,
    Placement,
    RestartPolicy,
    ServiceAttachment,
    ServicePort,
    ServiceResources,
    SwarmObjectSpec,
    SwarmServiceSpec,
    UpdatePolicy,
)
from orchestra.errors import EngineError

__all__ = ["object_body", "service_body"]


def object_body(spec: SwarmObjectSpec) -> dict[str, Any]:
    """The create body of a secret or config: name, labels and the base64 data."""
    return {"Name": spec.name, "Labels": dict(spec.labels), "Data": spec.data}


def service_body(
    spec: SwarmServiceSpec, object_ids: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The ``ServiceSpec`` JSON of a service create or update.

    ``object_ids`` maps the engine name of each secret and config the service mounts to its ID:
    the engine refuses a reference without one ("malformed secret reference"), so the adapter
    looks them up (one list call) and passes them; a name missing there raises EngineError.
    """
    ids = object_ids or {}
    task: dict[str, Any] = {
        "ContainerSpec": _container_spec(spec, ids),
        "Resources": _resources(spec.resources),
        "Placement": _placement(spec.placement),
        "Networks": [_attachment(a) for a in spec.networks],
    }
    if spec.restart_policy is not None:
        task["RestartPolicy"] = _restart_policy(spec.restart_policy)
    if spec.log_config is not None:
        task["LogDriver"] = _log_driver(spec.log_config)
    mode: dict[str, Any] = (
        {"Global": {}} if spec.mode == "global" else {"Replicated": {"Replicas": spec.replicas}}
    )
    body: dict[str, Any] = {
        "Name": spec.name,
        "Labels": dict(spec.labels),
        "TaskTemplate": task,
        "Mode": mode,
        "EndpointSpec": _endpoint_spec(spec.endpoint_mode, spec.ports),
    }
    if spec.update_config is not None:
        body["UpdateConfig"] = _update_config(spec.update_config)
    if spec.rollback_config is not None:
        body["RollbackConfig"] = _update_config(spec.rollback_config)
    return body


def _container_spec(spec: SwarmServiceSpec, ids: Mapping[str, str]) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "Image": spec.image,
        "Labels": dict(spec.container_labels),
        "Command": _list(spec.command),
        "Args": _list(spec.args),
        "Hostname": spec.hostname,
        "Env": list(spec.environment) or None,
        "Dir": spec.working_dir,
        "User": spec.user,
        "Groups": list(spec.groups) or None,
        "Init": spec.init,
        "StopSignal": spec.stop_signal,
        "TTY": spec.tty or None,
        "OpenStdin": spec.stdin_open or None,
        "ReadOnly": spec.read_only or None,
        "Mounts": [_mount(m, _volumes(spec.volumes)) for m in spec.mounts] or None,
        "StopGracePeriod": seconds_to_nanos(spec.stop_grace_period),
        "Healthcheck": _healthcheck(spec.healthcheck),
        "Hosts": [_host_entry(entry) for entry in spec.extra_hosts] or None,
        "DNSConfig": _dns(spec),
        "Secrets": [_file(f, "Secret", ids) for f in spec.secrets] or None,
        "Configs": [_file(f, "Config", ids) for f in spec.configs] or None,
        "Sysctls": dict(spec.sysctls) or None,
        "CapabilityAdd": _capabilities(spec.cap_add),
        "CapabilityDrop": _capabilities(spec.cap_drop),
        "Ulimits": [_ulimit(u) for u in spec.ulimits] or None,
    }
    return {key: value for key, value in raw.items() if value is not None}


def _list(items: tuple[str, ...] | None) -> list[str] | None:
    return None if items is None else list(items)


def _volumes(specs: Sequence[VolumeSpec]) -> Mapping[str, VolumeSpec]:
    return {spec.name: spec for spec in specs}


def _mount(mount: Mount, volumes: Mapping[str, VolumeSpec]) -> dict[str, Any]:
    raw: dict[str, Any] = {"Type": mount.type, "Target": mount.target}
    if mount.source is not None and mount.type != "tmpfs":
        raw["Source"] = mount.source
    if mount.read_only:
        raw["ReadOnly"] = True
    if mount.consistency:
        raw["Consistency"] = mount.consistency
    if mount.type == "bind" and mount.propagation:
        raw["BindOptions"] = {"Propagation": mount.propagation}
    elif mount.type == "volume":
        volume = volumes.get(mount.source or "")
        options = _volume_options(mount, volume)
        if options or volume is not None:  # stack deploy sends {} for an external volume
            raw["VolumeOptions"] = options
    elif mount.type == "tmpfs":
        tmpfs = {"SizeBytes": mount.tmpfs_size, "Mode": mount.tmpfs_mode}
        if any(v is not None for v in tmpfs.values()):
            raw["TmpfsOptions"] = {k: v for k, v in tmpfs.items() if v is not None}
    return raw


def _volume_options(mount: Mount, volume: VolumeSpec | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if mount.nocopy:
        options["NoCopy"] = True
    if volume is not None and volume.labels:
        options["Labels"] = dict(volume.labels)
    if volume is not None and (volume.driver or volume.driver_opts):
        driver: dict[str, Any] = {"Name": volume.driver or ""}
        if volume.driver_opts:
            driver["Options"] = dict(volume.driver_opts)
        options["DriverConfig"] = driver
    return options


def _healthcheck(health: HealthSpec | None) -> dict[str, Any] | None:
    if health is None:
        return None
    raw: dict[str, Any] = {
        "Test": list(health.test) or None,
        "Interval": seconds_to_nanos(health.interval),
        "Timeout": seconds_to_nanos(health.timeout),
        "StartPeriod": seconds_to_nanos(health.start_period),
        "Retries": health.retries,
    }
    return {key: value for key, value in raw.items() if value is not None}


def _host_entry(entry: str) -> str:
    """``host:ip`` (the model's form) as the engine's ``ip host`` (an /etc/hosts line)."""
    host, _, address = entry.partition(":")
    return f"{address} {host}"


def _dns(spec: SwarmServiceSpec) -> dict[str, Any] | None:
    raw = {
        "Nameservers": list(spec.dns) or None,
        "Search": list(spec.dns_search) or None,
        "Options": list(spec.dns_opt) or None,
    }
    found = {key: value for key, value in raw.items() if value is not None}
    return found or None


def _file(mount: FileMount, kind: str, ids: Mapping[str, str]) -> dict[str, Any]:
    object_id = ids.get(mount.source)
    if object_id is None:
        raise EngineError(f"{kind.lower()} {mount.source} does not exist on the swarm")
    return {
        "File": {"Name": mount.target, "UID": mount.uid, "GID": mount.gid, "Mode": mount.mode},
        f"{kind}ID": object_id,
        f"{kind}Name": mount.source,
    }


def _capabilities(names: tuple[str, ...]) -> list[str] | None:
    if not names:
        return None
    return [n.upper() if n.upper() in ("ALL", "CAP_ALL") else _cap(n) for n in names]


def _cap(name: str) -> str:
    upper = name.upper()
    return upper if upper.startswith("CAP_") else f"CAP_{upper}"


def _ulimit(limit: Ulimit) -> dict[str, Any]:
    return {"Name": limit.name, "Soft": limit.soft, "Hard": limit.hard}


def _resources(resources: ServiceResources) -> dict[str, Any]:
    limits = {
        "NanoCPUs": resources.limit_nano_cpus,
        "MemoryBytes": resources.limit_memory,
        "Pids": resources.limit_pids,
    }
    reservations = {
        "NanoCPUs": resources.reservation_nano_cpus,
        "MemoryBytes": resources.reservation_memory,
    }
    raw: dict[str, Any] = {}
    for key, values in (("Limits", limits), ("Reservations", reservations)):
        found = {name: value for name, value in values.items() if value is not None}
        if found:
            raw[key] = found
    return raw


def _placement(placement: Placement) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    if placement.constraints:
        raw["Constraints"] = list(placement.constraints)
    if placement.preferences:
        raw["Preferences"] = [
            {"Spread": {"SpreadDescriptor": spread}} for spread in placement.preferences
        ]
    if placement.max_replicas_per_node:
        raw["MaxReplicas"] = placement.max_replicas_per_node
    return raw


def _attachment(attachment: ServiceAttachment) -> dict[str, Any]:
    raw: dict[str, Any] = {"Target": attachment.network}
    if attachment.aliases:
        raw["Aliases"] = list(attachment.aliases)
    return raw


def _restart_policy(policy: RestartPolicy) -> dict[str, Any]:
    raw = {
        "Condition": policy.condition,
        "Delay": seconds_to_nanos(policy.delay),
        "MaxAttempts": policy.max_attempts,
        "Window": seconds_to_nanos(policy.window),
    }
    return {key: value for key, value in raw.items() if value is not None}


def _log_driver(config: LogConfig) -> dict[str, Any]:
    raw: dict[str, Any] = {"Name": config.driver}
    if config.options:
        raw["Options"] = dict(config.options)
    return raw


def _endpoint_spec(mode: str | None, ports: Sequence[ServicePort]) -> dict[str, Any]:
    raw: dict[str, Any] = {"Mode": mode or "vip"}
    if ports:
        raw["Ports"] = [_port(port) for port in ports]
    return raw


def _port(port: ServicePort) -> dict[str, Any]:
    raw: dict[str, Any] = {"Protocol": port.protocol, "TargetPort": port.target}
    if port.published is not None:
        raw["PublishedPort"] = port.published
    raw["PublishMode"] = port.mode
    return raw


def _update_config(policy: UpdatePolicy) -> dict[str, Any]:
    raw = {
        "Parallelism": policy.parallelism,
        "Delay": seconds_to_nanos(policy.delay),
        "FailureAction": policy.failure_action,
        "Monitor": seconds_to_nanos(policy.monitor),
        "MaxFailureRatio": policy.max_failure_ratio,
        "Order": policy.order,
    }
    return {key: value for key, value in raw.items() if value is not None}
