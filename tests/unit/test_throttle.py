"""The throttle: the health lag (overdue first results, saturation) and the priority gate;
then the executor using both on the fake engine."""

from __future__ import annotations

import anyio
import pytest

from orchestra.engine.base import ContainerSpec, HealthSpec, ReadyCondition
from orchestra.engine.fake import FakeBehaviour, FakeEngine
from orchestra.execute import execute
from orchestra.plan.ops import OpKind, Plan
from orchestra.throttle import HealthLag, PriorityGate, health_grace, priorities

LABELS = {"com.docker.compose.project": "p"}


def test_a_result_is_overdue_after_interval_timeout_and_slack() -> None:
    lag = HealthLag()
    lag.started("a", now=0.0, grace=2.0)  # due at 3.0 with the default 1 s slack
    assert lag.overdue(2.9) == frozenset()
    assert lag.overdue(3.1) == {"a"}
    lag.ready("a")
    assert lag.overdue(3.1) == frozenset()


def test_saturation_needs_several_late_containers_and_lasts_the_run() -> None:
    lag = HealthLag()
    lag.started("slow-app", now=0.0, grace=1.0)
    lag.update(5.0)
    assert not lag.saturated(), "one late container may be a slow app"
    lag.started("b", now=0.0, grace=1.0)
    lag.update(6.0)
    lag.ready("b")
    assert lag.saturated(), "turning ready later does not undo the lateness"
    lag.ready("slow-app")
    lag.update(500.0)
    assert lag.saturated(), "the probes that outran the engine still run"


def test_forgotten_containers_are_never_judged() -> None:
    lag = HealthLag()
    for key in "ab":
        lag.started(key, now=0.0, grace=1.0)
        lag.forget(key)  # its start or its wait failed
    lag.update(100.0)
    assert lag.overdue(100.0) == frozenset() and not lag.saturated()


def test_a_gate_needs_a_window() -> None:
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
async def test_the_gate_caps_calls_and_survives_cancelled_waiters() -> None:
    gate = PriorityGate(1)
    peak = 0

    async def call() -> None:
        nonlocal peak
        async with gate.slot((1, 0, 0)):
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


def test_starts_deepest_in_the_graph_go_first() -> None:
    """A start with two layers of dependents queued behind it outranks a leaf's start, which
    outranks a create; among equals, plan order."""
    plan = Plan()
    leaf, _ = _health_service(plan, "leaf", [], grace=2.0)
    root, root_ready = _health_service(plan, "root", [], grace=2.0)
    mid, mid_ready = _health_service(plan, "mid", [root_ready], grace=2.0)
    top, _ = _health_service(plan, "top", [mid_ready], grace=2.0)
    other, _ = _health_service(plan, "other", [], grace=2.0)
    rank = priorities(plan)
    starts = [op.id for op in plan.ops if op.kind is OpKind.START_CONTAINER]
    assert sorted(starts, key=rank.__getitem__) == [root, mid, leaf, top, other]
    creates = [op.id for op in plan.ops if op.kind is OpKind.CREATE_CONTAINER]
    assert max(rank[s] for s in starts) < min(rank[c] for c in creates)


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


def _starts_between(engine: FakeEngine, since: float, until: float, prefix: str) -> int:
    """START calls of containers named ``<prefix>...`` begun in [since, until)."""
    names = {ident: c.name for ident, c in engine.containers.items()}
    return sum(
        1
        for t, (method, args) in zip(engine.call_times, engine.calls, strict=True)
        if method == "start_container"
        and since <= t < until
        and names.get(str(args[0]), "").startswith(prefix)
    )


async def _run_stack(slow_health: float) -> tuple[FakeEngine, float]:
    """Two ``slow`` services whose health comes after ``slow_health`` s (due within about
    1.4 s), ``gate`` healthy at 2.5 s, and eight services that depend on ``gate``, each healthy
    1 s after its start; returns when ``gate`` turns healthy."""
    behaviours = {s: FakeBehaviour(healthy_after=slow_health) for s in ("slow", "slow2")}
    behaviours["gate"] = FakeBehaviour(healthy_after=2.5)
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
async def test_late_health_results_do_not_hold_back_starts() -> None:
    """Holding starts while results came late only delayed the last layers on the real
    100-service health stack (272 s against 127 s, docs/benchmarks.md): dependents start as
    soon as their dependency is ready, late results elsewhere or not."""
    engine, gated = await _run_stack(slow_health=4.0)  # slow, slow2 overdue from about 1.4 s
    assert _starts_between(engine, gated, gated + 0.9, "p-late") == 8
