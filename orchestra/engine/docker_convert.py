"""Turn an engine-neutral ``ContainerSpec`` into the Docker Engine API's create request.

Pure functions building plain JSON-ready dicts (no HTTP), the same request bodies the docker SDK's
config builders produce: the container config, the host config (ports, mounts, resources,
security, ...), the network attachments, split into the one the create call takes (API < 1.44
accepts a single endpoint) and the ones to connect before start,.
Fields this engine's API version cannot express are refused rather than dropped. Must not import
``orchestra.spec`` or ``docker`` (the create path stays free of the SDK).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestra.engine.base import (
    ContainerSpec,
    HealthSpec,
    Mount,
    NetworkAttachment,
    PortBinding,
    Resources,
)
from orchestra.errors import EngineError

__all__ = [
    "CreateRequest",
    "build_create_request",
    "endpoint_config",
    "request_body",
    "restart_policy",
    "seconds_to_nanos",
    "version_lt",
]

_SPECIAL_NETWORK_MODES = ("none", "host", "bridge", "default")


@dataclass(frozen=True)
class CreateRequest:
    """The create call's config, and the networks to connect between create and start."""

    name: str
    config: dict[str, Any]
    platform: str | None
    later_networks: tuple[NetworkAttachment, ...] = field(default=())


def version_lt(version: str, other: str) -> bool:
    """Whether API ``version`` ("1.41") is older than ``other``."""

    def parts(text: str) -> tuple[int, ...]:
        return tuple(int(p) for p in text.split(".") if p.isdigit())

    return parts(version) < parts(other)


def _need_api(api: str, minimum: str, feature: str) -> None:
    if version_lt(api, minimum):
        raise EngineError(
            f"{feature} needs Docker Engine API {minimum} or newer; this engine speaks {api}"
        )


def seconds_to_nanos(seconds: float | None) -> int | None:
    """Durations in the engine's unit; None stays None (the engine default)."""
    return None if seconds is None else round(seconds * 1_000_000_000)


def restart_policy(text: str | None) -> dict[str, Any] | None:
    """``"on-failure:3"`` -> ``{"Name": "on-failure", "MaximumRetryCount": 3}``."""
    if text is None:
        return None
    name, _, count = text.partition(":")
    policy: dict[str, Any] = {"Name": name}
    if count:
        try:
            policy["MaximumRetryCount"] = int(count)
        except ValueError:
            raise EngineError(f"restart policy {text!r}: retry count is not a number") from None
    return policy


def _healthcheck(api: str, health: HealthSpec | None) -> dict[str, Any] | None:
    if health is None:
        return None
    if health.start_interval is not None:
        _need_api(api, "1.44", "healthcheck.start_interval")
    raw: dict[str, Any] = {
        "Test": list(health.test),
        "Interval": seconds_to_nanos(health.interval),
        "Timeout": seconds_to_nanos(health.timeout),
        "Retries": health.retries,
        "StartPeriod": seconds_to_nanos(health.start_period),
        "StartInterval": seconds_to_nanos(health.start_interval),
    }
    return {key: value for key, value in raw.items() if value is not None}


def _ports(
    ports: Sequence[PortBinding],
) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, str]]]]:
    """ExposedPorts (every port) and PortBindings (published ones, several per port allowed)."""
    exposed: dict[str, dict[str, Any]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for port in ports:
        key = f"{port.container_port}/{port.protocol}"
        exposed[key] = {}
        if port.host_port is None:
            continue
        bindings.setdefault(key, []).append(
            {"HostIp": port.host_ip or "", "HostPort": port.host_port}
        )
    return exposed, bindings


def _bind_string(mount: Mount) -> str:
    """Legacy ``Binds`` syntax: the only way on API < 1.44 to have the engine create the path."""
    options = ["ro" if mount.read_only else "rw"]
    if mount.propagation:
        options.append(mount.propagation)
    return f"{mount.source}:{mount.target}:{','.join(options)}"


def _mount(api: str, mount: Mount) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "Type": mount.type,
        "Target": mount.target,
        "ReadOnly": mount.read_only,
    }
    if mount.source is not None and mount.type != "tmpfs":
        raw["Source"] = mount.source
    if mount.consistency:
        raw["Consistency"] = mount.consistency
    if mount.type == "bind" and mount.propagation:
        raw["BindOptions"] = {"Propagation": mount.propagation}
    elif mount.type == "volume":
        options: dict[str, Any] = {}
        if mount.nocopy:
            options["NoCopy"] = True
        if mount.subpath:
            _need_api(api, "1.45", "volume subpath")
            options["Subpath"] = mount.subpath
        if options:
            raw["VolumeOptions"] = options
    elif mount.type == "tmpfs":
        tmpfs: dict[str, int] = {}
        if mount.tmpfs_size is not None:
            tmpfs["SizeBytes"] = mount.tmpfs_size
        if mount.tmpfs_mode is not None:
            tmpfs["Mode"] = mount.tmpfs_mode
        if tmpfs:
            raw["TmpfsOptions"] = tmpfs
    return raw


def _mounts(api: str, mounts: Sequence[Mount]) -> tuple[list[str], list[dict[str, Any]]]:
    binds: list[str] = []
    structured: list[dict[str, Any]] = []
    for mount in mounts:
        if mount.type not in ("bind", "volume", "tmpfs"):
            raise EngineError(f"mount {mount.target}: unknown mount type {mount.type!r}")
        if mount.type == "bind" and mount.create_host_path and mount.source:
            binds.append(_bind_string(mount))
        else:
            structured.append(_mount(api, mount))
    return binds, structured


def _resources(resources: Resources) -> dict[str, Any]:
    """HostConfig fields for every cgroup knob that is set.

    As the SDK's builder did: a 0 means "unset" for most knobs, but memory, swap, swappiness
    and shm size are sent whenever given (0 and -1 mean something there).
    """
    when_given = {
        "Memory": resources.memory,
        "MemorySwap": resources.memory_swap,
        "MemorySwappiness": resources.memory_swappiness,
        "ShmSize": resources.shm_size,
    }
    when_nonzero = {
        "MemoryReservation": resources.memory_reservation,
        "NanoCpus": resources.nano_cpus,
        "CpuShares": resources.cpu_shares,
        "CpuQuota": resources.cpu_quota,
        "CpuPeriod": resources.cpu_period,
        "CPURealtimeRuntime": resources.cpu_rt_runtime,
        "CPURealtimePeriod": resources.cpu_rt_period,
        "CpusetCpus": resources.cpuset_cpus,
        "CpusetMems": resources.cpuset_mems,
        "PidsLimit": resources.pids_limit,
        "BlkioWeight": resources.blkio_weight,
        "OomKillDisable": resources.oom_kill_disable,
        "OomScoreAdj": resources.oom_score_adj,
    }
    found: dict[str, Any] = {k: v for k, v in when_given.items() if v is not None}
    found.update({k: v for k, v in when_nonzero.items() if v})
    if resources.ulimits:
        found["Ulimits"] = [
            {"Name": u.name, "Soft": u.soft, "Hard": u.hard} for u in resources.ulimits
        ]
    return found


def _device(text: str) -> dict[str, str]:
    """``"/dev/x:/dev/y:rw"`` as the engine's device mapping (container path and rwm optional)."""
    parts = text.split(":")
    return {
        "PathOnHost": parts[0],
        "PathInContainer": parts[1] if len(parts) > 1 else parts[0],
        "CgroupPermissions": parts[2] if len(parts) > 2 else "rwm",
    }


def _links(links: Sequence[str]) -> list[str]:
    # The engine wants "name:alias"; the SDK sorted them, and so do we (stable requests).
    pairs = sorted(_link_pair(link) for link in links)
    return [f"{name}:{alias}" for name, alias in pairs]


def _host_options(spec: ContainerSpec) -> dict[str, Any]:
    """HostConfig fields other than mounts, ports and resources; unset ones left out."""
    given: dict[str, Any] = {
        "Init": spec.init,
        "Dns": list(spec.dns) if spec.dns else None,
        "DnsOptions": list(spec.dns_opt) if spec.dns_opt else None,
        "ExtraHosts": list(spec.extra_hosts) if spec.extra_hosts else None,
        "SecurityOpt": list(spec.security_opt) if spec.security_opt else None,
        "VolumesFrom": list(spec.volumes_from) if spec.volumes_from else None,
        "ReadonlyRootfs": True if spec.read_only else None,
        "RestartPolicy": restart_policy(spec.restart_policy),
        "DnsSearch": list(spec.dns_search),
        "CapAdd": list(spec.cap_add),
        "CapDrop": list(spec.cap_drop),
        "Privileged": spec.privileged,
        "Devices": [_device(d) for d in spec.devices],
        "Sysctls": {k: str(v) for k, v in spec.sysctls.items()},
        "IpcMode": spec.ipc_mode,
        "PidMode": spec.pid_mode,
        "Tmpfs": dict(spec.tmpfs),
        # Legacy links for the default bridge; user networks take them per endpoint (below).
        "Links": _links(spec.links),
        "GroupAdd": list(spec.group_add),
    }
    found = {key: value for key, value in given.items() if value or value is False}
    # False is meaningful only for Init; elsewhere it is the engine default, left out.
    return {k: v for k, v in found.items() if v is not False or k == "Init"}


def _host_config(api: str, spec: ContainerSpec, network_mode: str) -> dict[str, Any]:
    binds, mounts = _mounts(api, spec.mounts)
    host_config: dict[str, Any] = {"NetworkMode": network_mode or "default"}
    host_config.update(_host_options(spec))
    host_config.update(_resources(spec.resources))
    if binds:
        host_config["Binds"] = binds
    if spec.log_config is not None:
        host_config["LogConfig"] = {
            "Type": spec.log_config.driver,
            "Config": dict(spec.log_config.options),
        }
    if mounts:
        host_config["Mounts"] = mounts
    _, bindings = _ports(spec.ports)
    if bindings:
        host_config["PortBindings"] = bindings
    if spec.annotations:
        _need_api(api, "1.43", "annotations")
        host_config["Annotations"] = dict(spec.annotations)
    return host_config


def _link_pair(link: str) -> tuple[str, str]:
    name, _, alias = link.partition(":")
    return name, alias or name


def endpoint_config(
    api: str,
    attachment: NetworkAttachment,
    *,
    at_create: bool,
    links: Sequence[str] = (),
) -> dict[str, Any]:
    """The EndpointConfig of one attachment (create's NetworkingConfig, or a connect's body).

    Before API 1.44 the engine ignores an endpoint's MAC address: the create call carries it as
    a container field instead (see ``_container_mac``), and a later connect cannot carry it.
    """
    mac = attachment.mac_address
    old_api = version_lt(api, "1.44")
    if mac and old_api and not at_create:
        _need_api(api, "1.44", f"a MAC address on network {attachment.network}")
    endpoint: dict[str, Any] = {}
    if attachment.aliases:
        endpoint["Aliases"] = list(attachment.aliases)
    if links:
        # On user-defined networks the engine ignores HostConfig.Links: links are per endpoint.
        endpoint["Links"] = _links(links)
    ipam: dict[str, Any] = {}
    if attachment.ipv4_address:
        ipam["IPv4Address"] = attachment.ipv4_address
    if attachment.ipv6_address:
        ipam["IPv6Address"] = attachment.ipv6_address
    if mac and not old_api:
        endpoint["MacAddress"] = mac
    if attachment.link_local_ips:
        ipam["LinkLocalIPs"] = list(attachment.link_local_ips)
    if ipam:
        endpoint["IPAMConfig"] = ipam
    if attachment.driver_opts:
        endpoint["DriverOpts"] = dict(attachment.driver_opts)
    return endpoint


def _network_plan(
    spec: ContainerSpec,
) -> tuple[str, NetworkAttachment | None, tuple[NetworkAttachment, ...]]:
    """NetworkMode, the attachment made at create, and those connected afterwards."""
    # Higher priority connects first, as compose does; the stable sort keeps the given order.
    ordered = tuple(sorted(spec.networks, key=lambda a: -a.priority))
    mode = spec.network_mode
    if mode is not None and (mode in _SPECIAL_NETWORK_MODES or mode.startswith("container:")):
        return mode, None, ordered
    if not ordered:
        return mode or "default", None, ()
    return mode or ordered[0].network, ordered[0], ordered[1:]


def _container_mac(api: str, spec: ContainerSpec, first: NetworkAttachment | None) -> str:
    """Before API 1.44 the MAC address is a container field that applies to the first network."""
    if not version_lt(api, "1.44"):
        return spec.mac_address or ""
    return spec.mac_address or (first.mac_address if first is not None else None) or ""


def build_create_request(api: str, spec: ContainerSpec) -> CreateRequest:
    """The create request for ``spec`` on API version ``api``; EngineError when this engine
    cannot express it. ``config`` keeps None for unset top-level fields (dropped when sent)."""
    mode, first, later = _network_plan(spec)
    networking = None
    if first is not None:
        endpoint = endpoint_config(api, first, at_create=True, links=spec.links)
        networking = {"EndpointsConfig": {first.network: endpoint}}
    exposed, _ = _ports(spec.ports)
    config: dict[str, Any] = {
        "Hostname": spec.hostname,
        "Domainname": spec.domainname,
        "ExposedPorts": exposed or None,
        "User": spec.user,
        "Tty": spec.tty,
        "OpenStdin": spec.stdin_open,
        # Detached: nothing attaches at create (what the SDK's builder sent with detach=True).
        "StdinOnce": False,
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
        "Env": [f"{key}={value}" for key, value in spec.environment.items()],
        "Cmd": list(spec.command) if spec.command is not None else None,
        "Image": spec.image,
        "Volumes": None,
        "NetworkDisabled": False,
        "Entrypoint": _entrypoint(spec.entrypoint),
        "WorkingDir": spec.working_dir,
        "HostConfig": _host_config(api, spec, mode),
        "NetworkingConfig": networking,
        "MacAddress": _container_mac(api, spec, first) or None,
        "Labels": dict(spec.labels),
        "StopSignal": spec.stop_signal,
        "Healthcheck": _healthcheck(api, spec.healthcheck),
        "StopTimeout": spec.stop_timeout,
        "Runtime": None,
    }
    return CreateRequest(spec.name, config, spec.platform, later)


def _entrypoint(entrypoint: tuple[str, ...] | None) -> list[str] | None:
    # An explicitly empty entrypoint resets the image's; the engine spells that [""].
    if entrypoint is None:
        return None
    return list(entrypoint) if entrypoint else [""]


def request_body(config: dict[str, Any]) -> dict[str, Any]:
    """A create config as sent: unset (None) top-level fields left out, as the SDK did."""
    return {key: value for key, value in config.items() if value is not None}
