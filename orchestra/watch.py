"""``orchestra watch``: re-run the one convergence pass whenever something may have drifted.

Design §1: watch is ``reconcile.converge`` (observe → plan → execute) re-run on every trigger,
never a second path. Triggers (``watch_triggers``) only trigger: engine events of the project,
a change of the compose files or ``.env``, and the loop's timers: the periodic resync, the end
of a crash-loop backoff, a retry after a failed pass (1 s, 2 s, 4 s, …), and a second look
``confirm`` seconds after a container died (the engine sends ``die`` before its list call shows
the container stopped, so the first pass may still see it running).

Bursts coalesce: the loop waits ``debounce`` seconds after the first trigger, then takes every
trigger fired so far as one batch. Exactly one pass runs at a time; a trigger that arrives during
a pass makes one more pass after it; the hook ``lock`` (the per-project lock) is held around
each pass's converge. A pass after a file change first reloads the files; a load that fails is
reported and the last good project stays in force. Passes after the first drop one-time requests
(``steady``: ``--force-recreate``, ``--build``, ``--pull always``, ``--wait``).

What the planner cannot see in the engine's state comes from the event history, as
``HealHints`` (rules in ``plan.heal``): services held by their crash-loop backoff (``backoff``),
containers that completed (not started again), services restarted outside orchestra.

Every pass prints one line (trigger, operations, failures, duration) and, with ``events_json``,
appends it as a JSON line ``{time, trigger, ops, failed, duration_s}`` (plus ``error`` when the
pass could not run). Imports ``reconcile``, ``plan``, ``graph``, ``engine.base``, ``anyio``;
never ``docker`` or the CLI.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import anyio

from orchestra.backoff import Backoff, BackoffPolicy
from orchestra.engine.base import ContainerStatus, Engine, EngineEvent
from orchestra.errors import OrchestraError, SpecError, UsageError
from orchestra.events import OpEvent, Phase
from orchestra.plan.heal import HEAL_UNHEALTHY, restart_owned
from orchestra.plan.ops import OpKind
from orchestra.plan.options import HealHints, UpOptions
from orchestra.reconcile import Outcome, RunSettings, converge
from orchestra.spec.model import Project
from orchestra.watch_triggers import (
    TRIGGER_ACTIONS,
    Batch,
    ContainerHistory,
    Ending,
    FileWatch,
    Triggers,
    follow_engine,
    poll_files,
)

__all__ = ["PassLock", "PassRecord", "WatchSettings", "Watcher", "drive", "steady"]

# The hook for the per-project lock (issue 5 item 4): entered around every pass's converge.
PassLock = Callable[[], AbstractAsyncContextManager[object]]
Loader = Callable[[], Project]
_STARTS = (OpKind.START_CONTAINER, OpKind.RESTART_CONTAINER)
_DYING = frozenset({"die", "kill", "oom"})


@dataclass(frozen=True)
class WatchSettings:
    """Timings of the loop (seconds), the metrics file and the crash-loop backoff."""

    resync: float = 30.0
    debounce: float = 0.3
    file_poll: float = 0.5
    reconnect: float = 2.0
    confirm: float = 2.0  # a second look this long after a container died
    events_json: Path | None = None
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)

    def __post_init__(self) -> None:
        if self.resync <= 0 or self.file_poll <= 0 or self.reconnect <= 0 or self.debounce < 0:
            raise UsageError("watch intervals must be positive (--resync SECONDS > 0)")


@dataclass(frozen=True)
class PassRecord:
    """The metrics of one pass."""

    number: int
    trigger: str
    detail: str
    ops: int  # engine mutations planned (readiness waits not counted)
    failed: int  # operations that failed
    duration_s: float
    error: str = ""  # why the pass could not plan or run at all

    def line(self) -> str:
        """``pass 3 [events] 4 ops, 0 failed, 1.20 s (web-1 die)``."""
        text = f"pass {self.number} [{self.trigger}] {self.ops} ops, {self.failed} failed, "
        text += f"{self.duration_s:.2f} s"
        if self.detail:
            text += f" ({self.detail})"
        return text + (f": error: {self.error}" if self.error else "")

    def to_json(self, at: datetime) -> str:
        """The JSON line of the metrics file (``error`` only when there was one)."""
        data: dict[str, object] = {
            "time": at.isoformat(timespec="milliseconds"),
            "trigger": self.trigger,
            "ops": self.ops,
            "failed": self.failed,
            "duration_s": round(self.duration_s, 3),
        }
        if self.error:
            data["error"] = self.error
        return json.dumps(data, sort_keys=True)


async def drive(
    triggers: Triggers,
    run_pass: Callable[[Batch], Awaitable[object]],
    next_timer: Callable[[], tuple[float, str]],
    debounce: float,
) -> None:
    """The loop: wait for a trigger (or the next timer), let the burst settle, run one pass.

    Passes never overlap: triggers fired during a pass wait in ``triggers`` and become the
    next batch, so any number of them makes exactly one more pass. Runs until cancelled.
    """
    while True:
        deadline, why = next_timer()
        if not await triggers.wait(deadline - anyio.current_time()):
            triggers.fire(why)
        await anyio.sleep(debounce)  # let the rest of a burst arrive
        await run_pass(triggers.take())


def steady(options: UpOptions) -> UpOptions:
    """The options of every pass after the first: one-time requests are done by then.

    ``--force-recreate``, ``--build``, ``--pull always`` and ``--wait`` would otherwise act again
    on every trigger.
    """
    pull = None if options.pull == "always" else options.pull
    return replace(options, force_recreate=False, build=False, pull=pull, wait=False)


def _ids_started(outcome: Outcome) -> list[str]:
    """Engine ids of the containers the pass started or restarted (their start events)."""
    if outcome.report is None:
        return []
    found = []
    for result in outcome.report.done:
        op = result.op
        if op.kind in _STARTS:
            ident = op.engine_id or outcome.report.ids.get(op.target)
            if ident:
                found.append(ident)
    return found


class Watcher:
    """One watched project: the trigger sources, the loop, and what it learnt so far."""

    def __init__(
        self,
        project: Project,
        engine: Engine,
        options: UpOptions,
        run: RunSettings,
        settings: WatchSettings = WatchSettings(),
        *,
        load: Loader | None = None,
        paths: Sequence[Path] = (),
        lock: PassLock | None = None,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.project = project
        self.engine = engine
        self.options = options
        self.settings = settings
        self.triggers = Triggers()
        self.history = ContainerHistory()
        self.backoff = Backoff(settings.backoff)
        self.records: list[PassRecord] = []
        self._run = replace(run, sink=self._sink)
        self._user_sink = run.sink
        self._load = load
        self._env_paths = [p for p in paths if p not in project.files]
        self._files = FileWatch(paths)
        self._lock = lock
        self._out = out or sys.stdout
        self._err = err or sys.stderr
        self._last_pass = 0.0
        self._failed_passes = 0  # consecutive passes with a failure or an error
        self._confirm_at: float | None = None
        self._unknown_history = True  # until the first pass, and after the stream was lost
        self._stream_down: str | None = None
        self._warned: set[str] = set()
        self._volumes_before: frozenset[str] = frozenset()

    async def run(self) -> None:
        """Watch until cancelled: the first pass at once, then one per batch of triggers."""
        async with anyio.create_task_group() as group:
            await group.start(
                follow_engine,
                self.engine,
                self.project.name,
                self._on_event,
                self._on_stream,
                self.settings.reconnect,
            )
            if self._files.paths:
                group.start_soon(poll_files, self._files, self.triggers, self.settings.file_poll)
            self.triggers.fire("start")
            await drive(self.triggers, self.run_pass, self._next_timer, self.settings.debounce)

    def _next_timer(self) -> tuple[float, str]:
        """When the loop must run a pass by itself, and why: a backoff ends, a failed pass is
        retried (1 s, 2 s, 4 s, … after consecutive failed passes), or the periodic resync."""
        timers = [(self._last_pass + self.settings.resync, "resync")]
        release = self.backoff.next_release(anyio.current_time())
        if release is not None:
            timers.append((release, "backoff"))
        if self._confirm_at is not None:
            timers.append((self._confirm_at, "confirm"))
        if self._failed_passes:
            # A failure may come from a state read a moment too early (the engine reports
            # ``die`` before its list call shows the container stopped): look again soon.
            delay = min(self.settings.resync, 2.0 ** min(self._failed_passes - 1, 16))
            timers.append((self._last_pass + delay, "retry"))
        return min(timers)

    async def run_pass(self, batch: Batch) -> PassRecord:
        """One pass for ``batch``: reload when files changed, converge, publish the metrics."""
        began = anyio.current_time()
        if self._confirm_at is not None and began >= self._confirm_at:
            self._confirm_at = None
        if batch.has("files"):
            self._reload()
        ops, failed, error = 0, 0, ""
        try:
            outcome = await self._converge(began)
        except OrchestraError as exc:
            error = str(exc)
        else:
            ops = sum(1 for op in outcome.plan.ops if op.kind.mutating)
            failed = len(outcome.report.failed) if outcome.report is not None else 0
            self._after(outcome)
        self._last_pass = anyio.current_time()
        self._failed_passes = self._failed_passes + 1 if failed or error else 0
        record = PassRecord(
            number=len(self.records) + 1,
            trigger=batch.trigger,
            detail=", ".join(batch.details),
            ops=ops,
            failed=failed,
            duration_s=self._last_pass - began,
            error=error,
        )
        self._publish(record)
        return record

    async def _converge(self, now: float) -> Outcome:
        if self._unknown_history:
            await self._classify_stopped()
        hints = HealHints(
            hold=self.backoff.held(now) & frozenset(self.project.services),
            completed=self.history.completed,
            restarted=self.history.take_restarted(),
        )
        options = replace(self.options if not self.records else steady(self.options), heal=hints)
        lock = self._lock() if self._lock is not None else contextlib.nullcontext()
        async with lock:
            return await converge(self.project, self.engine, options, self._run)

    async def _classify_stopped(self) -> None:
        """Stopped containers whose end the watch did not see: exit 0 counts as completed."""
        observed = await self.engine.observe(self.project.name)
        done = []
        for container in observed.containers:
            if container.status is ContainerStatus.EXITED:
                state = await self.engine.inspect_container(container.id)
                if state.status is ContainerStatus.EXITED and state.exit_code == 0:
                    done.append(container.id)
        self.history.assume_completed(done)
        self._unknown_history = False

    def _after(self, outcome: Outcome) -> None:
        self.history.expect_starts(_ids_started(outcome))
        self._volumes_before = frozenset(self.project.volumes)
        for warning in outcome.plan.warnings:
            if warning not in self._warned:
                self._warned.add(warning)
                self._say(f"warning: {warning}", self._err)
        if outcome.report is not None:
            for line in outcome.report.failure_lines():
                self._say(f"failed: {line}", self._err)

    def _reload(self) -> None:
        """Load the files again; on any problem keep the last good project and say why."""
        if self._load is None:
            return
        try:
            project = self._load()
        except SpecError as exc:
            message = "the compose files are invalid; the last good version stays in force"
            self._say(f"error: {message}:\n{exc}", self._err)
            return
        if project.name != self.project.name:
            message = f"the project name changed to {project.name}; still watching "
            self._say(f"error: {message}{self.project.name} (restart watch to switch)", self._err)
            return
        self.project = project
        self._files.track([*project.files, *self._env_paths])
        self.backoff.forget(set(project.services))
        self._say("reloaded the compose files")

    def _on_event(self, event: EngineEvent) -> None:
        if event.type != "container" or event.action not in TRIGGER_ACTIONS:
            return
        ending = self.history.note(event)
        name = event.attributes.get("name") or event.id[:12]
        self.triggers.fire("events", f"{name} {event.action}")
        if event.action in _DYING:
            # The engine reports ``die`` before its list call shows the container stopped (it
            # cleans up first; seconds under load): the pass it triggers may see it running.
            self._confirm_at = anyio.current_time() + self.settings.confirm
        if ending is not None:
            self._judge(ending)

    def _judge(self, ending: Ending) -> None:
        """Feed a crash (or an unhealthy run of a service that opted in) to the backoff."""
        service = self.project.services.get(ending.service)
        if service is None:
            return
        crashed = ending.kind == "crashed" and not restart_owned(service)
        unhealthy = ending.kind == "unhealthy" and service.heal == HEAL_UNHEALTHY
        if crashed or unhealthy:
            crash = self.backoff.crashed(service.name, ending.ran_for, anyio.current_time())
            self._say(crash.message(ending.reason))

    def _on_stream(self, problem: str | None) -> None:
        if problem is None:
            if self._stream_down is not None:
                self._say("engine event stream is back; resyncing")
                self._unknown_history = True  # events may have been missed meanwhile
                self.triggers.fire("resync", "event stream back")
            self._stream_down = None
        elif self._stream_down is None:
            self._stream_down = problem
            self._say(f"warning: lost the engine event stream ({problem}); retrying", self._err)

    def _sink(self, event: OpEvent) -> None:
        """The progress sink, plus the warning when a volume that existed is created again."""
        if self._user_sink is not None:
            self._user_sink(event)
        if event.kind is OpKind.CREATE_VOLUME and event.phase is Phase.DONE:
            key = event.target.partition(":")[2]
            if key in self._volumes_before:
                message = f"volume {key} was removed: created it again, empty"
                self._say(f"warning: {message} (the data it held is gone)", self._err)

    def _publish(self, record: PassRecord) -> None:
        self.records.append(record)
        self._say(record.line())
        path = self.settings.events_json
        if path is not None:
            try:
                with path.open("a", encoding="utf-8") as sink:
                    sink.write(record.to_json(datetime.now(UTC)) + "\n")
            except OSError as exc:
                self._say(f"warning: cannot write {path}: {exc}", self._err)

    def _say(self, text: str, stream: TextIO | None = None) -> None:
        print(text, file=stream or self._out, flush=True)
