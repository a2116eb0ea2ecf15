"""Run a Swarm plan: the container executor's scheduling for the service-level op kinds.

As in ``execute``: one task per op in one task group, each waiting for its dependencies; a failed
op skips its transitive dependents (with the upstream reason) while independent branches go on;
the outcome is a ``Report`` (the same type, so ``raise_for_failures`` and the CLI's exit codes
are shared); a lost engine stops the run; on cancel nothing new starts and calls in flight are
shielded and finish. Engine calls hold a slot of a ``CapacityLimiter``; ``WAIT_SERVICE`` holds
none (``readiness_swarm``), and all waits share one event subscription.

Why not ``execute._Run``: its calls go to a container ``Engine``, with throttles tuned for
container starts and healthchecks; a Swarm plan makes a few service calls and the manager
schedules the tasks. Removals of networks, volumes and objects retry for ``settle`` seconds,
since the engine refuses them while the removed services' tasks are still shutting down.

Imports ``plan.ops``, ``readiness_swarm``, ``execute`` (the report types), ``events``, engine
types and ``anyio``; never ``docker`` or ``spec``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio

from orchestra.engine.base import Engine, NetworkSpec
from orchestra.engine.swarm_base import SwarmEngine, SwarmObjectSpec, SwarmServiceSpec
from orchestra.errors import (
    EngineError,
    EngineUnavailableError,
    NotFoundError,
    OrchestraError,
)
from orchestra.events import EventSink, OpEvent, Phase
from orchestra.plan.ops import Op, OpKind, Plan
from orchestra.readiness_swarm import SwarmWatch, wait_service
from orchestra.run_report import PHASE_OF, OpResult, Outcome, Report, cancel_when_set, typed_spec

__all__ = ["SwarmRunSettings", "execute_swarm"]


_S = TypeVar("_S", NetworkSpec, SwarmObjectSpec, SwarmServiceSpec)
_REMOVALS = frozenset(
    {OpKind.REMOVE_NETWORK, OpKind.REMOVE_VOLUME, OpKind.REMOVE_SECRET, OpKind.REMOVE_CONFIG}
)


@dataclass(frozen=True)
class SwarmRunSettings:
    """Limits and timings of one Swarm run (seconds)."""

    concurrency: int = 8
    wait_timeout: float = 300.0
    poll: float = 2.0
    settle: float = 60.0  # how long removals retry while tasks shut down
    sink: EventSink | None = None
    cancel_event: anyio.Event | None = None


class _SwarmRun:
    def __init__(
        self, plan: Plan, swarm: SwarmEngine, volumes: Engine | None, settings: SwarmRunSettings
    ) -> None:
        self.plan, self.swarm, self.volumes, self.settings = plan, swarm, volumes, settings
        self.limiter = anyio.CapacityLimiter(settings.concurrency)
        self.watch: SwarmWatch | None = None
        self.ids: dict[str, str] = {}
        self.results: dict[int, OpResult] = {}
        self.finished = {op.id: anyio.Event() for op in plan.ops}
        self.lost: EngineUnavailableError | None = None
        self.lost_event = anyio.Event()

    async def run_op(self, op: Op) -> None:
        for dep in op.deps:
            await self.finished[dep].wait()
        reason = self._upstream_failure(op)
        started = anyio.current_time()
        if reason is not None:
            self._record(op, Outcome.SKIPPED, reason, None)
            return
        try:
            if op.kind is OpKind.WAIT_SERVICE:
                self._emit(op, Phase.WAITING, started)
                await self._wait(op)
            else:
                async with self.limiter:
                    self._emit(op, Phase.STARTED, started)
                    with anyio.CancelScope(shield=True):
                        await self._call(op)
        except EngineUnavailableError as exc:
            self._record(op, Outcome.FAILED, str(exc), started)
            self.lost = self.lost or exc
            self.lost_event.set()
        except OrchestraError as exc:
            self._record(op, Outcome.FAILED, str(exc), started)
        else:
            self._record(op, Outcome.DONE, "", started)

    def _upstream_failure(self, op: Op) -> str | None:
        for dep in op.deps:
            result = self.results[dep]
            if result.outcome is Outcome.SKIPPED:
                return result.message
            if result.outcome is not Outcome.DONE:
                first = result.message.splitlines()[0] if result.message else ""
                return f"#{dep} {result.op.target} {result.op.kind.verb} failed: {first}"
        return None

    async def _wait(self, op: Op) -> None:
        assert op.condition is not None and op.service is not None  # the planner sets both
        after_update = any(
            self.plan.op(d).kind is OpKind.UPDATE_SERVICE and self.plan.op(d).target == op.target
            for d in op.deps
        )
        await wait_service(
            self.swarm,
            self.plan.project,
            self._id_of(op),
            op.service,
            op.condition,
            timeout=self.settings.wait_timeout,
            watch=self.watch,
            poll=self.settings.poll,
            after_update=after_update,
        )

    async def _call(self, op: Op) -> None:
        swarm, kind = self.swarm, op.kind
        if kind is OpKind.CREATE_NETWORK:
            self.ids[op.target] = await swarm.create_network(typed_spec(op, NetworkSpec))
        elif kind in (OpKind.CREATE_SECRET, OpKind.CREATE_CONFIG):
            self.ids[op.target] = await swarm.create_object(typed_spec(op, SwarmObjectSpec))
        elif kind is OpKind.CREATE_SERVICE:
            self.ids[op.target] = await swarm.create_service(typed_spec(op, SwarmServiceSpec))
        elif kind is OpKind.UPDATE_SERVICE:
            await swarm.update_service(self._id_of(op), typed_spec(op, SwarmServiceSpec))
        elif kind is OpKind.SCALE_SERVICE:
            await swarm.scale_service(self._id_of(op), typed_spec(op, SwarmServiceSpec).replicas)
        elif kind is OpKind.REMOVE_SERVICE:
            await swarm.remove_service(self._id_of(op))
        elif kind in _REMOVALS:
            await self._settling(lambda: self._remove(op))
        else:
            raise OrchestraError(f"{kind.value} is not an operation of the Swarm backend")

    async def _remove(self, op: Op) -> None:
        engine_id = self._id_of(op)
        if op.kind is OpKind.REMOVE_NETWORK:
            await self.swarm.remove_network(engine_id)
        elif op.kind is OpKind.REMOVE_VOLUME:
            if self.volumes is None:
                raise OrchestraError("no engine to remove volumes with")
            await self.volumes.remove_volume(engine_id)
        else:
            await self.swarm.remove_object(op.target.split(":", 1)[0], engine_id)

    async def _settling(self, call: Callable[[], Awaitable[None]]) -> None:
        """Retry ``call`` while the engine refuses it (resources still in use by tasks that are
        shutting down); a resource already gone counts as removed."""
        deadline = anyio.current_time() + self.settings.settle
        while True:
            try:
                await call()
                return
            except NotFoundError:
                return
            except EngineUnavailableError:
                raise
            except EngineError:
                if anyio.current_time() >= deadline:
                    raise
            await anyio.sleep(1.0)

    def _id_of(self, op: Op) -> str:
        if op.engine_id is not None:
            return op.engine_id
        try:
            return self.ids[op.target]
        except KeyError:
            raise OrchestraError(f"no engine id is known for {op.target}") from None

    def _emit(self, op: Op, phase: Phase, started: float | None, message: str = "") -> None:
        if self.settings.sink is not None:
            elapsed = 0.0 if started is None else anyio.current_time() - started
            self.settings.sink(OpEvent.of(op, phase, elapsed, message))

    def _record(self, op: Op, outcome: Outcome, message: str, started: float | None) -> None:
        duration = 0.0 if started is None else anyio.current_time() - started
        self.results[op.id] = OpResult(op, outcome, message, duration)
        self.finished[op.id].set()
        self._emit(op, PHASE_OF[outcome], started, message)

    def report(self, cancelled: bool) -> Report:
        return Report.of_run(self.plan, self.results, self.ids, cancelled, self.lost)


async def execute_swarm(
    plan: Plan,
    swarm: SwarmEngine,
    settings: SwarmRunSettings = SwarmRunSettings(),
    volumes: Engine | None = None,
) -> Report:
    """Run every op of ``plan`` on ``swarm`` (volumes on ``volumes``) and report each outcome.

    Op failures are data in the report; ValueError when the concurrency is below 1.
    """
    if settings.concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    run = _SwarmRun(plan, swarm, volumes, settings)
    cancel = settings.cancel_event
    async with anyio.create_task_group() as outer:
        if cancel is not None:
            outer.start_soon(cancel_when_set, cancel, outer.cancel_scope)
        outer.start_soon(cancel_when_set, run.lost_event, outer.cancel_scope)
        if any(op.kind is OpKind.WAIT_SERVICE for op in plan.ops):
            run.watch = SwarmWatch(swarm, plan.project or None)
            await outer.start(run.watch.run)
        async with anyio.create_task_group() as ops:
            for op in plan.ops:
                ops.start_soon(run.run_op, op)
        outer.cancel_scope.cancel()
    interrupted = cancel is not None and cancel.is_set()
    return run.report(cancelled=interrupted and len(run.results) < len(plan))
