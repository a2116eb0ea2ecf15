"""The executor on the fake engine: ordering, overlap, failures as data, limits, cancellation."""

from __future__ import annotations

from collections.abc import Iterable

import anyio
import pytest

from orchestra.engine.base import (
    BuildSpec,
    ContainerSpec,
    ContainerStatus,
    HealthSpec,
    HealthStatus,
    NetworkAttachment,
    NetworkSpec,
    ReadyCondition,
    VolumeSpec,
)
from orchestra.engine.fake import FakeBehaviour, FakeEngine
from orchestra.errors import ExecutionFailed
from orchestra.events import OpEvent, Phase
from orchestra.execute import Outcome, execute
from orchestra.plan.ops import OpKind, Plan

pytestmark = pytest.mark.anyio

LABELS = {"com.docker.compose.project": "p"}


def cspec(service: str, health: bool = False, network: str | None = None) -> ContainerSpec:
    return ContainerSpec(
        name=f"p-{service}-1",
        image="busybox",
        labels={**LABELS, "com.docker.compose.service": service},
        healthcheck=HealthSpec(test=("CMD", "true")) if health else None,
        networks=(NetworkAttachment(network),) if network else (),
    )


def add_service(
    plan: Plan,
    service: str,
    *,
    health: bool = False,
    after: Iterable[int] = (),
    wait_for: Iterable[int] = (),
    network: str | None = None,
) -> tuple[int, int]:
    """CREATE (after ``after``) and START (also after ``wait_for``); returns both ids."""
    target = f"container:{service}:1"
    created = plan.add(
        OpKind.CREATE_CONTAINER, target, "not found", after, spec=cspec(service, health, network)
    )
    started = plan.add(OpKind.START_CONTAINER, target, "new container", [created, *wait_for])
    return created, started


def add_wait(plan: Plan, service: str, dep: int, condition: ReadyCondition) -> int:
    target = f"container:{service}:1"
    return plan.add(
        OpKind.WAIT_READY, target, "dependency", [dep], condition=condition, service=service
    )


def call_time(engine: FakeEngine, method: str, arg0: str) -> float:
    for (name, args), at in zip(engine.calls, engine.call_times, strict=True):
        if name == method and args and args[0] == arg0:
            return at
    raise AssertionError(f"no {method}({arg0}) call")


def outcomes(report_results: Iterable[object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in report_results:
        out[f"#{r.op.id}"] = r.outcome.value  # type: ignore[attr-defined]
    return out


async def test_dependent_starts_within_100ms_of_dependency_turning_healthy() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=0.3)})
    plan = Plan(project="p")
    net = plan.add(
        OpKind.CREATE_NETWORK, "network:default", "not found", spec=NetworkSpec("p_default", LABELS)
    )
    _, db_start = add_service(plan, "db", health=True, after=[net], network="p_default")
    ready = add_wait(plan, "db", db_start, ReadyCondition.HEALTHY)
    add_service(plan, "web", after=[net], wait_for=[ready], network="p_default")
    begun = anyio.current_time()
    report = await execute(plan, engine, poll_interval=10.0)
    assert report.ok, report.failure_lines()
    db_id, web_id = report.ids["container:db:1"], report.ids["container:web:1"]
    healthy_at = call_time(engine, "start_container", db_id) + 0.3
    web_started = call_time(engine, "start_container", web_id)
    assert 0 <= web_started - healthy_at < 0.1
    assert call_time(engine, "create_container", "p-web-1") - begun < 0.1  # did not wait for db
    assert engine.events_opened == 1
    state = await engine.inspect_container(web_id)
    assert state.status is ContainerStatus.RUNNING


async def test_independent_branches_overlap() -> None:
    engine = FakeEngine(call_delay=0.1)
    plan = Plan(project="p")
    for service in ("a", "b", "c"):
        add_service(plan, service)
    begun = anyio.current_time()
    report = await execute(plan, engine)
    assert report.ok
    assert anyio.current_time() - begun < 0.35  # one after the other would take 0.6 s
    assert engine.max_in_flight == 3
    assert engine.events_opened == 0  # no waits: no event subscription


async def test_a_failure_skips_only_its_dependents() -> None:
    engine = FakeEngine(fail_on={"start_container": {"db"}})
    plan = Plan(project="p")
    db_create, db_start = add_service(plan, "db", health=True)
    ready = add_wait(plan, "db", db_start, ReadyCondition.HEALTHY)
    web_create, web_start = add_service(plan, "web", wait_for=[ready])
    cache_create, cache_start = add_service(plan, "cache")
    events: list[OpEvent] = []
    report = await execute(plan, engine, sink=events.append)
    assert [r.op.id for r in report.failed] == [db_start]
    assert [r.op.id for r in report.skipped] == [ready, web_start]
    assert {r.op.id for r in report.done} == {db_create, web_create, cache_create, cache_start}
    reason = "#2 container:db:1 START failed: injected failure: start_container db"
    assert [r.message for r in report.skipped] == [reason, reason]
    assert not report.ok
    with pytest.raises(
        ExecutionFailed, match="service db: start container:db:1 failed: injected failure"
    ):
        report.raise_for_failures()
    skipped = [e.op_id for e in events if e.phase is Phase.SKIPPED]
    assert skipped == [ready, web_start]
    assert all(e.elapsed == 0 for e in events if e.phase is Phase.SKIPPED)


async def test_limiter_caps_concurrent_engine_calls() -> None:
    engine = FakeEngine(call_delay=0.03)
    plan = Plan(project="p")
    for service in "abcdef":
        plan.add(OpKind.CREATE_CONTAINER, f"container:{service}:1", "new", spec=cspec(service))
    report = await execute(plan, engine, limiter_size=2)
    assert len(report.done) == 6
    assert engine.max_in_flight == 2
    with pytest.raises(ValueError, match="limiter_size"):
        await execute(plan, engine, limiter_size=0)


async def test_a_wait_holds_no_slot_and_its_timeout_names_the_service() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=None)}, call_delay=0.02)
    plan = Plan(project="p")
    _, db_start = add_service(plan, "db", health=True)
    ready = add_wait(plan, "db", db_start, ReadyCondition.HEALTHY)
    add_service(plan, "web", wait_for=[ready])
    _, other_start = add_service(plan, "other", after=[db_start])
    begun = anyio.current_time()
    report = await execute(plan, engine, limiter_size=1, wait_timeout=0.5, poll_interval=0.05)
    assert call_time(engine, "start_container", report.ids["container:other:1"]) - begun < 0.3
    assert plan.op(other_start) in [r.op for r in report.done]
    (failed,) = report.failed
    assert failed.op.id == ready
    assert failed.message.startswith('timed out after 0.5s waiting for service "db" to be healthy')
    assert 0.45 <= failed.duration < 0.7


async def test_cancel_event_lets_running_calls_finish_and_starts_nothing_new() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=None)})
    db_id = await engine.create_container(cspec("db", health=True))
    await engine.start_container(db_id)
    engine.calls.clear()
    engine.call_delay = 0.3
    plan = Plan(project="p")
    add_service(plan, "web")
    plan.add(
        OpKind.WAIT_READY,
        "container:db:1",
        "dependency",
        engine_id=db_id,
        condition=ReadyCondition.HEALTHY,
        service="db",
    )
    cancel = anyio.Event()
    events: list[OpEvent] = []

    async def press_ctrl_c() -> None:
        await anyio.sleep(0.1)
        cancel.set()

    begun = anyio.current_time()
    async with anyio.create_task_group() as tg:
        tg.start_soon(press_ctrl_c)
        report = await execute(plan, engine, cancel_event=cancel, sink=events.append)
    took = anyio.current_time() - begun
    assert 0.3 <= took < 0.5  # waited for the shielded create, not for the wait
    assert report.cancelled
    assert [r.outcome for r in report.results] == [
        Outcome.DONE,
        Outcome.CANCELLED,
        Outcome.CANCELLED,
    ]
    assert "p-web-1" in {c.name for c in engine.containers.values()}
    assert engine.in_flight == 0
    calls_after = len(engine.calls)
    await anyio.sleep(0.2)
    assert len(engine.calls) == calls_after  # nothing runs on after execute returned
    assert [m for m, _ in engine.mutations()] == ["create_container"]
    assert events[-1].phase is Phase.DONE


async def test_an_outer_cancel_scope_also_unwinds_cleanly() -> None:
    engine = FakeEngine(call_delay=0.2)
    plan = Plan(project="p")
    add_service(plan, "web")
    with anyio.move_on_after(0.05) as scope:
        await execute(plan, engine)
    assert scope.cancelled_caught
    assert engine.in_flight == 0
    assert [m for m, _ in engine.mutations()] == ["create_container"]
    assert len(engine.containers) == 1


async def test_one_event_subscription_serves_every_wait() -> None:
    engine = FakeEngine(behaviours={s: FakeBehaviour(healthy_after=0.05) for s in "abc"})
    plan = Plan(project="p")
    waits = []
    for service in "abc":
        _, start = add_service(plan, service, health=True)
        waits.append(add_wait(plan, service, start, ReadyCondition.HEALTHY))
    add_service(plan, "web", wait_for=waits)
    report = await execute(plan, engine, poll_interval=10.0)
    assert report.ok
    assert engine.events_opened == 1


async def test_events_tell_the_life_of_each_op() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=0.05)})
    plan = Plan(project="p")
    create, start = add_service(plan, "db", health=True)
    ready = add_wait(plan, "db", start, ReadyCondition.HEALTHY)
    events: list[OpEvent] = []
    await execute(plan, engine, sink=events.append, poll_interval=10.0)
    assert [(e.op_id, e.phase) for e in events] == [
        (create, Phase.STARTED),
        (create, Phase.DONE),
        (start, Phase.STARTED),
        (start, Phase.DONE),
        (ready, Phase.WAITING),
        (ready, Phase.DONE),
    ]
    assert events[-1].condition is ReadyCondition.HEALTHY
    assert events[-1].target == "container:db:1"
    assert 0.04 <= events[-1].elapsed < 0.2


async def test_replace_stops_the_observed_container_and_starts_the_created_one() -> None:
    engine = FakeEngine()
    old = await engine.create_container(cspec("web"))
    await engine.start_container(old)
    plan = Plan(project="p")
    target, why = "container:web:1", "config changed: image"
    stop = plan.add(OpKind.STOP_CONTAINER, target, why, engine_id=old, timeout=3)
    remove = plan.add(OpKind.REMOVE_CONTAINER, target, why, [stop], engine_id=old)
    create = plan.add(OpKind.CREATE_CONTAINER, target, why, [remove], spec=cspec("web"))
    plan.add(OpKind.START_CONTAINER, target, why, [create])
    report = await execute(plan, engine)
    assert report.ok
    new = report.ids[target]
    assert new != old
    assert list(engine.containers) == [new]
    assert (await engine.inspect_container(new)).status is ContainerStatus.RUNNING
    assert ("stop_container", (old, 3)) in engine.calls


async def test_stale_unhealthy_before_a_start_does_not_fail_the_wait() -> None:
    behaviour = FakeBehaviour(stale_health=HealthStatus.UNHEALTHY, healthy_after=0.05)
    engine = FakeEngine(behaviours={"db": behaviour})
    plan = Plan(project="p")
    _, start = add_service(plan, "db", health=True)
    ready = add_wait(plan, "db", start, ReadyCondition.HEALTHY)
    add_service(plan, "web", wait_for=[ready])
    report = await execute(plan, engine, poll_interval=0.02)
    assert report.ok, report.failure_lines()


@pytest.mark.parametrize(("code", "web_outcome"), [(0, Outcome.DONE), (2, Outcome.SKIPPED)])
async def test_completed_condition_gates_on_the_exit_code(code: int, web_outcome: Outcome) -> None:
    behaviour = FakeBehaviour(exit_after=0.03, exit_code=code, logs=("migrating", "boom"))
    engine = FakeEngine(behaviours={"job": behaviour})
    plan = Plan(project="p")
    _, start = add_service(plan, "job")
    done = add_wait(plan, "job", start, ReadyCondition.COMPLETED)
    _, web_start = add_service(plan, "web", wait_for=[done])
    report = await execute(plan, engine, poll_interval=10.0)
    outcome = {r.op.id: r for r in report.results}
    assert outcome[web_start].outcome is web_outcome
    if code:
        assert "didn't complete successfully: exit 2" in outcome[done].message
        assert "boom" in outcome[done].message


async def test_down_plan_removes_containers_then_network_and_volume() -> None:
    engine = FakeEngine()
    net = await engine.create_network(NetworkSpec("p_default", LABELS))
    vol = await engine.create_volume(VolumeSpec("p_data", LABELS))
    web = await engine.create_container(cspec("web", network="p_default"))
    await engine.start_container(web)
    plan = Plan(project="p")
    stop = plan.add(OpKind.STOP_CONTAINER, "container:web:1", "down", engine_id=web)
    rm = plan.add(OpKind.REMOVE_CONTAINER, "container:web:1", "down", [stop], engine_id=web)
    plan.add(OpKind.REMOVE_NETWORK, "network:default", "down", [rm], engine_id=net)
    plan.add(OpKind.REMOVE_VOLUME, "volume:data", "down -v", [rm], engine_id=vol)
    report = await execute(plan, engine)
    assert report.ok, report.failure_lines()
    assert (engine.containers, engine.networks, engine.volumes) == ({}, {}, {})


async def test_engine_errors_are_data_and_builds_run() -> None:
    engine = FakeEngine(images=["busybox"])
    plan = Plan(project="p")
    plan.add(OpKind.BUILD_IMAGE, "image:app", "no image", spec=BuildSpec("app", "/src"))
    plan.add(OpKind.PULL_IMAGE, "image:ghost", "not present", image="ghost")
    plan.add(OpKind.STOP_CONTAINER, "container:x:1", "orphaned", engine_id="deadbeef0000")
    report = await execute(plan, engine)
    messages = [r.message for r in report.failed]
    assert "ghost" in messages[0]
    assert messages[1] == "No such container: deadbeef0000"
    assert outcomes(report.results) == {"#1": "done", "#2": "failed", "#3": "failed"}
    assert await engine.image_id("app") is not None
