"""The throttle: the health-lag window (AIMD) and the priority gate; then the executor using
both on the fake engine (late first health results narrow the concurrent engine calls)."""

from __future__ import annotations

import anyio
import pytest

from orchestra.engine.base import ContainerSpec, HealthSpec, ReadyCondition
from orchestra.engine.fake import MUTATING, FakeBehaviour, FakeEngine
from orchestra.execute import execute
from orchestra.plan.ops import OpKind, Plan
from orchestra.throttle import HealthLag, PriorityGate, health_grace

LABELS = {"com.docker.compose.project": "p"}


def test_a_late_first_result_halves_the_window_once() -> None:
    lag = HealthLag(limit=16)
    lag.started("a", now=0.0, grace=2.0)  # due at 3.0 with the default 1 s slack
    assert lag.update(2.9) == 16
    assert lag.update(3.1) == 8
    assert lag.update(9.0) == 8, "the same late container cuts only once"
    assert lag.late == {"a"}
    lag.ready("a", now=9.5)
    assert lag.update(10.0) == 8, "a late result does not widen the window"
    assert lag.late == frozenset()


def test_timely_results_widen_the_window_by_one_up_to_the_limit() -> None:
    lag = HealthLag(limit=4, floor=1)
    for key in "abc":
        lag.started(key, now=0.0, grace=0.5)
    assert lag.update(2.0) == 1  # 4 -> 2 -> 1 -> floor
    for n, key in enumerate("xyzuv"):
        lag.started(key, now=3.0, grace=1.0)
        lag.ready(key, now=4.0)
        assert lag.update(4.0) == min(4, 2 + n)


def test_saturation_needs_several_late_containers_and_fades() -> None:
    lag = HealthLag(limit=8)
    lag.started("slow-app", now=0.0, grace=1.0)
    lag.update(5.0)
    assert not lag.saturated(5.0), "one late container may be a slow app"
    lag.started("b", now=0.0, grace=1.0)
    lag.update(6.0)
    lag.ready("b", now=7.0)
    assert lag.saturated(7.0), "turning ready later does not undo the lateness"
    assert not lag.saturated(40.0), "an old episode is forgotten"
    lag.started("c", now=0.0, grace=1.0)
    lag.update(50.0)
    assert lag.saturated(90.0), "slow-app and c are still overdue, however long ago"


def test_forgotten_containers_are_never_judged() -> None:
    lag = HealthLag(limit=8)
    lag.started("a", now=0.0, grace=1.0)
    lag.forget("a")
    assert lag.update(100.0) == 8
    lag.ready("a", now=100.0)  # an unknown key changes nothing
    assert lag.update(100.0) == 8


def test_a_window_needs_a_sane_floor() -> None:
    with pytest.raises(ValueError, match="floor"):
        HealthLag(limit=2, floor=3)
    with pytest.raises(ValueError, match="window"):
        PriorityGate(0)


@pytest.mark.anyio
async def test_the_gate_admits_by_priority_then_in_arrival_order() -> None:
    gate = PriorityGate(1)
    order: list[str] = []
    release = anyio.Event()

    async def holder() -> None:
        async with gate.slot((0, 0)):
            await release.wait()

    async def call(name: str, priority: tuple[int, int]) -> None:
        async with gate.slot(priority):
            order.append(name)

    async with anyio.create_task_group() as tg:
        tg.start_soon(holder)
        await anyio.sleep(0.01)
        for name, priority in [("create1", (2, 1)), ("start9", (0, 9)), ("create2", (2, 2))]:
            tg.start_soon(call, name, priority)
            await anyio.sleep(0.01)
        tg.start_soon(call, "start5", (0, 5))
        await anyio.sleep(0.01)
        release.set()
    assert order == ["start5", "start9", "create1", "create2"]
    assert gate.busy == 0


@pytest.mark.anyio
async def test_the_gate_resizes_under_load_and_survives_cancelled_waiters() -> None:
    gate = PriorityGate(3)
    peak = 0
    gate.resize(1)

    async def call() -> None:
        nonlocal peak
        async with gate.slot((1, 0)):
            peak = max(peak, gate.busy)
            await anyio.sleep(0.02)

    with anyio.move_on_after(0.01):
        await call()  # cancelled while it holds the slot: the slot comes back
    async with anyio.create_task_group() as tg:
        with anyio.CancelScope() as doomed:
            tg.start_soon(call)
            tg.start_soon(call)
        doomed.cancel()
        for _ in range(6):
            tg.start_soon(call)
    assert peak == 1 and gate.busy == 0
    gate.resize(3)
    async with anyio.create_task_group() as tg:
        for _ in range(6):
            tg.start_soon(call)
    assert peak == 3 and gate.busy == 0


def _health_service(plan: Plan, name: str, after: list[int], grace: float) -> tuple[int, int]:
    """CREATE + START (after ``after``) + WAIT healthy; returns (START id, WAIT id)."""
    target = f"container:{name}:1"
    check = HealthSpec(("CMD", "true"), interval=grace / 2, timeout=grace / 2)
    spec = ContainerSpec(
        name=f"p-{name}-1",
        image="busybox",
        labels={**LABELS, "com.docker.compose.service": name},
        healthcheck=check,
    )
    created = plan.add(OpKind.CREATE_CONTAINER, target, "not found", spec=spec)
    started = plan.add(OpKind.START_CONTAINER, target, "new container", [created, *after])
    waited = plan.add(
        OpKind.WAIT_READY,
        target,
        "--wait",
        [started],
        condition=ReadyCondition.HEALTHY,
        service=name,
    )
    return started, waited


def _peak_overlap(engine: FakeEngine, since: float, length: float) -> int:
    """The most mutating calls in flight at once among those begun after ``since``."""
    times = [
        t
        for t, (m, _) in zip(engine.call_times, engine.calls, strict=True)
        if t >= since and m in MUTATING
    ]
    return max((sum(1 for u in times if t <= u < t + length) for t in times), default=0)


async def _run_stack(slow_health: float) -> tuple[FakeEngine, float]:
    """Two ``slow`` services whose health comes after ``slow_health`` s (due within about
    1.4 s: each late one halves the window 8 -> 4 -> 2, ``gate`` on time widens it to 3), and
    eight services held back until ``gate`` turns healthy at 2.5 s; returns when they began."""
    behaviours = {s: FakeBehaviour(healthy_after=slow_health) for s in ("slow", "slow2")}
    behaviours["gate"] = FakeBehaviour(healthy_after=2.5)
    # Healthy only after all eight started, so none widens the window during their starts.
    behaviours |= {f"late{n}": FakeBehaviour(healthy_after=1.0) for n in range(8)}
    engine = FakeEngine(behaviours=behaviours, call_delay=0.1)
    plan = Plan(project="p")
    _health_service(plan, "slow", [], grace=0.2)
    _health_service(plan, "slow2", [], grace=0.2)
    _, gate_ready = _health_service(plan, "gate", [], grace=4.0)
    for n in range(8):
        _health_service(plan, f"late{n}", [gate_ready], grace=4.0)
    assert set(health_grace(plan)) == {f"container:{s}:1" for s in ("slow", "slow2", "gate")} | {
        f"container:late{n}:1" for n in range(8)
    }
    begun = anyio.current_time()
    report = await execute(plan, engine, limiter_size=8)
    assert report.ok, report.failure_lines()
    return engine, begun + 2.5


@pytest.mark.anyio
async def test_a_late_health_result_narrows_the_executor_s_engine_calls() -> None:
    engine, gated = await _run_stack(slow_health=4.0)  # due by about 1.4 s: late
    assert _peak_overlap(engine, gated, 0.09) <= 3
    engine, gated = await _run_stack(slow_health=0.05)  # on time: the full window
    assert _peak_overlap(engine, gated, 0.09) == 8
