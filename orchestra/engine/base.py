"""The engine protocol: what orchestra asks of a container engine, in engine-neutral types.

The planner turns the Compose model into these request types (``ContainerSpec``, ``NetworkSpec``,
``VolumeSpec``), so engines never see ``orchestra.spec``. Observed state comes back as plain
snapshots read from labels. Implementations: ``engine.docker`` (the real one) and
``engine.fake`` (in memory, for unit tests). Must not import ``docker`` or ``orchestra.spec``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import field
from typing import Protocol

from orchestra.engine.observed import (
    ContainerState,
    EngineEvent,
    ExecResult,
    LogLine,
    Observed,
    ObservedContainer,
    ObservedNetwork,
    ObservedVolume,
)
from orchestra.engine.status import ContainerStatus, HealthStatus, ReadyCondition
from orchestra.records import record

__all__ = [
    "BuildSpec",
    "ContainerSpec",
    "ContainerState",
    "ContainerStatus",
    "Engine",
    "EngineEvent",
    "ExecResult",
    "HealthSpec",
    "HealthStatus",
    "InjectedFile",
    "LogConfig",
    "LogLine",
    "Mount",
    "NetworkAttachment",
    "NetworkSpec",
    "Observed",
    "ObservedContainer",
    "ObservedNetwork",
    "ObservedVolume",
    "PortBinding",
    "ProgressCallback",
    "ReadyCondition",
    "Resources",
    "Ulimit",
    "VolumeSpec",
]

ProgressCallback = Callable[[str], None]
"""Receives one line of progress of a long engine call (a build step, a finished layer, a
summary of bytes moved); engines call it on the event loop, a few times a second at most."""


@record
class PortBinding:
    """One published or exposed container port; ``host_port`` None means expose only."""

    container_port: int
    protocol: str = "tcp"
    host_ip: str | None = None
    host_port: str | None = None  # "8080", "8000-8010" or "" for an ephemeral port


@record
class Mount:
    """A bind, named volume or tmpfs mount."""

    type: str  # "bind" | "volume" | "tmpfs"
    target: str
    source: str | None = None
    read_only: bool = False
    propagation: str | None = None
    create_host_path: bool = True
    nocopy: bool = False
    subpath: str | None = None
    tmpfs_size: int | None = None
    tmpfs_mode: int | None = None
    consistency: str | None = None


@record
class NetworkAttachment:
    """A container's membership in one network."""

    network: str  # engine name of the network
    aliases: tuple[str, ...] = ()
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    link_local_ips: tuple[str, ...] = ()
    mac_address: str | None = None
    driver_opts: Mapping[str, str] = field(default_factory=dict)
    priority: int = 0


@record
class HealthSpec:
    """A healthcheck in engine units: ``test`` as the engine wants it, durations in seconds."""

    test: tuple[str, ...]  # ("NONE",) disables an image's healthcheck
    interval: float | None = None
    timeout: float | None = None
    retries: int | None = None
    start_period: float | None = None
    start_interval: float | None = None


@record
class Ulimit:
    name: str
    soft: int
    hard: int


@record
class Resources:
    """cgroup limits, in engine units (bytes, nano CPUs, ...); None leaves the engine default."""

    memory: int | None = None
    memory_swap: int | None = None
    memory_reservation: int | None = None
    memory_swappiness: int | None = None
    nano_cpus: int | None = None
    cpu_shares: int | None = None
    cpu_quota: int | None = None
    cpu_period: int | None = None
    cpu_rt_runtime: int | None = None
    cpu_rt_period: int | None = None
    cpuset_cpus: str | None = None
    cpuset_mems: str | None = None
    pids_limit: int | None = None
    blkio_weight: int | None = None
    oom_kill_disable: bool | None = None
    oom_score_adj: int | None = None
    shm_size: int | None = None
    ulimits: tuple[Ulimit, ...] = ()


@record
class InjectedFile:
    """A file copied into a created container before it starts (a secret or a config).

    ``content`` is base64 (a saved plan is JSON) and never shown in a ``repr``.
    """

    path: str  # absolute, in the container
    content: str = field(default="", repr=False)
    uid: int = 0
    gid: int = 0
    mode: int = 0o444


@record
class LogConfig:
    driver: str
    options: Mapping[str, str] = field(default_factory=dict)


@record
class ContainerSpec:
    """Everything needed to create one container. ``labels`` already hold orchestra's state."""

    name: str
    image: str
    labels: Mapping[str, str]
    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    user: str | None = None
    hostname: str | None = None
    domainname: str | None = None
    ports: tuple[PortBinding, ...] = ()
    mounts: tuple[Mount, ...] = ()
    # ``tmpfs:`` entries (target → mount options) go in HostConfig.Tmpfs, not Mounts: Engine
    # 20.10 breaks ``volumes_from`` of a container with tmpfs Mounts ("no such volume").
    tmpfs: Mapping[str, str] = field(default_factory=dict)
    read_only: bool = False
    networks: tuple[NetworkAttachment, ...] = ()
    network_mode: str | None = None  # "none" | "host" | "container:<id>" | network name
    restart_policy: str | None = None  # "no" | "always" | "unless-stopped" | "on-failure[:N]"
    healthcheck: HealthSpec | None = None
    init: bool | None = None
    stop_signal: str | None = None
    stop_timeout: int | None = None
    extra_hosts: tuple[str, ...] = ()  # "host:ip"
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_opt: tuple[str, ...] = ()
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    privileged: bool = False
    devices: tuple[str, ...] = ()  # "host:container:perms"
    sysctls: Mapping[str, str] = field(default_factory=dict)
    log_config: LogConfig | None = None
    resources: Resources = field(default_factory=Resources)
    tty: bool = False
    stdin_open: bool = False
    ipc_mode: str | None = None
    pid_mode: str | None = None
    volumes_from: tuple[str, ...] = ()  # container names or ids, with optional ":ro"
    links: tuple[str, ...] = ()  # "container:alias"
    group_add: tuple[str, ...] = ()
    platform: str | None = None
    mac_address: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    # Secrets and configs: copied in after create, before any start (binds cannot set owner/mode).
    files: tuple[InjectedFile, ...] = field(default=(), repr=False)


@record
class NetworkSpec:
    name: str
    labels: Mapping[str, str]
    driver: str | None = None
    driver_opts: Mapping[str, str] = field(default_factory=dict)
    internal: bool = False
    attachable: bool = False
    enable_ipv6: bool = False
    ipam_driver: str | None = None
    ipam_pools: tuple[Mapping[str, str], ...] = ()  # keys: subnet, gateway, ip_range
    ipam_options: Mapping[str, str] = field(default_factory=dict)


@record
class VolumeSpec:
    name: str
    labels: Mapping[str, str]
    driver: str | None = None
    driver_opts: Mapping[str, str] = field(default_factory=dict)


@record
class BuildSpec:
    """An image build: ``context`` is a directory, ``dockerfile`` relative to it."""

    tag: str
    context: str
    dockerfile: str | None = None
    args: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    network: str | None = None
    no_cache: bool = False
    pull: bool = False
    extra_hosts: tuple[str, ...] = ()
    shm_size: int | None = None


class Engine(Protocol):
    """What orchestra needs from a container engine. Every method may raise EngineError."""

    async def ping(self) -> None:
        """Raise EngineUnavailableError when the engine does not answer."""

    async def observe(self, project: str) -> Observed:
        """Containers (all states), networks and volumes labelled with ``project``."""

    async def list_projects(self) -> Mapping[str, tuple[ObservedContainer, ...]]:
        """Every project with containers on this engine, by project label."""

    async def all_containers(self) -> tuple[ObservedContainer, ...]:
        """Every container on the engine, any project or none, by name (one list call)."""

    async def image_id(self, ref: str) -> str | None:
        """The id of a local image, or None when it is not present."""

    async def pull_image(self, ref: str, progress: ProgressCallback | None = None) -> str:
        """Pull ``ref`` and return its id; ImageNotFoundError naming the reason."""

    async def push_image(self, ref: str, progress: ProgressCallback | None = None) -> None:
        """Push a local image to its registry; ImageNotFoundError when it is not present."""

    async def build_image(self, spec: BuildSpec, progress: ProgressCallback | None = None) -> str:
        """Build and tag an image, returning its id; ImageBuildError with the failing step."""

    async def create_network(self, spec: NetworkSpec) -> str:
        """Create a network (never a second one of the same name) and return its id."""

    async def remove_network(self, network_id: str) -> None:
        """Remove a network, retrying the engine's spurious 'active endpoints' error."""

    async def create_volume(self, spec: VolumeSpec) -> str:
        """Create a named volume and return its name."""

    async def remove_volume(self, name: str) -> None: ...

    async def create_container(self, spec: ContainerSpec) -> str:
        """Create a container (not started) attached to all its networks; return its id."""

    async def start_container(self, container_id: str) -> None: ...

    async def stop_container(self, container_id: str, timeout: float | None = None) -> None: ...

    async def restart_container(self, container_id: str, timeout: float | None = None) -> None: ...

    async def remove_container(
        self, container_id: str, force: bool = False, volumes: bool = False
    ) -> None:
        """Remove a container; its anonymous volumes too with ``volumes``, never named ones."""

    async def rename_container(self, container_id: str, new_name: str) -> None: ...

    async def inspect_container(self, container_id: str) -> ContainerState: ...

    def events(
        self, project: str | None = None
    ) -> AbstractAsyncContextManager[AsyncIterator[EngineEvent]]:
        """A live stream of events (filtered by project label when given); closes on exit."""

    def logs(
        self,
        container_id: str,
        follow: bool = False,
        tail: int | None = None,
    ) -> AsyncIterator[LogLine]:
        """The container's output, line by line."""

    async def exec(
        self,
        container_id: str,
        command: tuple[str, ...],
        user: str | None = None,
        workdir: str | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> ExecResult: ...

    async def close(self) -> None:
        """Release connections; the engine object is unusable afterwards."""
