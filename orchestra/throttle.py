"""Engine calls admitted by priority, and how late first health results come.

``PriorityGate`` admits engine calls up to a fixed window, the most urgent first: a start that
unblocks dependents before a create needed later, and among starts the one with the longest
chain of dependents behind it (``priorities``), so the critical path of a layered stack moves
first. ``HealthLag`` watches the first health result of every container the plan waits on and
says when the engine is saturated: healthchecks run as execs inside the engine, each costing
it tens of milliseconds of CPU, so on two cores fifty 1 s probes a second are about all it can
run, and past that probes time out although the services are fine (compose fails the
100-service health stack of issue 6 this way). Starts are not held back: measured on that
stack, holding them while results were late only delayed the last layers (272 s against
127 s), because the probes of the containers already running saturate the CPU by themselves.

``HealthLag`` is pure (the clock is passed in); ``PriorityGate`` uses anyio; ``priorities`` and
``health_grace`` read a plan. Imports ``plan.ops``, ``engine.base`` and anyio; never ``docker``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

import anyio

from orchestra.engine.base import ContainerSpec, ReadyCondition
from orchestra.plan.ops import OpKind, Plan

__all__ = ["HealthLag", "PriorityGate", "health_grace", "priorities"]

Priority = tuple[int, int, int]

# Which waiting call gets a free slot first (lower first; ``priorities`` breaks ties): a start
# unblocks dependents now, a create is needed only later. Unlisted kinds rank 1.
_RANK: Mapping[OpKind, int] = MappingProxyType(
    {OpKind.START_CONTAINER: 0, OpKind.RESTART_CONTAINER: 0, OpKind.CREATE_CONTAINER: 2}
)
_DEFAULT_CHECK_SECONDS = 30.0  # the engine's interval and timeout when a healthcheck sets none


def priorities(plan: Plan) -> dict[int, Priority]:
    """Gate priorities of every op of ``plan``: by kind, then the longest chain of starts that
    waits on the op (the critical path first: the start that the most layers of dependents are
    queued behind goes before a leaf's), then plan order."""
    height: dict[int, int] = {}
    # Deps always have smaller ids than their dependents (``Plan.add``): one pass backwards.
    for op in reversed(plan.ops):
        mine = height.get(op.id, 0) + (op.kind is OpKind.START_CONTAINER)
        height[op.id] = mine
        for dep in op.deps:
            height[dep] = max(height.get(dep, 0), mine)
    return {op.id: (_RANK.get(op.kind, 1), -height[op.id], op.id) for op in plan.ops}


def health_grace(plan: Plan) -> dict[str, float]:
    """Per container target the plan waits on to be healthy and creates with a healthcheck:
    the seconds by which its first health result is due (interval + timeout)."""
    waited = {
        op.target
        for op in plan.ops
        if op.kind is OpKind.WAIT_READY and op.condition is ReadyCondition.HEALTHY
    }
    grace: dict[str, float] = {}
    for op in plan.ops:
        check = op.spec.healthcheck if isinstance(op.spec, ContainerSpec) else None
        if op.target in waited and check is not None and check.test[:1] != ("NONE",):
            interval = check.interval or _DEFAULT_CHECK_SECONDS
            grace[op.target] = interval + (check.timeout or _DEFAULT_CHECK_SECONDS)
    return grace


@dataclass
class HealthLag:
    """Which watched containers' first health results are overdue, and whether several were.

    ``started(key, now, grace)`` once a watched container started (``grace``: its check's
    interval + timeout), ``ready(key)`` when it turned ready, ``forget(key)`` when its wait
    ended otherwise; ``update(now)`` remembers the results overdue by then.
    """

    slack: float = 1.0  # event delivery and scheduling delays that are not the engine's fault
    several: int = 2  # late containers that say the engine, not one app, is slow
    _due: dict[str, float] = field(default_factory=dict, init=False)
    _went_late: set[str] = field(default_factory=set, init=False)

    def started(self, key: str, now: float, grace: float) -> None:
        """``key`` started at ``now``; its first health result is due within ``grace`` s."""
        self._due[key] = now + grace + self.slack

    def ready(self, key: str) -> None:
        """``key`` turned ready (or its wait ended otherwise): it is no longer awaited."""
        self._due.pop(key, None)

    forget = ready

    def overdue(self, now: float) -> frozenset[str]:
        """The containers whose first health result is overdue at ``now``."""
        return frozenset(key for key, due in self._due.items() if due < now)

    def update(self, now: float) -> None:
        """Remember the containers whose first result is overdue at ``now``."""
        self._went_late |= self.overdue(now)

    def saturated(self) -> bool:
        """Whether ``several`` containers' first health results have come late at any time in
        this run: the engine, not one service, is too slow (one late container may just be a
        slow app). It stays so for the run: once a hundred 1 s probes outrun two cores, they
        go on outrunning them after the last start (issue 6: a steady state of 100 such
        containers keeps a quarter of them ``unhealthy`` from timeouts alone)."""
        return len(self._went_late) >= self.several


class _Ticket:
    def __init__(self) -> None:
        self.event = anyio.Event()
        self.granted = False
        self.abandoned = False


class PriorityGate:
    """Like a ``CapacityLimiter``, but waiters get in lowest ``priority`` first (ties: FIFO)."""

    def __init__(self, window: int) -> None:
        if window < 1:
            raise ValueError("a gate needs a window of at least 1")
        self._window = window
        self._busy = 0
        self._queue: list[tuple[Priority, int, _Ticket]] = []
        self._order = itertools.count()

    @property
    def window(self) -> int:
        return self._window

    @property
    def busy(self) -> int:
        """Calls admitted and not yet finished."""
        return self._busy

    @asynccontextmanager
    async def slot(self, priority: Priority) -> AsyncIterator[None]:
        """Hold one of the window's slots for the duration of the block."""
        await self._acquire(priority)
        try:
            yield
        finally:
            self._busy -= 1
            self._admit()

    async def _acquire(self, priority: Priority) -> None:
        if self._busy < self._window and not self._queue:
            self._busy += 1
            return
        ticket = _Ticket()
        heapq.heappush(self._queue, (priority, next(self._order), ticket))
        self._admit()  # abandoned tickets may be all that stood in the way
        try:
            await ticket.event.wait()
        except BaseException:
            if ticket.granted:  # admitted just as it was cancelled: hand the slot on
                self._busy -= 1
                self._admit()
            ticket.abandoned = True
            raise

    def _admit(self) -> None:
        while self._queue and self._busy < self._window:
            _, _, ticket = heapq.heappop(self._queue)
            if ticket.abandoned:
                continue
            ticket.granted = True
            self._busy += 1
            ticket.event.set()
