"""Run a plan against an engine: one task per op, dependencies as events, failures as data.

Every op runs in its own task of one anyio task group and first waits for its dependencies. A
failed op makes its transitive dependents SKIPPED (with the upstream reason) while independent
branches go on; nothing raises for an op failure: the ``Report`` lists every outcome and the
caller raises ``ExecutionFailed`` from it (``Report.raise_for_failures``), or
``EngineUnavailableError`` when the engine stopped answering: that is not one op's failure, so
the run stops there as on a cancel (calls in flight finish) and the report says so. An op marked
``rollback`` is the inverse: it acts only when a dependency failed or was skipped (it undoes a
start-first update, and the report lists it with the failures) and is quietly done otherwise.

Concurrency: a ``PriorityGate`` (``throttle``) caps engine calls only, admitting starts before
stops and removes before creates (among starts, the longest chain of dependents first), so a
dependent starts as soon as its dependency is ready instead of queueing behind creates needed
later. Readiness waits hold no slot (a wait holding
one could starve the very ops it waits for); their inspects are short engine calls that the
engine adapter bounds itself. All waits share one engine event subscription. When the plan
waits for healthchecks, ``HealthLag`` follows how late first health results come (later than
the checks' interval + timeout: the engine is too busy to run the probes); once several have
come late in a run, a wait no longer fails on an ``unhealthy`` that only timed-out checks
produced (``readiness.judge``).

A START refused over a stale runtime task replaces its container when the op carries the spec
(``stale_task``), with a warning in the report and in the plan's (which callers print).

Cancellation (``cancel_event`` set, e.g. by a Ctrl-C handler): nothing new starts, waits stop,
and mutating calls already running are shielded and finish, so the next observe sees their
result; ops that never finished are reported CANCELLED. Cancelling a scope around ``execute``
behaves the same but propagates the cancellation instead of returning a report.

Imports ``plan.ops``, ``readiness``, ``throttle``, ``stale_task``, ``run_report``, ``events``,
``engine.base``, ``errors`` and ``anyio``; never ``docker`` or ``rich``.
"""

from __future__ import annotations

import anyio

from orchestra.engine.base import (
    BuildSpec,
    ContainerSpec,
    Engine,
    NetworkSpec,
    ProgressCallback,
    VolumeSpec,
)
from orchestra.errors import EngineUnavailableError, OrchestraError, StaleTaskError
from orchestra.events import EventSink, OpEvent, Phase
from orchestra.plan.ops import Op, OpKind, Plan
from orchestra.readiness import ContainerWatch, wait_ready
from orchestra.run_report import PHASE_OF, OpResult, Outcome, Report, cancel_when_set, typed_spec
from orchestra.stale_task import REPLACING, StaleTasks, replaceable
from orchestra.throttle import HealthLag, PriorityGate, health_grace, priorities

__all__ = ["OpResult", "Outcome", "Report", "execute"]


class _Run:
    """The mutable state of one execution: results, completion events, created ids."""

    def __init__(
        self,
        plan: Plan,
        engine: Engine,
        limit: int,
        sink: EventSink | None,
        wait_timeout: float,
        poll_interval: float,
    ) -> None:
        self.plan = plan
        self.engine = engine
        self.gate = PriorityGate(limit)
        self.lag = HealthLag()
        self.grace = health_grace(plan)
        self.priorities = priorities(plan)
        self.sink = sink
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self.watch: ContainerWatch | None = None
        self.ids: dict[str, str] = {}
        self.results: dict[int, OpResult] = {}
        self.finished = {op.id: anyio.Event() for op in plan.ops}
        self.engine_lost: EngineUnavailableError | None = None
        self.stale = StaleTasks()
        self.lost = anyio.Event()

    async def run_op(self, op: Op) -> None:
        for dep in op.deps:
            await self.finished[dep].wait()
        reason = self._upstream_failure(op)
        if op.rollback:
            await self._roll_back(op, reason)
        elif reason is not None:
            self._record(op, Outcome.SKIPPED, reason, None)
        elif op.kind is OpKind.WAIT_READY:
            await self._wait(op)
        else:
            await self._mutate(op)

    def _upstream_failure(self, op: Op) -> str | None:
        for dep in op.deps:
            result = self.results[dep]
            if result.outcome is Outcome.SKIPPED:
                return result.message  # already names the op that failed first
            if result.outcome is not Outcome.DONE:
                first_line = result.message.splitlines()[0] if result.message else ""
                return f"#{dep} {result.op.target} {result.op.kind.verb} failed: {first_line}"
        return None

    async def _roll_back(self, op: Op, reason: str | None) -> None:
        """A rollback op acts only after a failure upstream; otherwise it is quietly done."""
        if reason is None:
            self._record(op, Outcome.DONE, "", None, emit=False)
            return
        note = f"update of {op.service or op.target} rolled back: {reason}"
        if op.engine_id is None and op.target not in self.ids:
            self._record(op, Outcome.DONE, note, None)  # nothing was created: nothing to undo
            return
        await self._mutate(op, note)

    async def _mutate(self, op: Op, done_message: str = "") -> None:
        async with self.gate.slot(self.priorities[op.id]):
            started = anyio.current_time()
            self._emit(op, Phase.STARTED, started)
            # A call that reached the engine finishes even on cancel, so the next observe
            # sees its result instead of a half-known state.
            with anyio.CancelScope(shield=True):
                try:
                    note = await self._call(op, started)
                except EngineUnavailableError as exc:
                    self._lose(op, exc, started)
                except OrchestraError as exc:
                    self._record(op, Outcome.FAILED, str(exc), started)
                else:
                    if op.kind is OpKind.START_CONTAINER and op.target in self.grace:
                        self.lag.started(op.target, anyio.current_time(), self.grace[op.target])
                    self._record(op, Outcome.DONE, note or done_message, started)

    def _saturated(self) -> bool:
        """Whether several containers' first health results came late in this run: then checks
        that merely timed out do not fail a wait."""
        return self.lag.saturated()

    async def judge_lateness(self, period: float = 0.2) -> None:
        """Let the health lag see which first results are overdue, until cancelled."""
        while True:
            self.lag.update(anyio.current_time())
            await anyio.sleep(period)

    async def _wait(self, op: Op) -> None:
        started = anyio.current_time()
        self._emit(op, Phase.WAITING, started)
        assert op.condition is not None and op.service is not None  # Plan.add checks it
        try:
            await wait_ready(
                self.engine,
                self._id_of(op),
                op.condition,
                op.service,
                timeout=self.wait_timeout,
                watch=self.watch,
                poll_interval=self.poll_interval,
                saturated=self._saturated,
            )
        except EngineUnavailableError as exc:
            self._lose(op, exc, started)
        except OrchestraError as exc:
            self.lag.forget(op.target)
            self._record(op, Outcome.FAILED, str(exc), started)
        else:
            self.lag.ready(op.target)
            self._record(op, Outcome.DONE, "", started)

    def _lose(self, op: Op, exc: EngineUnavailableError, started: float) -> None:
        """The engine stopped answering: every op after this one would fail the same way."""
        self._record(op, Outcome.FAILED, str(exc), started)
        if self.engine_lost is None:
            self.engine_lost = exc
        self.lost.set()

    async def _call(self, op: Op, started: float) -> str:
        """The op's engine call (ids created are kept by target); a note for the report, or ""."""
        engine, kind = self.engine, op.kind
        if kind is OpKind.PULL_IMAGE:
            progress = self._progress(op, started)
            self.ids[op.target] = await engine.pull_image(op.image or "", progress)
        elif kind is OpKind.BUILD_IMAGE:
            progress = self._progress(op, started)
            self.ids[op.target] = await engine.build_image(typed_spec(op, BuildSpec), progress)
        elif kind is OpKind.CREATE_NETWORK:
            self.ids[op.target] = await engine.create_network(typed_spec(op, NetworkSpec))
        elif kind is OpKind.CREATE_VOLUME:
            self.ids[op.target] = await engine.create_volume(typed_spec(op, VolumeSpec))
        elif kind is OpKind.CREATE_CONTAINER:
            self.ids[op.target] = await engine.create_container(typed_spec(op, ContainerSpec))
        elif kind is OpKind.REMOVE_NETWORK:
            await engine.remove_network(self._id_of(op))
        elif kind is OpKind.REMOVE_VOLUME:
            await engine.remove_volume(self._id_of(op))
        elif kind is OpKind.START_CONTAINER:
            return await self._start(op, started)
        elif kind is OpKind.STOP_CONTAINER:
            await engine.stop_container(self._id_of(op), timeout=op.timeout)
        elif kind is OpKind.RESTART_CONTAINER:
            await engine.restart_container(self._id_of(op), timeout=op.timeout)
        elif kind is OpKind.REMOVE_CONTAINER:
            await engine.remove_container(self._id_of(op), force=op.force, volumes=op.volumes)
        elif kind is OpKind.RENAME_CONTAINER:
            await engine.rename_container(self._id_of(op), op.name or "")
        else:
            raise OrchestraError(f"{kind.value} is not supported by orchestra yet")
        return ""

    async def _start(self, op: Op, started: float) -> str:
        """Start the op's container, or replace it when the engine kept a stale task of it."""
        try:
            await self.engine.start_container(self._id_of(op))
            return ""
        except StaleTaskError:
            if not replaceable(op):
                raise
        self._emit(op, Phase.PROGRESS, started, REPLACING)
        warning = await self.stale.replace(self.engine, op, self.ids)
        self.plan.warn(warning)
        return warning

    def _progress(self, op: Op, started: float) -> ProgressCallback | None:
        """Passes a build's or pull's progress lines on as PROGRESS events of ``op``."""
        if self.sink is None:
            return None
        return lambda line: self._emit(op, Phase.PROGRESS, started, line)

    def _id_of(self, op: Op) -> str:
        if op.engine_id is not None:
            return self.stale.current(op.engine_id)
        try:
            return self.ids[op.target]
        except KeyError:
            raise OrchestraError(f"no engine id is known for {op.target}") from None

    def _emit(self, op: Op, phase: Phase, started: float | None, message: str = "") -> None:
        if self.sink is not None:
            elapsed = 0.0 if started is None else anyio.current_time() - started
            self.sink(OpEvent.of(op, phase, elapsed, message))

    def _record(
        self, op: Op, outcome: Outcome, message: str, started: float | None, emit: bool = True
    ) -> None:
        duration = 0.0 if started is None else anyio.current_time() - started
        self.results[op.id] = OpResult(op, outcome, message, duration)
        self.finished[op.id].set()
        if emit:
            self._emit(op, PHASE_OF[outcome], started, message)

    def report(self, cancelled: bool) -> Report:
        warnings = tuple(self.stale.warnings)
        return Report.of_run(
            self.plan, self.results, self.ids, cancelled, self.engine_lost, warnings
        )


async def execute(
    plan: Plan,
    engine: Engine,
    *,
    limiter_size: int = 8,
    sink: EventSink | None = None,
    wait_timeout: float = 300.0,
    cancel_event: anyio.Event | None = None,
    poll_interval: float = 1.0,
) -> Report:
    """Run every op of ``plan`` on ``engine`` and report how each ended.

    Op failures are data in the report (never raised); ``cancel_event`` stops the run early and
    the report says ``cancelled``. ValueError when ``limiter_size`` < 1.
    """
    if limiter_size < 1:
        raise ValueError("limiter_size must be at least 1")
    run = _Run(plan, engine, limiter_size, sink, wait_timeout, poll_interval)
    async with anyio.create_task_group() as outer:
        if cancel_event is not None:
            outer.start_soon(cancel_when_set, cancel_event, outer.cancel_scope)
        outer.start_soon(cancel_when_set, run.lost, outer.cancel_scope)
        if run.grace:
            outer.start_soon(run.judge_lateness)
        if any(op.kind is OpKind.WAIT_READY for op in plan.ops):
            run.watch = ContainerWatch(engine, plan.project or None)
            await outer.start(run.watch.run)
        async with anyio.create_task_group() as ops:
            for op in plan.ops:
                ops.start_soon(run.run_op, op)
        outer.cancel_scope.cancel()  # the op tasks are done: stop the watch and the canceller
    interrupted = cancel_event is not None and cancel_event.is_set()
    return run.report(cancelled=interrupted and len(run.results) < len(plan))
