"""Readiness of a Swarm service: the desired number of tasks running (and so healthy: Swarm
reports a task with a healthcheck as "starting" until its first healthy result).

A wait re-reads the project's services and tasks whenever the shared event subscription
(``SwarmWatch``) sees something, and every ``poll`` seconds as the fallback, always under a
timeout. It fails, with the engine's task error text, when the service's update ends paused or
rolled back, or (outside an update) when tasks keep failing or being rejected: Swarm would
restart them for ever, so waiting out the timeout would only hide the cause.

Right after an update call the engine clears the service's update status, and the old tasks are
still running: a wait after an update only trusts a bare "no update status" after ``grace``
seconds (a change to service labels alone rolls no task and never gets a status).

Imports ``engine.swarm_base`` types, ``errors`` and ``anyio``; never ``docker`` or ``spec``.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Sequence
from dataclasses import dataclass

import anyio
from anyio.abc import TaskStatus

from orchestra.engine.base import ReadyCondition
from orchestra.engine.swarm_base import ObservedService, ObservedTask, SwarmEngine
from orchestra.errors import NotFoundError, OrchestraError

__all__ = ["ServiceNotReady", "SwarmWatch", "judge_service", "running_count", "wait_service"]

FAILED_STATES = frozenset({"failed", "rejected"})
FAILED_UPDATE = frozenset({"paused", "rollback_paused", "rollback_completed"})
IN_PROGRESS = frozenset({"updating", "rollback_started"})
_TOO_MANY_FAILURES = 3


class ServiceNotReady(OrchestraError):
    """A service did not become ready: its update failed, its tasks fail, or time ran out."""


class Verdict(enum.Enum):
    READY = "ready"
    PENDING = "pending"
    FAILED = "failed"


class SwarmWatch:
    """One event subscription shared by every wait of a run; each event wakes every waiter."""

    def __init__(self, engine: SwarmEngine, project: str | None) -> None:
        self._engine = engine
        self._project = project
        self._changed = anyio.Event()
        self.live = False

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Follow the engine's events until cancelled; without them waits only poll."""
        task_status.started()
        with contextlib.suppress(OrchestraError, NotImplementedError):
            async with self._engine.events(self._project) as stream:
                self.live = True
                async for _event in stream:
                    self._changed.set()
                    self._changed = anyio.Event()
        self.live = False

    async def next_change(self, timeout: float) -> None:
        """Return at the next event, or after ``timeout`` seconds."""
        with anyio.move_on_after(timeout):
            await self._changed.wait()


def running_count(tasks: Sequence[ObservedTask]) -> int:
    """Tasks that run and are meant to (the ``watch`` contract's "running")."""
    return sum(1 for t in tasks if t.state == "running" and t.desired_state == "running")


def _task_errors(tasks: Sequence[ObservedTask], limit: int = 2) -> str:
    failed = sorted(
        (t for t in tasks if t.state in FAILED_STATES), key=lambda t: t.timestamp, reverse=True
    )
    texts: list[str] = []
    for task in failed:
        text = f"task {task.state}: {task.error or task.message}"
        if text not in texts:
            texts.append(text)
    return "; ".join(texts[:limit])


@dataclass(frozen=True)
class WaitState:
    """What one wait knows besides the current snapshot."""

    condition: ReadyCondition
    failed_before: frozenset[str]  # ids of tasks already failed when the wait began
    trust_idle: bool  # whether "no update status" may mean "nothing rolls" (see docstring)


def judge_service(
    service: ObservedService, tasks: Sequence[ObservedTask], state: WaitState
) -> tuple[Verdict, str]:
    """Whether ``service`` is ready, still pending, or failed (with the reason)."""
    update = service.update_state
    if update in FAILED_UPDATE:
        errors = _task_errors(tasks) or "no task error reported"
        said = update.replace("_", " ")
        message = service.update_message
        detail = f": {message}" if message and message != said else ""
        return Verdict.FAILED, f"update {said}{detail} ({errors})"
    running = running_count(tasks)
    desired = _desired(service, tasks)
    status = f"{running}/{desired} running"
    if update in IN_PROGRESS or (update is None and not state.trust_idle):
        return Verdict.PENDING, f"{status}, update {update or 'starting'}"
    new_failures = [
        t for t in tasks if t.state in FAILED_STATES and t.id not in state.failed_before
    ]
    if state.condition is ReadyCondition.COMPLETED:
        done = sum(1 for t in tasks if t.state == "complete")
        if new_failures:
            return Verdict.FAILED, f"a task did not complete ({_task_errors(new_failures)})"
        return (Verdict.READY if done >= max(desired, 1) else Verdict.PENDING), status
    if running >= desired and (desired > 0 or service.mode == "replicated"):
        return Verdict.READY, status
    if len(new_failures) >= _TOO_MANY_FAILURES:
        return Verdict.FAILED, f"{status}; tasks keep failing ({_task_errors(new_failures)})"
    return Verdict.PENDING, status


def _desired(service: ObservedService, tasks: Sequence[ObservedTask]) -> int:
    if service.mode == "replicated":
        return service.replicas or 0
    # Global: one task per eligible node, which only the tasks meant to run tell.
    return len({t.node_id for t in tasks if t.desired_state == "running"})


async def _snapshot(
    engine: SwarmEngine, project: str, service_id: str, name: str
) -> tuple[ObservedService, tuple[ObservedTask, ...]]:
    observed = await engine.observe_swarm(project)
    for service in observed.services:
        if service.id == service_id or service.id.startswith(service_id):
            tasks = tuple(t for t in observed.tasks if t.service_id == service.id)
            return service, tasks
    raise NotFoundError(f"service {name} is gone")


async def wait_service(
    engine: SwarmEngine,
    project: str,
    service_id: str,
    name: str,
    condition: ReadyCondition,
    *,
    timeout: float,
    watch: SwarmWatch | None = None,
    poll: float = 2.0,
    after_update: bool = False,
    grace: float = 3.0,
) -> None:
    """Wait until service ``name`` is ready; ServiceNotReady when it fails or times out.

    EngineUnavailableError and NotFoundError pass through.
    """
    started = anyio.current_time()
    service, tasks = await _snapshot(engine, project, service_id, name)
    failed = frozenset(t.id for t in tasks if t.state in FAILED_STATES)
    status = ""
    with anyio.move_on_after(timeout):
        while True:
            trust = not after_update or anyio.current_time() - started >= grace
            state = WaitState(condition, failed, trust)
            verdict, status = judge_service(service, tasks, state)
            if verdict is Verdict.READY:
                return
            if verdict is Verdict.FAILED:
                raise ServiceNotReady(status)
            if watch is not None and watch.live:
                await watch.next_change(poll)
            else:
                await anyio.sleep(min(poll, 1.0))
            service, tasks = await _snapshot(engine, project, service_id, name)
    errors = _task_errors(tasks)
    tail = f"; {errors}" if errors else ""
    raise ServiceNotReady(f"not ready after {timeout:g} s ({status}{tail})")
