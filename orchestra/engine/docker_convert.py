"""Turn an engine-neutral ``ContainerSpec`` into the Docker Engine API's create request.

Pure functions over ``docker.api.APIClient``'s config builders (no HTTP): the container config,
the host config (ports, mounts, resources, security, ...), and the network attachments, split
into the one the create call takes (API < 1.44 accepts a single endpoint) and the ones to
connect before start. Fields this engine's API version cannot express are refused rather than
dropped. Must not import ``orchestra.spec``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from docker.api import APIClient
from docker.types import IPAMConfig, IPAMPool
from docker.types import LogConfig as DockerLogConfig
from docker.types import Ulimit as DockerUlimit
from docker.utils import version_lt

from orchestra.engine.base import (
    ContainerSpec,
    HealthSpec,
    Mount,
    NetworkAttachment,
    NetworkSpec,
    PortBinding,
    Resources,
)
from orchestra.errors import EngineError

__all__ = [
    "CreateRequest",
    "build_create_request",
    "endpoint_kwargs",
    "network_ipam",
    "restart_policy",
    "seconds_to_nanos",
]

_SPECIAL_NETWORK_MODES = ("none", "host", "bridge", "default")


@dataclass(frozen=True)
class CreateRequest:
    """The create call's config, and the networks to connect between create and start."""

    name: str
    config: dict[str, Any]
    platform: str | None
    later_networks: tuple[NetworkAttachment, ...] = field(default=())


def _need_api(api: APIClient, minimum: str, feature: str) -> None:
    if version_lt(api.api_version, minimum):
        raise EngineError(
            f"{feature} needs Docker Engine API {minimum} or newer; "
            f"this engine speaks {api.api_version}"
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


def _healthcheck(api: APIClient, health: HealthSpec | None) -> dict[str, Any] | None:
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


def _mount(api: APIClient, mount: Mount) -> dict[str, Any]:
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


def _mounts(api: APIClient, mounts: Sequence[Mount]) -> tuple[list[str], list[dict[str, Any]]]:
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
    """create_host_config keyword arguments for every cgroup knob that is set."""
    ulimits = [DockerUlimit(name=u.name, soft=u.soft, hard=u.hard) for u in resources.ulimits]
    kwargs: dict[str, Any] = {
        "mem_limit": resources.memory,
        "memswap_limit": resources.memory_swap,
        "mem_reservation": resources.memory_reservation,
        "mem_swappiness": resources.memory_swappiness,
        "nano_cpus": resources.nano_cpus,
        "cpu_shares": resources.cpu_shares,
        "cpu_quota": resources.cpu_quota,
        "cpu_period": resources.cpu_period,
        "cpu_rt_runtime": resources.cpu_rt_runtime,
        "cpu_rt_period": resources.cpu_rt_period,
        "cpuset_cpus": resources.cpuset_cpus,
        "cpuset_mems": resources.cpuset_mems,
        "pids_limit": resources.pids_limit,
        "blkio_weight": resources.blkio_weight,
        "oom_score_adj": resources.oom_score_adj,
        "shm_size": resources.shm_size,
        "ulimits": ulimits or None,
    }
    if resources.oom_kill_disable:
        kwargs["oom_kill_disable"] = True
    return {key: value for key, value in kwargs.items() if value is not None}


def _optional_list(values: Sequence[str]) -> list[str] | None:
    return list(values) if values else None


def _host_config(api: APIClient, spec: ContainerSpec, network_mode: str) -> dict[str, Any]:
    binds, mounts = _mounts(api, spec.mounts)
    log_config = None
    if spec.log_config is not None:
        log_config = DockerLogConfig(
            type=spec.log_config.driver, config=dict(spec.log_config.options)
        )
    host_config: dict[str, Any] = api.create_host_config(
        binds=binds or None,
        network_mode=network_mode,
        restart_policy=restart_policy(spec.restart_policy),
        read_only=spec.read_only or None,
        init=spec.init,
        extra_hosts=_optional_list(spec.extra_hosts),
        dns=_optional_list(spec.dns),
        dns_search=_optional_list(spec.dns_search),
        dns_opt=_optional_list(spec.dns_opt),
        cap_add=_optional_list(spec.cap_add),
        cap_drop=_optional_list(spec.cap_drop),
        security_opt=_optional_list(spec.security_opt),
        privileged=spec.privileged,
        devices=_optional_list(spec.devices),
        sysctls=dict(spec.sysctls) or None,
        log_config=log_config,
        ipc_mode=spec.ipc_mode,
        pid_mode=spec.pid_mode,
        volumes_from=_optional_list(spec.volumes_from),
        tmpfs=dict(spec.tmpfs) or None,
        # Legacy links for the default bridge; user networks take them per endpoint (below).
        links=[_link_pair(link) for link in spec.links] or None,
        group_add=_optional_list(spec.group_add),
        **_resources(spec.resources),
    )
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


def endpoint_kwargs(
    api: APIClient,
    attachment: NetworkAttachment,
    *,
    at_create: bool,
    links: Sequence[str] = (),
) -> dict[str, Any]:
    """Endpoint settings of one attachment, as keyword arguments of the SDK's endpoint calls.

    Before API 1.44 the engine ignores an endpoint's MAC address: the create call carries it as
    a container field instead (see ``_container_mac``), and a later connect cannot carry it.
    """
    mac = attachment.mac_address
    old_api = version_lt(api.api_version, "1.44")
    if mac and old_api and not at_create:
        _need_api(api, "1.44", f"a MAC address on network {attachment.network}")
    return {
        "aliases": list(attachment.aliases) or None,
        # On user-defined networks the engine ignores HostConfig.Links: links are per endpoint.
        "links": [_link_pair(link) for link in links] or None,
        "ipv4_address": attachment.ipv4_address,
        "ipv6_address": attachment.ipv6_address,
        "link_local_ips": list(attachment.link_local_ips) or None,
        "driver_opt": dict(attachment.driver_opts) or None,
        "mac_address": None if old_api else mac,
    }


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


def _container_mac(api: APIClient, spec: ContainerSpec, first: NetworkAttachment | None) -> str:
    """Before API 1.44 the MAC address is a container field that applies to the first network."""
    if not version_lt(api.api_version, "1.44"):
        return spec.mac_address or ""
    return spec.mac_address or (first.mac_address if first is not None else None) or ""


def build_create_request(api: APIClient, spec: ContainerSpec) -> CreateRequest:
    """The full create request for ``spec``; EngineError when this engine cannot express it."""
    mode, first, later = _network_plan(spec)
    networking = None
    if first is not None:
        endpoint = api.create_endpoint_config(
            **endpoint_kwargs(api, first, at_create=True, links=spec.links)
        )
        networking = {"EndpointsConfig": {first.network: endpoint}}
    exposed, _ = _ports(spec.ports)
    config: dict[str, Any] = api.create_container_config(
        image=spec.image,
        command=list(spec.command or ()),
        hostname=spec.hostname,
        user=spec.user,
        detach=True,
        stdin_open=spec.stdin_open,
        tty=spec.tty,
        ports=exposed or None,
        environment=[f"{key}={value}" for key, value in spec.environment.items()],
        entrypoint=_entrypoint(spec.entrypoint),
        working_dir=spec.working_dir,
        domainname=spec.domainname,
        labels=dict(spec.labels),
        stop_signal=spec.stop_signal,
        stop_timeout=spec.stop_timeout,
    )
    config["HostConfig"] = _host_config(api, spec, mode)
    config["NetworkingConfig"] = networking
    # Set after the SDK's builder: its types reject a missing command, and it knows neither
    # StartInterval nor the per-API-version MAC address rule.
    config["Cmd"] = list(spec.command) if spec.command is not None else None
    config["Healthcheck"] = _healthcheck(api, spec.healthcheck)
    config["MacAddress"] = _container_mac(api, spec, first) or None
    return CreateRequest(spec.name, config, spec.platform, later)


def _entrypoint(entrypoint: tuple[str, ...] | None) -> list[str] | None:
    # An explicitly empty entrypoint resets the image's; the engine spells that [""].
    if entrypoint is None:
        return None
    return list(entrypoint) if entrypoint else [""]


def network_ipam(spec: NetworkSpec) -> IPAMConfig | None:
    """The IPAM section of a network create, or None for the engine's default allocation."""
    if not (spec.ipam_driver or spec.ipam_pools or spec.ipam_options):
        return None
    pools = [
        IPAMPool(subnet=p.get("subnet"), gateway=p.get("gateway"), iprange=p.get("ip_range"))
        for p in spec.ipam_pools
    ]
    return IPAMConfig(
        driver=spec.ipam_driver or "default",
        pool_configs=pools,
        options=dict(spec.ipam_options) or None,
    )
