"""Engine calls admitted by priority, through a window that shrinks when healthchecks lag.

Healthchecks run as execs inside the engine. On a small machine a burst of creates and starts
starves them: first probes time out, and a container that would be healthy turns unhealthy
(compose fails the 100-service health stack of issue 6 this way). So the executor tells
``HealthLag`` when a container whose health it waits for starts and when it turns ready;
``HealthLag`` expects the first result within the check's interval + timeout (+ slack) and
halves the window of concurrent mutating engine calls once for every container that misses it,
widening it by one for every container that makes it (additive increase, multiplicative
decrease, like TCP's congestion window). ``PriorityGate`` admits calls up to that window,
the most urgent first (a start that unblocks dependents before a create needed later).

``HealthLag`` is pure (the clock is passed in); ``PriorityGate`` uses anyio; ``priority`` and
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
from orchestra.plan.ops import Op, OpKind, Plan

__all__ = ["HealthLag", "PriorityGate", "health_grace", "priority"]

Priority = tuple[int, int]

# Which waiting call gets a free slot first (lower first; op id breaks ties): a start unblocks
# dependents now, a create is needed only later. Unlisted kinds rank 1.
_RANK: Mapping[OpKind, int] = MappingProxyType(
    {OpKind.START_CONTAINER: 0, OpKind.RESTART_CONTAINER: 0, OpKind.CREATE_CONTAINER: 2}
)
_DEFAULT_CHECK_SECONDS = 30.0  # the engine's interval and timeout when a healthcheck sets none


def priority(op: Op) -> Priority:
    """The gate priority of ``op``'s engine call."""
    return (_RANK.get(op.kind, 1), op.id)


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
    """The window of concurrent mutating calls, judged by how late health results come.

    ``started(key, now, grace)`` when a watched container started (``grace``: its check's
    interval + timeout), ``ready(key, now)`` when it turned ready, ``forget(key)`` when its wait
    ended otherwise; ``update(now)`` returns the window to use now.
    """

    limit: int
    floor: int = 1
    slack: float = 1.0  # event delivery and scheduling delays that are not the engine's fault
    window: int = field(init=False)
    _due: dict[str, float] = field(default_factory=dict, init=False)
    _late: set[str] = field(default_factory=set, init=False)
    _went_late: dict[str, float] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.floor <= self.limit:
            raise ValueError("a window needs 1 <= floor <= limit")
        self.window = self.limit

    def started(self, key: str, now: float, grace: float) -> None:
        """``key`` started at ``now``; its first health result is due within ``grace`` s."""
        self._due[key] = now + grace + self.slack
        self._late.discard(key)

    def ready(self, key: str, now: float) -> None:
        """``key`` turned ready at ``now``: a timely result widens the window by one."""
        due = self._due.pop(key, None)
        late = key in self._late
        self._late.discard(key)
        if due is not None and not late and now <= due:
            self.window = min(self.limit, self.window + 1)

    def forget(self, key: str) -> None:
        """Stop judging ``key`` (its wait failed or was cancelled)."""
        self._due.pop(key, None)
        self._late.discard(key)

    def update(self, now: float) -> int:
        """The window now: halved once for each container that newly missed its due time."""
        for key, due in self._due.items():
            if due < now and key not in self._late:
                self._late.add(key)
                self._went_late[key] = now
                self.window = max(self.floor, self.window // 2)
        return self.window

    def saturated(self, now: float, memory: float = 30.0, several: int = 2) -> bool:
        """Whether ``several`` containers are overdue now or went late within the last
        ``memory`` seconds: the engine, not one service, is too slow (one late container may
        just be a slow app). Those that turned ready since count: their checks timed out all
        the same; those still overdue count however long ago their result was due."""
        recent = {key for key, at in self._went_late.items() if now - at <= memory}
        return len(recent | self._late) >= several

    @property
    def late(self) -> frozenset[str]:
        """The containers whose first health result is overdue."""
        return frozenset(self._late)


class _Ticket:
    def __init__(self) -> None:
        self.event = anyio.Event()
        self.granted = False
        self.abandoned = False


class PriorityGate:
    """Like a ``CapacityLimiter``, but waiters get in lowest ``priority`` first (ties: FIFO)
    and the capacity (``window``) can change while calls are in flight."""

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

    def resize(self, window: int) -> None:
        """Admit up to ``window`` calls from now on (calls in flight are never interrupted)."""
        self._window = max(1, window)
        self._admit()

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
