"""``orchestra --target swarm watch``: the swarm convergence pass re-run on triggers, and a line
per change of a service's running task count.

Triggers: the engine's events of the project (debounced), a periodic resync, and the start. A
pass is ``reconcile_swarm.converge_swarm`` under the project lock, never a second path; it
prints ``watch.PassRecord``'s line (and appends its JSON with ``events_json``). Swarm itself
reschedules the tasks of a lost node; orchestra's passes repair what Swarm does not (a service
removed or scaled by hand, a changed file is the next ``up``'s business).

The contract line, printed whenever a service's count changes (and for every service at the
start): ``<service>: <running>/<desired> running``, where running counts tasks in state
"running" with desired state "running" (``readiness_swarm.running_count``). Counts are re-read
on every event and every ``poll`` seconds: task state changes on other nodes reach the manager's
event stream as no event at all.

Imports ``reconcile_swarm``, ``readiness_swarm``, ``watch`` (the pass record), engine types and
``anyio``; never ``docker`` or the CLI.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import anyio

from orchestra.engine.swarm_base import SwarmEngine, SwarmObserved
from orchestra.errors import EngineUnavailableError, OrchestraError
from orchestra.execute_swarm import SwarmRunSettings
from orchestra.plan.options import UpOptions
from orchestra.readiness_swarm import running_count
from orchestra.reconcile_swarm import converge_swarm
from orchestra.spec.model import Project
from orchestra.watch import PassLock, PassRecord

__all__ = ["SwarmWatchSettings", "SwarmWatcher", "count_lines", "service_counts"]


@dataclass(frozen=True)
class SwarmWatchSettings:
    """Timings of the loop (seconds) and the metrics file."""

    resync: float = 30.0
    poll: float = 2.0
    debounce: float = 0.5
    reconnect: float = 2.0
    events_json: Path | None = None


def service_counts(observed: SwarmObserved) -> dict[str, tuple[int, int]]:
    """Compose service → (running, desired) tasks."""
    counts = {}
    for service in observed.services:
        tasks = [t for t in observed.tasks if t.service_id == service.id]
        desired = service.replicas
        if desired is None:  # global: one task per eligible node
            desired = len({t.node_id for t in tasks if t.desired_state == "running"})
        counts[service.service or service.name] = (running_count(tasks), desired)
    return counts


def count_lines(before: dict[str, tuple[int, int]], now: dict[str, tuple[int, int]]) -> list[str]:
    """The contract lines for what changed from ``before`` to ``now``, by service name."""
    lines = [
        f"{name}: {running}/{desired} running"
        for name, (running, desired) in sorted(now.items())
        if before.get(name) != (running, desired)
    ]
    lines += [f"{name}: removed" for name in sorted(set(before) - set(now))]
    return lines


class SwarmWatcher:
    """The loop; ``out`` prints one line (the CLI passes a flushing ``print``)."""

    def __init__(
        self,
        project: Project,
        engine: SwarmEngine,
        options: UpOptions,
        run: SwarmRunSettings,
        settings: SwarmWatchSettings,
        lock: PassLock,
        out: Callable[[str], None],
        warnings: list[str],
    ) -> None:
        self.project, self.engine, self.options = project, engine, options
        self.run_settings, self.settings, self.lock, self.out = run, settings, lock, out
        self.warnings = warnings
        self.counts: dict[str, tuple[int, int]] = {}
        self.events = anyio.Event()
        self.passes = 0

    async def run(self) -> None:
        """Converge, report, and repeat on every trigger until cancelled."""
        async with anyio.create_task_group() as group:
            group.start_soon(self._follow_events)
            await self._loop()

    async def _loop(self) -> None:
        trigger: str | None = "start"
        resync_at = anyio.current_time() + self.settings.resync
        while True:
            if trigger is not None:
                await self._pass(trigger)
                if trigger != "events":
                    resync_at = anyio.current_time() + self.settings.resync
            await self._report_counts()
            trigger = None
            timeout = max(0.0, min(self.settings.poll, resync_at - anyio.current_time()))
            with anyio.move_on_after(timeout):
                await self.events.wait()
                await anyio.sleep(self.settings.debounce)  # let the rest of a burst arrive
                trigger = "events"
            self.events = anyio.Event()
            if trigger is None and anyio.current_time() >= resync_at:
                trigger = "resync"

    async def _pass(self, trigger: str) -> None:
        self.passes += 1
        started = anyio.current_time()
        options = self.options if self.passes == 1 else replace(self.options, wait=False)
        ops = failed = 0
        error = ""
        try:
            async with self.lock():
                outcome = await converge_swarm(
                    self.project, self.engine, options, self.run_settings, warnings=[]
                )
            ops = sum(1 for op in outcome.plan.ops if op.kind.mutating)
            failed = len(outcome.report.failed) if outcome.report is not None else 0
        except OrchestraError as exc:
            error = str(exc).splitlines()[0]
        duration = anyio.current_time() - started
        record = PassRecord(self.passes, trigger, "", ops, failed, duration, error)
        self.out(record.line())
        if self.settings.events_json is not None:
            with self.settings.events_json.open("a", encoding="utf-8") as handle:
                handle.write(record.to_json(datetime.now(UTC)) + "\n")

    async def _report_counts(self) -> None:
        try:
            observed = await self.engine.observe_swarm(self.project.name)
        except EngineUnavailableError as exc:
            self.out(f"engine unavailable: {exc}")
            return
        now = service_counts(observed)
        for line in count_lines(self.counts, now):
            self.out(line)
        self.counts = now

    async def _follow_events(self) -> None:
        """Wake the loop on every event of the project; reconnect when the stream ends."""
        while True:
            with contextlib.suppress(OrchestraError, NotImplementedError):
                async with self.engine.events(self.project.name) as stream:
                    async for _event in stream:
                        self.events.set()
            await anyio.sleep(self.settings.reconnect)
