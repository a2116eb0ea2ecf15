"""Wait until a container is ready in compose's sense: started, healthy or completed.

Rules (``judge``):
- started: running (or restarting/paused: it did start); exited 0 counts too (a quick job ran),
  exited non-zero or dead fails naming the service and the exit code.
- healthy: ``healthy`` from a health result newer than the container's current start. A result
  from before the latest start (the engine keeps it across restarts) is stale and not final,
  whichever way it went. ``unhealthy`` after the start fails with the last healthcheck output; no
  healthcheck at all fails at once ("has no healthcheck configured", as compose says); exiting
  fails with the exit code.
- completed: exited 0; a non-zero exit fails with the code and the job's last log lines.

Waiting (``wait_ready``): inspect, judge, then sleep until an engine event about the container
arrives (through one shared ``ContainerWatch`` per execution) or the poll interval passes, always
under a timeout whose message names the service and the last health output. A fresh
``health_status: healthy`` event is judged by itself, without another inspect (which would
queue behind the engine's creates and starts); while the event stream is live, the poll is only
a slow fallback (``LIVE_POLL``). On an engine the caller knows to be saturated (``saturated``),
an ``unhealthy`` produced by checks that exceeded their timeout is not final: the probes did
not get the CPU, which says nothing about the service (compose fails there; issue 6).

Imports ``engine.base``, ``errors`` and ``anyio``; never ``docker``, ``plan`` or ``rich``.
"""

from __future__ import annotations

import contextlib
import enum
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import anyio
from anyio.abc import TaskStatus

from orchestra.engine.base import (
    ContainerState,
    ContainerStatus,
    Engine,
    EngineEvent,
    HealthStatus,
    ReadyCondition,
)
from orchestra.errors import EngineError, OrchestraError

__all__ = [
    "LIVE_POLL",
    "ContainerWatch",
    "ReadinessFailed",
    "Verdict",
    "Wakeup",
    "healthy_from_event",
    "judge",
    "rfc3339_from_ns",
    "rfc3339_ns",
    "timed_out",
    "turned_healthy",
    "wait_ready",
]

LIVE_POLL = 5.0  # seconds between fallback inspects while the event stream is live
_KEY_LEN = 12  # engines report short or full ids; the first 12 hex digits identify a container
_TIMEOUT_OUTPUT = "Health check exceeded timeout"  # the engine's words for a probe cut short
_HEALTHY_ACTION = f"health_status: {HealthStatus.HEALTHY.value}"
_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


class ReadinessFailed(OrchestraError):
    """A container did not become ready: it exited, turned unhealthy, or the wait timed out."""


class Verdict(enum.Enum):
    READY = "ready"
    PENDING = "pending"
    FAILED = "failed"


class Wakeup:
    """One armed waiter: set by the next engine events about its container, which it keeps."""

    def __init__(self) -> None:
        self.woken = anyio.Event()
        self.events: list[EngineEvent] = []

    def deliver(self, event: EngineEvent) -> None:
        self.events.append(event)
        self.woken.set()

    @property
    def last(self) -> EngineEvent | None:
        """The newest event delivered, None when only the poll interval passed."""
        return self.events[-1] if self.events else None


class ContainerWatch:
    """One engine event subscription shared by every waiter of an execution.

    ``run`` consumes the engine's event stream and wakes the waiters armed for the container an
    event is about, handing them the event. When the stream cannot be opened or ends, waiters
    fall back to polling.
    """

    def __init__(self, engine: Engine, project: str | None = None) -> None:
        self._engine = engine
        self._project = project
        self._waiters: dict[str, set[Wakeup]] = {}
        self.live = False

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Follow the event stream until cancelled; reports started once subscribed (or failed)."""
        started = False
        try:
            async with self._engine.events(self._project) as stream:
                self.live = started = True
                task_status.started()
                async for event in stream:
                    if event.type == "container":
                        self._wake(event)
        except (EngineError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # polling still works; the watch only makes waits faster
        finally:
            self.live = False
        if not started:
            task_status.started()

    def arm(self, container_id: str) -> Wakeup:
        """A wake-up for the next engine events about ``container_id``; disarm it when done."""
        wakeup = Wakeup()
        self._waiters.setdefault(container_id[:_KEY_LEN], set()).add(wakeup)
        return wakeup

    def disarm(self, container_id: str, wakeup: Wakeup) -> None:
        key = container_id[:_KEY_LEN]
        waiters = self._waiters.get(key)
        if waiters is not None:
            waiters.discard(wakeup)
            if not waiters:
                del self._waiters[key]

    def _wake(self, event: EngineEvent) -> None:
        for wakeup in self._waiters.pop(event.id[:_KEY_LEN], set()):
            wakeup.deliver(event)


def rfc3339_ns(text: str) -> int | None:
    """Nanoseconds since the epoch of an engine timestamp; None when empty or unparsable."""
    match = _RFC3339.match(text.strip())
    if match is None:
        return None
    zone = "+00:00" if match[3] == "Z" else match[3]
    whole = datetime.fromisoformat(match[1] + zone)
    fraction = (match[2] or "").ljust(9, "0")[:9]
    return int(whole.timestamp()) * 1_000_000_000 + int(fraction)


def _fresh(state: ContainerState) -> bool:
    """Whether the health result was produced after the container's current start."""
    ended = rfc3339_ns(state.health_log_end)
    started = rfc3339_ns(state.started_at)
    # Without timestamps there is nothing to compare: trust the status the engine gives.
    return ended is None or started is None or ended >= started


def timed_out(state: ContainerState) -> bool:
    """Whether the newest health result is the engine's own "exceeded timeout": it says the
    probe did not finish in time, not that the service answered badly."""
    return _last_output(state).startswith(_TIMEOUT_OUTPUT)


def _last_output(state: ContainerState) -> str:
    return state.health_log[-1].strip() if state.health_log else ""


def _who(state: ContainerState, service: str) -> str:
    return f'service "{service}": container {state.name}'


def judge(
    state: ContainerState, condition: ReadyCondition, service: str, saturated: bool = False
) -> tuple[Verdict, str]:
    """Whether ``state`` satisfies ``condition``; for FAILED, the message naming the service.

    ``saturated``: the engine is known to be too busy to run healthchecks in time, so an
    ``unhealthy`` that only timed-out checks produced is not final (see ``timed_out``).
    """
    status = state.status
    if condition is ReadyCondition.COMPLETED:
        if status is ContainerStatus.EXITED or status is ContainerStatus.DEAD:
            if state.exit_code == 0 and status is ContainerStatus.EXITED:
                return Verdict.READY, ""
            return Verdict.FAILED, (
                f'service "{service}" didn\'t complete successfully: exit {state.exit_code}'
            )
        return Verdict.PENDING, ""
    if status is ContainerStatus.DEAD:
        return Verdict.FAILED, f"{_who(state, service)} is dead (exit code {state.exit_code})"
    if condition is ReadyCondition.STARTED:
        if status is ContainerStatus.EXITED:
            if state.exit_code == 0 and rfc3339_ns(state.started_at) is not None:
                return Verdict.READY, ""
            return Verdict.FAILED, f"{_who(state, service)} exited with code {state.exit_code}"
        ready = status in (
            ContainerStatus.RUNNING,
            ContainerStatus.RESTARTING,
            ContainerStatus.PAUSED,
        )
        return (Verdict.READY if ready else Verdict.PENDING), ""
    return _judge_health(state, service, saturated)


def _judge_health(state: ContainerState, service: str, saturated: bool) -> tuple[Verdict, str]:
    if state.health is None:
        return Verdict.FAILED, f"{_who(state, service)} has no healthcheck configured"
    if state.status is ContainerStatus.EXITED:
        return Verdict.FAILED, f"{_who(state, service)} exited with code {state.exit_code}"
    if state.status is not ContainerStatus.RUNNING or not _fresh(state):
        return Verdict.PENDING, ""
    if state.health is HealthStatus.HEALTHY:
        return Verdict.READY, ""
    if state.health is HealthStatus.UNHEALTHY and not (saturated and timed_out(state)):
        output = _last_output(state)
        detail = f"; last health check output: {output}" if output else ""
        return Verdict.FAILED, f"{_who(state, service)} is unhealthy{detail}"
    return Verdict.PENDING, ""


async def wait_ready(
    engine: Engine,
    container_id: str,
    condition: ReadyCondition,
    service: str,
    *,
    timeout: float = 300.0,
    watch: ContainerWatch | None = None,
    poll_interval: float = 1.0,
    saturated: Callable[[], bool] = lambda: False,
) -> ContainerState:
    """Wait until the container satisfies ``condition`` and return its state.

    ``saturated`` says whether the engine is currently too busy for healthchecks (``judge``).
    Raises ReadinessFailed (exited, unhealthy, no healthcheck, timed out) and EngineError.
    """
    last: ContainerState | None = None
    seen: EngineEvent | None = None
    with anyio.move_on_after(timeout):
        while True:
            # Arm before inspecting, so an event between the inspect and the sleep still wakes.
            wakeup = watch.arm(container_id) if watch is not None else None
            try:
                if last is not None and seen is not None and turned_healthy(last, seen):
                    # The event says it all: an inspect would only queue behind the engine's
                    # creates and starts, delaying every dependent (issue 6: < 100 ms).
                    return healthy_from_event(last, seen)
                last = await engine.inspect_container(container_id)
                verdict, message = judge(last, condition, service, saturated())
                if verdict is Verdict.READY:
                    return last
                if verdict is Verdict.FAILED:
                    if condition is ReadyCondition.COMPLETED:
                        message += await _log_tail(engine, container_id)
                    raise ReadinessFailed(message)
                # With the event stream live, polling only guards against a lost event: every
                # inspect of a hundred waiters a second is load on a saturated engine.
                live = watch is not None and watch.live
                seen = await _sleep_or_wake(
                    wakeup, max(poll_interval, LIVE_POLL) if live else poll_interval
                )
                if condition is not ReadyCondition.HEALTHY:
                    seen = None
            finally:
                if watch is not None and wakeup is not None:
                    watch.disarm(container_id, wakeup)
    raise ReadinessFailed(_timeout_message(service, condition, timeout, last))


def turned_healthy(pending: ContainerState, event: EngineEvent) -> bool:
    """Whether ``event`` makes a container that was running and pending healthy now.

    Only a ``healthy`` result produced after the start the inspect saw counts (the rule of
    ``judge``); anything else (a die, a restart, an unhealthy result) needs a fresh inspect.
    """
    if event.action != _HEALTHY_ACTION or pending.health is None:
        return False
    started = rfc3339_ns(pending.started_at)
    running = pending.status is ContainerStatus.RUNNING
    return running and (started is None or event.time_nano >= started)


def healthy_from_event(pending: ContainerState, event: EngineEvent) -> ContainerState:
    """``pending`` as the healthy result of ``event`` left it."""
    return replace(
        pending, health=HealthStatus.HEALTHY, health_log_end=rfc3339_from_ns(event.time_nano)
    )


def rfc3339_from_ns(ns: int) -> str:
    """An engine-style UTC timestamp with nanoseconds (the inverse of ``rfc3339_ns``)."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    whole = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{whole}.{fraction:09d}Z"


async def _sleep_or_wake(wakeup: Wakeup | None, poll_interval: float) -> EngineEvent | None:
    """Sleep until woken or the poll interval passes; the newest event that woke, if any."""
    if wakeup is None:
        await anyio.sleep(poll_interval)
        return None
    with anyio.move_on_after(poll_interval):
        await wakeup.woken.wait()
    return wakeup.last


async def _log_tail(engine: Engine, container_id: str, lines: int = 10) -> str:
    """The job's last log lines, indented, for a failure message; "" when unavailable."""
    texts: list[str] = []
    with contextlib.suppress(EngineError):
        async for line in engine.logs(container_id, tail=lines):
            texts.append(line.text.rstrip("\n"))
    if not texts:
        return ""
    return "; last log lines:\n" + "\n".join(f"    {t}" for t in texts[-lines:])


def _timeout_message(
    service: str, condition: ReadyCondition, timeout: float, last: ContainerState | None
) -> str:
    message = f'timed out after {timeout:g}s waiting for service "{service}" to be {condition}'
    if last is None:
        return message
    output = _last_output(last)
    if output:
        return f"{message}; last health check output: {output}"
    health = f", health {last.health}" if last.health is not None else ""
    return f"{message} (container {last.name}: {last.status}{health})"
