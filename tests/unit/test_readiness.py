"""Readiness: the judgement table, engine timestamps, and waits woken by events or polling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import anyio
import pytest

from orchestra.engine.base import (
    ContainerSpec,
    ContainerState,
    ContainerStatus,
    EngineEvent,
    HealthSpec,
    HealthStatus,
    ReadyCondition,
)
from orchestra.engine.fake import FakeBehaviour, FakeEngine
from orchestra.errors import EngineError
from orchestra.readiness import (
    ContainerWatch,
    ReadinessFailed,
    Verdict,
    judge,
    rfc3339_from_ns,
    rfc3339_ns,
    turned_healthy,
    wait_ready,
)

START = "2024-05-01T10:00:00.5Z"
BEFORE = "2024-05-01T10:00:00.25Z"
AFTER = "2024-05-01T10:00:00.75Z"
R, H, C = ReadyCondition.STARTED, ReadyCondition.HEALTHY, ReadyCondition.COMPLETED
RUN, EXIT, DEAD, MADE = (
    ContainerStatus.RUNNING,
    ContainerStatus.EXITED,
    ContainerStatus.DEAD,
    ContainerStatus.CREATED,
)
OK, BAD, WAIT = HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, HealthStatus.STARTING


def state(
    status: ContainerStatus,
    health: HealthStatus | None = None,
    code: int = 0,
    log_end: str = "",
    started: str = START,
    output: str = "",
) -> ContainerState:
    return ContainerState(
        id="c" * 64,
        name="p-db-1",
        status=status,
        health=health,
        exit_code=code,
        started_at=started,
        finished_at="",
        health_log=(output,) if output else (),
        health_log_end=log_end,
    )


@pytest.mark.parametrize(
    ("st", "condition", "verdict", "fragment"),
    [
        (state(RUN), R, Verdict.READY, ""),
        (state(MADE, started=""), R, Verdict.PENDING, ""),
        (state(ContainerStatus.RESTARTING), R, Verdict.READY, ""),
        (state(EXIT, code=0), R, Verdict.READY, ""),
        (
            state(EXIT, code=2),
            R,
            Verdict.FAILED,
            'service "db": container p-db-1 exited with code 2',
        ),
        (state(DEAD, code=137), R, Verdict.FAILED, "is dead"),
        (state(RUN, OK, log_end=AFTER), H, Verdict.READY, ""),
        (state(RUN, OK, log_end=BEFORE), H, Verdict.PENDING, ""),  # stale healthy
        (state(RUN, BAD, log_end=BEFORE), H, Verdict.PENDING, ""),  # stale unhealthy
        (state(RUN, BAD, log_end=AFTER, output="refused\n"), H, Verdict.FAILED, "output: refused"),
        (state(RUN, WAIT), H, Verdict.PENDING, ""),
        (state(RUN, None), H, Verdict.FAILED, "has no healthcheck configured"),
        (state(EXIT, WAIT, code=1), H, Verdict.FAILED, "exited with code 1"),
        (state(ContainerStatus.RESTARTING, OK, log_end=AFTER), H, Verdict.PENDING, ""),
        (state(RUN, OK, log_end=""), H, Verdict.READY, ""),  # no timestamp: trust the status
        (state(EXIT, code=0), C, Verdict.READY, ""),
        (
            state(EXIT, code=3),
            C,
            Verdict.FAILED,
            'service "db" didn\'t complete successfully: exit 3',
        ),
        (state(RUN), C, Verdict.PENDING, ""),
        (state(DEAD, code=0), C, Verdict.FAILED, "exit 0"),
    ],
)
def test_judge(
    st: ContainerState, condition: ReadyCondition, verdict: Verdict, fragment: str
) -> None:
    got, message = judge(st, condition, "db")
    assert got is verdict
    assert fragment in message
    assert bool(message) == (verdict is Verdict.FAILED)


def test_rfc3339_orders_fractions_of_any_length() -> None:
    a = rfc3339_ns("2024-05-01T10:00:00.1Z")
    b = rfc3339_ns("2024-05-01T10:00:00.12Z")
    c = rfc3339_ns("2024-05-01T10:00:00.123456789Z")
    d = rfc3339_ns("2024-05-01T12:00:00+02:00")
    assert a is not None and b is not None and c is not None and d is not None
    assert a < b < c
    assert d == rfc3339_ns("2024-05-01T10:00:00Z")
    assert c - a == 23_456_789
    assert rfc3339_ns("") is None
    assert rfc3339_ns("yesterday") is None


def db_spec(health: bool = True) -> ContainerSpec:
    return ContainerSpec(
        name="p-db-1",
        image="busybox",
        labels={"com.docker.compose.project": "p", "com.docker.compose.service": "db"},
        healthcheck=HealthSpec(test=("CMD", "true")) if health else None,
    )


async def started(engine: FakeEngine, health: bool = True) -> str:
    cid = await engine.create_container(db_spec(health))
    await engine.start_container(cid)
    return cid


@pytest.mark.anyio
async def test_event_wakes_the_waiter_long_before_the_poll() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=0.1)})
    watch = ContainerWatch(engine, "p")
    async with anyio.create_task_group() as tg:
        await tg.start(watch.run)
        assert watch.live
        cid = await started(engine)
        begun = anyio.current_time()
        ready = await wait_ready(engine, cid, H, "db", watch=watch, poll_interval=30)
        waited = anyio.current_time() - begun
        tg.cancel_scope.cancel()
    assert ready.health is HealthStatus.HEALTHY
    assert 0.09 <= waited < 0.2
    assert not watch.live


@pytest.mark.anyio
async def test_polling_alone_also_gets_there() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=0.05)})
    cid = await started(engine)
    ready = await wait_ready(engine, cid, H, "db", poll_interval=0.02)
    assert ready.health is HealthStatus.HEALTHY
    inspects = [m for m, _ in engine.calls if m == "inspect_container"]
    assert 2 <= len(inspects) <= 6


class _NoEvents(FakeEngine):
    @asynccontextmanager
    async def events(self, project: str | None = None) -> AsyncIterator[AsyncIterator[EngineEvent]]:
        raise EngineError("events are not available")
        yield  # pragma: no cover


@pytest.mark.anyio
async def test_watch_without_events_falls_back_to_polling() -> None:
    engine = _NoEvents(behaviours={"db": FakeBehaviour(healthy_after=0.05)})
    watch = ContainerWatch(engine, "p")
    async with anyio.create_task_group() as tg:
        await tg.start(watch.run)
        assert not watch.live
        cid = await started(engine)
        ready = await wait_ready(engine, cid, H, "db", watch=watch, poll_interval=0.02)
    assert ready.health is HealthStatus.HEALTHY


@pytest.mark.anyio
async def test_stale_unhealthy_from_before_the_start_is_not_final() -> None:
    engine = FakeEngine(
        behaviours={"db": FakeBehaviour(stale_health=HealthStatus.UNHEALTHY, healthy_after=0.05)}
    )
    cid = await started(engine)
    assert (await engine.inspect_container(cid)).health is HealthStatus.UNHEALTHY
    ready = await wait_ready(engine, cid, H, "db", poll_interval=0.02)
    assert ready.health is HealthStatus.HEALTHY


@pytest.mark.anyio
async def test_unhealthy_after_start_fails_with_the_check_output() -> None:
    behaviour = FakeBehaviour(
        healthy_after=None, unhealthy_after=0.02, health_output="connection refused"
    )
    engine = FakeEngine(behaviours={"db": behaviour})
    cid = await started(engine)
    with pytest.raises(ReadinessFailed, match="is unhealthy; last health check output: conn"):
        await wait_ready(engine, cid, H, "db", poll_interval=0.01)


@pytest.mark.anyio
async def test_timeout_names_the_service_and_the_last_health_output() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=None)})
    cid = await started(engine)
    with pytest.raises(ReadinessFailed) as caught:
        await wait_ready(engine, cid, H, "db", timeout=0.05, poll_interval=0.01)
    message = str(caught.value)
    assert message.startswith('timed out after 0.05s waiting for service "db" to be healthy')
    assert "health starting" in message
    engine.set_behaviour("db", FakeBehaviour(stale_health=BAD, healthy_after=None))
    await engine.restart_container(cid)
    with pytest.raises(ReadinessFailed, match="last health check output: stale result"):
        await wait_ready(engine, cid, H, "db", timeout=0.05, poll_interval=0.01)


@pytest.mark.anyio
async def test_no_healthcheck_is_an_error_naming_the_service() -> None:
    engine = FakeEngine()
    cid = await started(engine, health=False)
    with pytest.raises(ReadinessFailed, match=r'service "db": .* has no healthcheck configured'):
        await wait_ready(engine, cid, H, "db")


@pytest.mark.anyio
async def test_exit_while_waiting_for_healthy_names_the_code() -> None:
    engine = FakeEngine(
        behaviours={"db": FakeBehaviour(healthy_after=None, exit_after=0.03, exit_code=4)}
    )
    cid = await started(engine)
    with pytest.raises(ReadinessFailed, match='service "db": container p-db-1 exited with code 4'):
        await wait_ready(engine, cid, H, "db", poll_interval=0.01)


@pytest.mark.anyio
async def test_completed_failure_carries_the_last_log_lines() -> None:
    lines = tuple(f"line {i}" for i in range(15))
    engine = FakeEngine(behaviours={"db": FakeBehaviour(exit_after=0.02, exit_code=3, logs=lines)})
    cid = await started(engine, health=False)
    with pytest.raises(ReadinessFailed) as caught:
        await wait_ready(engine, cid, C, "db", poll_interval=0.01)
    message = str(caught.value)
    assert message.startswith('service "db" didn\'t complete successfully: exit 3')
    assert "line 5" in message and "line 14" in message and "line 4\n" not in message


@pytest.mark.anyio
async def test_completed_success() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(exit_after=0.02)})
    cid = await started(engine, health=False)
    done = await wait_ready(engine, cid, C, "db", poll_interval=0.01)
    assert (done.status, done.exit_code) == (ContainerStatus.EXITED, 0)


@pytest.mark.anyio
async def test_watch_disarms_waiters_it_no_longer_needs() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=0.05)})
    watch = ContainerWatch(engine, "p")
    cid = await started(engine)
    await wait_ready(engine, cid, H, "db", watch=watch, poll_interval=0.01)
    assert watch._waiters == {}


@pytest.mark.anyio
async def test_a_healthy_event_ends_the_wait_without_another_inspect() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=0.1)})
    watch = ContainerWatch(engine, "p")
    async with anyio.create_task_group() as tg:
        await tg.start(watch.run)
        cid = await started(engine)
        healthy_at = anyio.current_time() + 0.1
        ready = await wait_ready(engine, cid, H, "db", watch=watch, poll_interval=30)
        done_at = anyio.current_time()
        tg.cancel_scope.cancel()
    assert ready.health is HealthStatus.HEALTHY
    assert rfc3339_ns(ready.health_log_end) is not None
    calls = zip(engine.calls, engine.call_times, strict=True)
    inspected = [at for (method, _), at in calls if method == "inspect_container"]
    assert inspected and max(inspected) < healthy_at  # none after the healthy event
    assert done_at - healthy_at < 0.05


def _state(
    status: ContainerStatus = RUN, health: HealthStatus | None = HealthStatus.STARTING
) -> ContainerState:
    return ContainerState("c1", "p-db-1", status, health, 0, START, "")


def _event(action: str, at: str) -> EngineEvent:
    stamp = rfc3339_ns(at)
    assert stamp is not None
    return EngineEvent("container", action, "c1", {}, stamp)


@pytest.mark.parametrize(
    ("state", "action", "at", "expected"),
    [
        (_state(), "health_status: healthy", AFTER, True),
        (_state(), "health_status: healthy", START, True),
        (_state(), "health_status: healthy", BEFORE, False),  # a result from an earlier run
        (_state(), "health_status: unhealthy", AFTER, False),
        (_state(), "die", AFTER, False),
        (_state(MADE), "health_status: healthy", AFTER, False),  # not seen running yet
        (_state(health=None), "health_status: healthy", AFTER, False),
    ],
)
def test_turned_healthy_trusts_only_fresh_healthy_results(
    state: ContainerState, action: str, at: str, expected: bool
) -> None:
    assert turned_healthy(state, _event(action, at)) is expected


def test_rfc3339_from_ns_is_the_inverse_of_rfc3339_ns() -> None:
    for text in (START, BEFORE, "2024-05-01T10:00:00.123456789Z"):
        stamp = rfc3339_ns(text)
        assert stamp is not None
        assert rfc3339_ns(rfc3339_from_ns(stamp)) == stamp


@pytest.mark.parametrize(
    ("output", "saturated", "verdict"),
    [
        ("Health check exceeded timeout (1s)", True, Verdict.PENDING),  # the engine's fault
        ("Health check exceeded timeout (1s)", False, Verdict.FAILED),  # as compose says
        ("connection refused", True, Verdict.FAILED),  # the service answered badly
    ],
)
def test_timed_out_checks_are_not_final_only_on_a_saturated_engine(
    output: str, saturated: bool, verdict: Verdict
) -> None:
    state = ContainerState(
        "c1", "p-db-1", RUN, HealthStatus.UNHEALTHY, 0, START, "", health_log=(output,)
    )
    state = replace(state, health_log_end=AFTER)
    assert judge(state, H, "db", saturated)[0] is verdict
