"""What the engine reports back: list-call snapshots, inspect states, events, logs, exec results.

Engine-neutral plain data; ``engine.base`` re-exports all of it. Imports only the standard library,
``orchestra.records`` and ``engine.base``'s enums.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from orchestra.engine.status import ContainerStatus, HealthStatus
from orchestra.records import record

__all__ = [
    "ContainerState",
    "EngineEvent",
    "ExecResult",
    "LogLine",
    "Observed",
    "ObservedContainer",
    "ObservedNetwork",
    "ObservedVolume",
]


@record
class ObservedContainer:
    """A container as one list call reports it (no inspect)."""

    id: str
    name: str
    labels: Mapping[str, str]
    status: ContainerStatus
    health: HealthStatus | None  # from the list call's status text; None without healthcheck
    image_id: str
    created: int = 0  # unix seconds
    # Anonymous volumes (target → volume name): a replacement container reuses them.
    anonymous_volumes: Mapping[str, str] = field(default_factory=dict)
    # Names of the networks the container is attached to (None when the engine did not say).
    networks: frozenset[str] | None = None
    # What ``ps`` shows, all from the same list call (no inspect needed):
    image: str = ""  # the image reference the container was created from, as listed
    command: str = ""  # entrypoint and command joined, as the engine lists it
    status_text: str = ""  # the engine's own words: "Up 3 minutes (healthy)", "Exited (0) ..."
    exit_code: int = 0  # from "Exited (137) ..." in the status text; 0 when not exited
    ports: tuple[str, ...] = ()  # published ports as "0.0.0.0:8080->80/tcp", sorted

    @property
    def service(self) -> str | None:
        return self.labels.get("com.docker.compose.service")

    @property
    def number(self) -> int:
        try:
            return int(self.labels.get("com.docker.compose.container-number", "0"))
        except ValueError:
            return 0


@record
class ObservedNetwork:
    id: str
    name: str
    labels: Mapping[str, str]
    driver: str = "bridge"


@record
class ObservedVolume:
    name: str
    labels: Mapping[str, str]
    driver: str = "local"


@record
class Observed:
    """Everything of one project the engine holds, read in O(1) list calls."""

    containers: tuple[ObservedContainer, ...] = ()
    networks: tuple[ObservedNetwork, ...] = ()
    volumes: tuple[ObservedVolume, ...] = ()


@record
class ContainerState:
    """The readiness-relevant part of one container's inspect."""

    id: str
    name: str
    status: ContainerStatus
    health: HealthStatus | None
    exit_code: int
    started_at: str  # RFC 3339 from the engine, "" when never started
    finished_at: str
    restart_count: int = 0
    oom_killed: bool = False
    health_log: tuple[str, ...] = ()  # outputs of the latest healthcheck runs, newest last
    health_log_end: str = ""  # end time of the newest healthcheck run, RFC 3339
    ports: tuple[str, ...] = ()  # published ports as "127.0.0.1:8080->80/tcp"
    limits: Mapping[str, int | str] = field(default_factory=dict)  # effective cgroup limits


@record
class EngineEvent:
    """One event from the engine's event stream."""

    type: str  # "container" | "network" | "volume" | "image"
    action: str  # "start", "die", "health_status: healthy", "destroy", ...
    id: str
    attributes: Mapping[str, str]
    time_nano: int


@record
class LogLine:
    container: str  # container name
    stream: str  # "stdout" | "stderr"
    text: str


@record
class ExecResult:
    exit_code: int
    stdout: str
    stderr: str
