"""One container of the fake engine: its lifecycle as a pure function of the time it is given.

``FakeBehaviour`` says what the container's process does once started (start delay, when the
healthcheck turns healthy or unhealthy, when and how it exits). ``FakeContainer`` settles those
transitions lazily for a given clock reading and tells the engine which events to emit and when.
Like the Docker Engine (20.10), a health result survives a restart and stays until the next check,
so right after a start it is stale. A container with ``stale_task`` set is refused every start
with StaleTaskError, as Engine 20.10 refuses one whose task outlived a daemon restart. Used only
by ``engine.fake``.

Imports ``engine.base``, ``engine.docker_faults`` (the refusal's wording; stdlib only) and
``labels``; never ``docker`` or ``anyio`` (time is passed in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from orchestra import labels
from orchestra.engine.base import (
    ContainerSpec,
    ContainerState,
    ContainerStatus,
    EngineEvent,
    HealthStatus,
    ObservedContainer,
)
from orchestra.engine.docker_faults import stale_task

__all__ = ["EPOCH", "FakeBehaviour", "FakeContainer", "Logged", "stamp"]

EPOCH = 1_700_000_000  # fake wall clock = this + the event loop's clock, so timestamps look real

Scheduled = list[tuple[str, float]]  # (event action, clock time) the engine should emit


def stamp(t: float | None) -> str:
    """The clock reading ``t`` as the engine's RFC 3339 timestamp; "" for None."""
    if t is None:
        return ""
    secs, nanos = divmod(round((EPOCH + t) * 1e9), 1_000_000_000)
    return datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


@dataclass(frozen=True)
class FakeBehaviour:
    """How a fake container behaves once started; times in seconds after its start."""

    start_delay: float = 0.0
    healthy_after: float | None = 0.0  # None: never turns healthy
    unhealthy_after: float | None = None  # wins when due before healthy_after
    exit_after: float | None = None  # None: runs until stopped
    exit_code: int = 0
    health_output: str = ""
    logs: tuple[str, ...] = ()
    stale_health: HealthStatus | None = None  # a pre-start result shown until the first check


@dataclass
class FakeContainer:
    id: str
    spec: ContainerSpec
    name: str
    created: float
    status: ContainerStatus = ContainerStatus.CREATED
    exit_code: int = 0
    started: float | None = None
    finished: float | None = None
    health: HealthStatus | None = None
    health_end: float | None = None
    health_output: str = ""
    behaviour: FakeBehaviour = field(default_factory=FakeBehaviour)
    stale_task: bool = False  # the runtime kept a task of it: every start is refused

    def check_startable(self) -> None:
        """StaleTaskError, as the adapter maps Engine 20.10's refusal, when a task was kept."""
        refused = stale_task(f"start container {self.id}", f"task {self.id}: already exists")
        if self.stale_task and refused is not None:
            raise refused

    @property
    def keys(self) -> set[str]:
        """The names ``fail_on`` and behaviours match: container name and service."""
        service = self.spec.labels.get(labels.SERVICE)
        return {self.name} | ({service} if service else set())

    @property
    def has_healthcheck(self) -> bool:
        check = self.spec.healthcheck
        return check is not None and tuple(check.test[:1]) != ("NONE",)

    @property
    def running(self) -> bool:
        return self.status is ContainerStatus.RUNNING

    def settle(self, now: float) -> None:
        """Apply the health and exit transitions that are due by ``now``."""
        if not self.running or self.started is None:
            return
        b = self.behaviour
        exit_at = None if b.exit_after is None else self.started + b.exit_after
        horizon = now if exit_at is None else min(now, exit_at)
        change = self.health_change()
        fresh = change is not None and (self.health_end is None or self.health_end < change[0])
        if change is not None and fresh and change[0] <= horizon:
            self.health_end, self.health = change
            self.health_output = b.health_output or f"fake health check: {self.health}"
        if exit_at is not None and now >= exit_at:
            self.status, self.exit_code, self.finished = (
                ContainerStatus.EXITED,
                b.exit_code,
                exit_at,
            )

    def health_change(self) -> tuple[float, HealthStatus] | None:
        """When and to what the health of the current run changes, if ever."""
        b = self.behaviour
        if not self.has_healthcheck or self.started is None:
            return None
        due = [
            (self.started + after, status)
            for after, status in (
                (b.unhealthy_after, HealthStatus.UNHEALTHY),
                (b.healthy_after, HealthStatus.HEALTHY),
            )
            if after is not None
        ]
        return min(due, key=lambda d: d[0]) if due else None

    def begin(self, behaviour: FakeBehaviour, now: float) -> Scheduled:
        """Start running with ``behaviour``; the events of this run, some in the future."""
        self.behaviour = behaviour
        self.status, self.started, self.finished, self.exit_code = (
            ContainerStatus.RUNNING,
            now,
            None,
            0,
        )
        if self.has_healthcheck and behaviour.stale_health is not None:
            self.health, self.health_end = behaviour.stale_health, now - 1.0
            self.health_output = "stale result from before the start"
        elif self.has_healthcheck and self.health is None:
            self.health = HealthStatus.STARTING
        events: Scheduled = [("start", now)]
        change = self.health_change()
        if change is not None:
            events.append((f"health_status: {change[1]}", change[0]))
        if behaviour.exit_after is not None:
            events.append(("die", now + behaviour.exit_after))
        return events

    def end(self, now: float) -> Scheduled:
        """Stop running (a no-op when not running); the events to emit now."""
        self.settle(now)
        if not self.running:
            return []
        self.status, self.finished = ContainerStatus.EXITED, now
        return [("die", now), ("stop", now)]

    def state(self, now: float) -> ContainerState:
        """What inspect reports at ``now``."""
        self.settle(now)
        return ContainerState(
            id=self.id,
            name=self.name,
            status=self.status,
            health=self.health,
            exit_code=self.exit_code,
            started_at=stamp(self.started),
            finished_at=stamp(self.finished),
            health_log=(self.health_output,) if self.health_end is not None else (),
            health_log_end=stamp(self.health_end),
        )

    def observed(self, now: float, image_id: str) -> ObservedContainer:
        """What a list call reports at ``now``."""
        self.settle(now)
        return ObservedContainer(
            self.id,
            self.name,
            self.spec.labels,
            self.status,
            self.health,
            image_id,
            int(EPOCH + self.created),
            image=self.spec.image,
            command=" ".join((*(self.spec.entrypoint or ()), *(self.spec.command or ()))),
            status_text=self._status_text(),
            exit_code=self.exit_code if self.status is ContainerStatus.EXITED else 0,
        )

    def _status_text(self) -> str:
        # Shaped like the engine's list text, so the same parsing applies; durations left out.
        if self.status is ContainerStatus.EXITED:
            return f"Exited ({self.exit_code})"
        if self.status is not ContainerStatus.RUNNING:
            return self.status.value.capitalize()
        if self.health is None:
            return "Up"
        word = "health: starting" if self.health is HealthStatus.STARTING else str(self.health)
        return f"Up ({word})"


@dataclass(frozen=True)
class Logged:
    """One event in the fake engine's log, with its time and arrival order."""

    time: float
    seq: int
    event: EngineEvent
