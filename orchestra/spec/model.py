"""The validated, typed Compose project: frozen dataclasses, nothing raw.

Everything after the loader sees only these types. Short syntax is already long syntax, units
are numbers (durations in float seconds, sizes in int bytes), relative paths are absolute,
maps are read-only ``Mapping`` views and sequences are tuples. Field names are the Compose
attribute names, so ``Service.mem_limit`` is ``mem_limit:``. ``None`` means "not written";
the engine default applies.

Imports only the standard library, ``model_resources`` and ``records`` (no yaml, no raw trees).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from orchestra.records import record
from orchestra.spec.model_resources import Config, Ipam, IpamPool, Network, Secret, Volume

__all__ = [
    "Build",
    "Config",
    "Dependency",
    "Deploy",
    "Device",
    "FileReference",
    "Healthcheck",
    "Ipam",
    "IpamPool",
    "Logging",
    "Network",
    "Placement",
    "Port",
    "Project",
    "ResourceLimits",
    "Resources",
    "RestartPolicy",
    "Secret",
    "Service",
    "ServiceNetwork",
    "ServiceVolume",
    "Ulimit",
    "UpdateConfig",
    "Volume",
    "VolumeBind",
    "VolumeOptions",
    "VolumeTmpfs",
    "frozen_map",
]

K = TypeVar("K")
V = TypeVar("V")


def frozen_map(items: Mapping[K, V] | None = None) -> Mapping[K, V]:
    """A read-only copy of ``items`` (the only kind of map the model holds)."""
    return MappingProxyType(dict(items or {}))


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@record
class Build:
    """``build:``; ``context`` is absolute (or a URL), ``dockerfile`` relative to it."""

    context: str
    dockerfile: str | None = "Dockerfile"
    dockerfile_inline: str | None = None
    args: Mapping[str, str] = field(default_factory=_empty)
    target: str | None = None
    labels: Mapping[str, str] = field(default_factory=_empty)
    network: str | None = None
    no_cache: bool = False
    pull: bool = False
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = ()
    shm_size: int | None = None
    tags: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()


@record
class Dependency:
    """One ``depends_on`` entry in long form."""

    condition: str = "service_started"
    required: bool = True
    restart: bool = False


@record
class ServiceNetwork:
    """How a service joins one network (``networks.<name>:`` of a service)."""

    aliases: tuple[str, ...] = ()
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    link_local_ips: tuple[str, ...] = ()
    mac_address: str | None = None
    priority: int | None = None
    gw_priority: int | None = None
    driver_opts: Mapping[str, str] = field(default_factory=_empty)


@record
class Port:
    """A published or exposed port; ``published`` is a string because it may be a range."""

    target: int
    published: str | None = None
    host_ip: str | None = None
    protocol: str = "tcp"
    mode: str = "ingress"
    name: str | None = None
    app_protocol: str | None = None


@record
class VolumeBind:
    """``bind:`` options of a bind mount."""

    propagation: str | None = None
    create_host_path: bool | None = None
    selinux: str | None = None
    recursive: str | None = None


@record
class VolumeOptions:
    """``volume:`` options of a named or anonymous volume mount."""

    nocopy: bool = False
    subpath: str | None = None


@record
class VolumeTmpfs:
    """``tmpfs:`` options of a tmpfs mount; ``size`` in bytes, ``mode`` as an int (0o1777)."""

    size: int | None = None
    mode: int | None = None


@record
class ServiceVolume:
    """A mount in long form; ``type`` is bind, volume, tmpfs or npipe."""

    type: str
    target: str
    source: str | None = None
    read_only: bool = False
    consistency: str | None = None
    bind: VolumeBind | None = None
    volume: VolumeOptions | None = None
    tmpfs: VolumeTmpfs | None = None


@record
class Healthcheck:
    """``healthcheck:``; durations in seconds, ``None`` when not written."""

    test: tuple[str, ...] = ()
    interval: float | None = None
    timeout: float | None = None
    start_period: float | None = None
    start_interval: float | None = None
    retries: int | None = None
    disable: bool = False


@record
class ResourceLimits:
    """One of ``deploy.resources.limits`` / ``reservations``: cpus, bytes, pids."""

    cpus: float | None = None
    memory: int | None = None
    pids: int | None = None


@record
class Resources:
    """``deploy.resources``."""

    limits: ResourceLimits | None = None
    reservations: ResourceLimits | None = None


@record
class RestartPolicy:
    """``deploy.restart_policy``; durations in seconds."""

    condition: str | None = None
    delay: float | None = None
    max_attempts: int | None = None
    window: float | None = None


@record
class UpdateConfig:
    """``deploy.update_config`` or ``deploy.rollback_config``."""

    parallelism: int | None = None
    delay: float | None = None
    failure_action: str | None = None
    monitor: float | None = None
    max_failure_ratio: float | None = None
    order: str | None = None


@record
class Placement:
    """``deploy.placement`` (Swarm only): constraints as written, spread descriptors, a cap."""

    constraints: tuple[str, ...] = ()  # "node.labels.db == true"
    preferences: tuple[str, ...] = ()  # the ``spread`` of each preference
    max_replicas_per_node: int | None = None


@record
class Deploy:
    """``deploy:``; ``placement`` and ``endpoint_mode`` mean something only on Swarm."""

    mode: str | None = None
    replicas: int | None = None
    labels: Mapping[str, str] = field(default_factory=_empty)
    resources: Resources = field(default_factory=Resources)
    restart_policy: RestartPolicy | None = None
    update_config: UpdateConfig | None = None
    rollback_config: UpdateConfig | None = None
    # None when not written, so files without them keep their config hash.
    placement: Placement | None = None
    endpoint_mode: str | None = None


@record
class Ulimit:
    """One ``ulimits`` entry; a single number sets both (``single`` remembers that form)."""

    soft: int
    hard: int
    single: bool = field(default=False, compare=False)


@record
class Device:
    """``devices:`` in long form; ``permissions`` None means the engine's ``rwm``."""

    source: str
    target: str
    permissions: str | None = None


@record
class FileReference:
    """A service's use of a secret or config; ``mode`` is an int (0o440)."""

    source: str
    target: str | None = None
    uid: str | None = None
    gid: str | None = None
    mode: int | None = None


@record
class Logging:
    """``logging:``."""

    driver: str | None = None
    options: Mapping[str, str] = field(default_factory=_empty)


@record
class Service:
    """One service, every supported attribute in long form (see the module docstring)."""

    name: str
    image: str | None = None
    build: Build | None = None
    pull_policy: str | None = None
    platform: str | None = None
    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    environment: Mapping[str, str | None] = field(default_factory=_empty)
    labels: Mapping[str, str] = field(default_factory=_empty)
    annotations: Mapping[str, str] = field(default_factory=_empty)
    profiles: tuple[str, ...] = ()
    container_name: str | None = None
    hostname: str | None = None
    domainname: str | None = None
    ports: tuple[Port, ...] = ()
    expose: tuple[str, ...] = ()
    networks: Mapping[str, ServiceNetwork] = field(default_factory=_empty)
    network_mode: str | None = None
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_opt: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = ()  # "host:ip", as the engine wants them
    links: tuple[str, ...] = ()
    external_links: tuple[str, ...] = ()
    depends_on: Mapping[str, Dependency] = field(default_factory=_empty)
    volumes_from: tuple[str, ...] = ()
    volumes: tuple[ServiceVolume, ...] = ()
    tmpfs: tuple[str, ...] = ()
    read_only: bool = False
    devices: tuple[Device, ...] = ()
    secrets: tuple[FileReference, ...] = ()
    configs: tuple[FileReference, ...] = ()
    user: str | None = None
    group_add: tuple[str, ...] = ()
    working_dir: str | None = None
    init: bool | None = None
    tty: bool = False
    stdin_open: bool = False
    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    ipc: str | None = None
    pid: str | None = None
    sysctls: Mapping[str, str] = field(default_factory=_empty)
    ulimits: Mapping[str, Ulimit] = field(default_factory=_empty)
    stop_signal: str | None = None
    stop_grace_period: float | None = None
    restart: str | None = None
    healthcheck: Healthcheck | None = None
    logging: Logging | None = None
    deploy: Deploy | None = None
    scale: int | None = None
    mem_limit: int | None = None
    memswap_limit: int | None = None
    mem_reservation: int | None = None
    mem_swappiness: int | None = None
    oom_kill_disable: bool = False
    oom_score_adj: int | None = None
    shm_size: int | None = None
    cpus: float | None = None
    cpu_shares: int | None = None
    cpu_quota: int | None = None
    cpu_period: int | None = None
    cpuset: str | None = None
    pids_limit: int | None = None
    cgroup_parent: str | None = None
    heal: str | None = None  # ``x-orchestra: {heal: unhealthy}``: orchestra's own extension

    @property
    def replicas(self) -> int:
        """How many containers to run: ``deploy.replicas``, else ``scale``, else 1."""
        if self.deploy is not None and self.deploy.replicas is not None:
            return self.deploy.replicas
        return self.scale if self.scale is not None else 1


@record
class Project:
    """A whole validated project; ``services`` holds the enabled services only.

    ``profiles`` are the active profiles; ``extensions`` the top-level ``x-`` keys as
    read-only data (maps and tuples), kept only because ``config`` prints them.
    """

    name: str
    directory: Path
    services: Mapping[str, Service] = field(default_factory=_empty)
    disabled_services: Mapping[str, Service] = field(default_factory=_empty)
    networks: Mapping[str, Network] = field(default_factory=_empty)
    volumes: Mapping[str, Volume] = field(default_factory=_empty)
    secrets: Mapping[str, Secret] = field(default_factory=_empty)
    configs: Mapping[str, Config] = field(default_factory=_empty)
    environment: Mapping[str, str] = field(default_factory=_empty)
    warnings: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()
    profiles: tuple[str, ...] = ()
    extensions: Mapping[str, Any] = field(default_factory=_empty)  # top-level x-*, read-only
