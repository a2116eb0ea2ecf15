"""The Swarm side of the engine protocol: services, tasks, nodes, secrets and configs.

The second backend (``--target swarm``) speaks to a swarm manager through the same adapter
layer as the container backend. The planner turns a Compose service into a
``SwarmServiceSpec`` (engine-neutral: compose units already converted to engine units), the
adapter turns that into the Engine API's ``ServiceSpec`` JSON. What comes back is plain data read
from list calls filtered by the project label, as for containers.

Shared with the container backend: ``Mount``, ``HealthSpec``, ``LogConfig``, ``Ulimit``,
``NetworkSpec`` (driver "overlay"), ``ObservedNetwork``, ``EngineEvent``, ``LogLine``.
Must not import ``docker`` or ``orchestra.spec``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

from orchestra.engine.base import (
    EngineEvent,
    HealthSpec,
    LogConfig,
    LogLine,
    Mount,
    NetworkSpec,
    ObservedNetwork,
    Ulimit,
    VolumeSpec,
)

__all__ = [
    "FileMount",
    "ObservedService",
    "ObservedSwarmObject",
    "ObservedTask",
    "Placement",
    "RestartPolicy",
    "ServiceAttachment",
    "ServicePort",
    "ServiceResources",
    "SwarmEngine",
    "SwarmNode",
    "SwarmObjectSpec",
    "SwarmObserved",
    "SwarmServiceSpec",
    "UpdatePolicy",
]


@dataclass(frozen=True)
class SwarmObjectSpec:
    """A secret or config to create as a swarm object.

    ``name`` is versioned (``<project>_<key>-<digest prefix>``) so a changed value is a new
    object and the services referring to it roll; ``data`` is base64 and never in a ``repr``.
    """

    kind: str  # "secret" | "config"
    key: str  # the Compose key
    name: str  # the engine name
    labels: Mapping[str, str]
    data: str = field(default="", repr=False)


@dataclass(frozen=True)
class FileMount:
    """A secret or config as a service's tasks see it (``/run/secrets/<name>`` by default)."""

    kind: str  # "secret" | "config"
    source: str  # engine name of the object (versioned, or the external name)
    target: str  # file name (secrets) or absolute path (configs), as the engine wants it
    uid: str = "0"
    gid: str = "0"
    mode: int = 0o444


@dataclass(frozen=True)
class ServicePort:
    target: int
    published: int | None = None
    protocol: str = "tcp"
    mode: str = "ingress"  # "ingress" | "host"


@dataclass(frozen=True)
class ServiceAttachment:
    """A service's membership in one (overlay) network."""

    network: str  # engine name of the network
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Placement:
    constraints: tuple[str, ...] = ()  # "node.labels.db == true", in the file's order
    preferences: tuple[str, ...] = ()  # spread descriptors: "node.labels.zone"
    max_replicas_per_node: int | None = None


@dataclass(frozen=True)
class ServiceResources:
    """``deploy.resources`` in engine units: nano CPUs, bytes, pids."""

    limit_nano_cpus: int | None = None
    limit_memory: int | None = None
    limit_pids: int | None = None
    reservation_nano_cpus: int | None = None
    reservation_memory: int | None = None


@dataclass(frozen=True)
class RestartPolicy:
    """``deploy.restart_policy``; durations in seconds."""

    condition: str | None = None  # "none" | "on-failure" | "any"
    delay: float | None = None
    max_attempts: int | None = None
    window: float | None = None


@dataclass(frozen=True)
class UpdatePolicy:
    """``deploy.update_config`` or ``rollback_config``; durations in seconds."""

    parallelism: int | None = None
    delay: float | None = None
    failure_action: str | None = None  # "pause" | "continue" | "rollback"
    monitor: float | None = None
    max_failure_ratio: float | None = None
    order: str | None = None  # "stop-first" | "start-first"


@dataclass(frozen=True)
class SwarmServiceSpec:
    """Everything needed to create or update one swarm service.

    ``labels`` are the service's labels (``deploy.labels`` plus orchestra's state, including the
    config hash, which leaves out ``replicas``); ``container_labels`` go on every task's
    container (the service's ``labels:`` plus the project/service labels).
    """

    name: str  # "<project>_<service>", as docker stack deploy names it
    image: str
    labels: Mapping[str, str]
    container_labels: Mapping[str, str] = field(default_factory=dict)
    mode: str = "replicated"  # "replicated" | "global"
    replicas: int = 1  # ignored for global services
    command: tuple[str, ...] | None = None  # compose `entrypoint` (the engine's Command)
    args: tuple[str, ...] | None = None  # compose `command` (the engine's Args)
    environment: tuple[str, ...] = ()  # "KEY=value", sorted
    working_dir: str | None = None
    user: str | None = None
    hostname: str | None = None
    groups: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    networks: tuple[ServiceAttachment, ...] = ()
    ports: tuple[ServicePort, ...] = ()
    endpoint_mode: str | None = None  # "vip" | "dnsrr"
    healthcheck: HealthSpec | None = None
    stop_signal: str | None = None
    stop_grace_period: float | None = None
    read_only: bool = False
    init: bool | None = None
    tty: bool = False
    stdin_open: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    sysctls: Mapping[str, str] = field(default_factory=dict)
    ulimits: tuple[Ulimit, ...] = ()
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_opt: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = ()  # "host:ip"
    log_config: LogConfig | None = None
    placement: Placement = field(default_factory=Placement)
    resources: ServiceResources = field(default_factory=ServiceResources)
    restart_policy: RestartPolicy | None = None
    update_config: UpdatePolicy | None = None
    rollback_config: UpdatePolicy | None = None
    secrets: tuple[FileMount, ...] = ()
    configs: tuple[FileMount, ...] = ()
    # The named volumes ``mounts`` use (by engine name): each node creates a missing one with
    # these labels and driver when a task first mounts it, as docker stack deploy asks.
    volumes: tuple[VolumeSpec, ...] = ()


@dataclass(frozen=True)
class ObservedService:
    """A service as the list call reports it."""

    id: str
    name: str
    labels: Mapping[str, str]
    version: int  # the object version an update must quote
    mode: str  # "replicated" | "global"
    replicas: int | None  # desired replicas; None for global services
    image: str
    update_state: str | None = None  # "updating" | "paused" | "completed" | "rollback_..."
    update_message: str = ""

    @property
    def service(self) -> str | None:
        return self.labels.get("com.docker.compose.service")


@dataclass(frozen=True)
class ObservedTask:
    """One task of a service. With a healthcheck, Swarm reports "starting" until it is healthy,
    so ``state == "running"`` means running and healthy."""

    id: str
    service_id: str
    slot: int | None  # None for global services
    node_id: str
    desired_state: str  # "running" | "shutdown" | ...
    state: str  # "new" | "pending" | "assigned" | ... | "running" | "failed" | "rejected" ...
    message: str = ""
    error: str = ""
    container_id: str = ""
    timestamp: str = ""  # RFC 3339 of the latest state change


@dataclass(frozen=True)
class ObservedSwarmObject:
    kind: str  # "secret" | "config"
    id: str
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class SwarmNode:
    id: str
    hostname: str
    role: str  # "manager" | "worker"
    availability: str  # "active" | "pause" | "drain"
    state: str  # "ready" | "down" | ...
    labels: Mapping[str, str] = field(default_factory=dict)
    address: str = ""


@dataclass(frozen=True)
class SwarmObserved:
    """Everything of one project a swarm holds, read in a few label-filtered list calls."""

    services: tuple[ObservedService, ...] = ()
    tasks: tuple[ObservedTask, ...] = ()
    networks: tuple[ObservedNetwork, ...] = ()
    secrets: tuple[ObservedSwarmObject, ...] = ()
    configs: tuple[ObservedSwarmObject, ...] = ()


class SwarmEngine(Protocol):
    """What orchestra needs from a swarm manager. Every method may raise EngineError."""

    async def ping(self) -> None: ...

    async def require_manager(self) -> None:
        """Raise a UsageError-like error saying how to make this engine a manager when it is
        not one (``docker swarm init``)."""

    async def observe_swarm(self, project: str) -> SwarmObserved: ...

    async def nodes(self) -> tuple[SwarmNode, ...]: ...

    async def create_network(self, spec: NetworkSpec) -> str: ...

    async def remove_network(self, network_id: str) -> None: ...

    async def create_object(self, spec: SwarmObjectSpec) -> str: ...

    async def remove_object(self, kind: str, object_id: str) -> None: ...

    async def create_service(self, spec: SwarmServiceSpec) -> str: ...

    async def update_service(
        self, service_id: str, spec: SwarmServiceSpec, *, rollback: bool = False
    ) -> None:
        """Update in place (Swarm rolls the tasks); the adapter reads the current version."""

    async def scale_service(self, service_id: str, replicas: int) -> None: ...

    async def remove_service(self, service_id: str) -> None: ...

    async def service_tasks(self, service_id: str) -> tuple[ObservedTask, ...]: ...

    def events(
        self, project: str | None = None
    ) -> AbstractAsyncContextManager[AsyncIterator[EngineEvent]]:
        """Live service/node/container events (by project label when given); closes on exit."""

    def service_logs(
        self, service_ids: Sequence[str], *, follow: bool = False, tail: int | None = None
    ) -> AsyncIterator[LogLine]: ...

    async def close(self) -> None: ...
