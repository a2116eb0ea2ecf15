"""The plain records the public API returns: containers as ``ps`` shows them, published ports.

Frozen dataclasses (``orchestra.records``) of strings, numbers and orchestra's enums, never docker
SDK objects, so callers can compare, hash and print them. Imports only ``orchestra.engine.base``
(for its data types), ``orchestra.records`` and the standard library; must not import
``docker``, ``anyio`` or the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from orchestra.engine.base import ContainerState, ContainerStatus, HealthStatus, ObservedContainer
from orchestra.records import record

__all__ = ["ContainerInfo", "PublishedPort", "connectable_host", "parse_published"]

# Wildcard bind addresses mean "every interface"; a client reaches them through loopback.
_LOOPBACK = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


@record
class PublishedPort:
    """One container port published on the host, as the engine bound it."""

    container_port: int
    protocol: str  # "tcp" | "udp" | "sctp"
    host_ip: str  # "0.0.0.0", "::", "127.0.0.1", ...
    host_port: int

    def __str__(self) -> str:
        host = f"[{self.host_ip}]" if ":" in self.host_ip else self.host_ip
        return f"{host}:{self.host_port}->{self.container_port}/{self.protocol}"


@record
class ContainerInfo:
    """One container of a stack: identity, state, health, published ports, cgroup limits.

    ``limits`` holds the limits the engine applied (``memory`` in bytes, ``cpu_shares``,
    ``nano_cpus``, ``pids_limit``, ...); unset ones are left out, and all of them when the
    record was made without an inspect (``Stack.ps(limits=False)``).
    """

    id: str
    name: str
    service: str
    number: int
    state: ContainerStatus
    health: HealthStatus | None
    exit_code: int
    ports: tuple[PublishedPort, ...] = ()
    limits: Mapping[str, int | str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        """Whether the container is running (restarting counts: it will be again)."""
        return self.state in (ContainerStatus.RUNNING, ContainerStatus.RESTARTING)

    @classmethod
    def listed(cls, container: ObservedContainer) -> ContainerInfo:
        """The record of a listed container alone (no inspect, so no ``limits``)."""
        return cls(
            id=container.id,
            name=container.name,
            service=container.service or "",
            number=container.number,
            state=container.status,
            health=container.health,
            exit_code=container.exit_code,
            ports=parse_published(container.ports),
        )

    @classmethod
    def of(cls, container: ObservedContainer, state: ContainerState) -> ContainerInfo:
        """The record of a listed container and its inspect."""
        return cls(
            id=container.id,
            name=container.name,
            service=container.service or "",
            number=container.number,
            state=state.status,
            health=state.health,
            exit_code=state.exit_code,
            ports=parse_published(state.ports),
            limits=dict(state.limits),
        )


def parse_published(shown: tuple[str, ...]) -> tuple[PublishedPort, ...]:
    """Published ports from the engine adapter's ``"HOSTIP:PORT->CPORT/PROTO"`` strings.

    Entries that cannot be read (no host port: exposed only) are left out.
    """
    found = []
    for text in shown:
        host, arrow, target = text.partition("->")
        host_ip, colon, host_port = host.rpartition(":")
        port, _, protocol = target.partition("/")
        if not arrow or not colon or not host_port.isdigit() or not port.isdigit():
            continue
        found.append(
            PublishedPort(int(port), protocol or "tcp", host_ip.strip("[]"), int(host_port))
        )
    return tuple(found)


def connectable_host(host_ip: str) -> str:
    """The address a client on the engine's host connects to for a port bound to ``host_ip``."""
    return _LOOPBACK.get(host_ip, host_ip)
