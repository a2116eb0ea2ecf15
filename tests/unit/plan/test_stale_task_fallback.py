"""A container whose start the engine refuses over a stale task is replaced (on the fake engine).

Engine 20.10 keeps a containerd task across a daemon restart that cut a start short, and then
refuses every start of that container. ``plan_up`` gives the START of each observed container the
spec to create it from; the executor removes the container, creates it again under the same
name and starts it, with a warning naming the service. Any other start error still fails. The
real engine's behaviour is proven in tests/engine/test_faults_daemon.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from planfix import converged, images_of, load, swap

from orchestra.engine.base import ContainerSpec, ContainerStatus
from orchestra.engine.fake import FakeEngine
from orchestra.errors import StaleTaskError
from orchestra.events import EventSink, OpEvent, Phase
from orchestra.execute import Report, execute
from orchestra.plan.fingerprint import fingerprint
from orchestra.plan.lifecycle import plan_lifecycle
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import UpOptions
from orchestra.plan.saved import SavedPlan, dumps, loads
from orchestra.plan.up import plan_up
from orchestra.spec.model import Project

pytestmark = pytest.mark.anyio

STACK = """
services:
  db:
    image: postgres:16
    volumes: ["/var/lib/data"]
  web:
    image: nginx:1
    depends_on: {db: {condition: service_started}}
"""


class VolumeSpy(FakeEngine):
    """The fake engine, also recording the ``volumes`` flag of every container removal."""

    def __init__(self) -> None:
        super().__init__()
        self.removed: list[tuple[str, bool, bool]] = []

    async def remove_container(
        self, container_id: str, force: bool = False, volumes: bool = False
    ) -> None:
        self.removed.append((container_id, force, volumes))
        await super().remove_container(container_id, force=force, volumes=volumes)


async def up(
    engine: FakeEngine, project: Project, sink: EventSink | None = None, **options: object
) -> tuple[Plan, Report]:
    observed = await engine.observe(project.name)
    refs = {s.image or "" for s in project.services.values()}
    images = {ref: await engine.image_id(ref) for ref in refs}
    plan = plan_up(project, observed, images, UpOptions(**options))  # type: ignore[arg-type]
    return plan, await execute(plan, engine, poll_interval=0.05, sink=sink)


async def stopped_with_a_stale_db(engine: FakeEngine, project: Project) -> str:
    """Up, stop everything, then make the runtime keep a task of db; db's container id."""
    _, report = await up(engine, project)
    assert report.ok, report.failure_lines()
    for ident in list(engine.containers):
        await engine.stop_container(ident)
    db = next(c for c in engine.containers.values() if c.name == "demo-db-1")
    db.stale_task = True
    return db.id


def by_name(engine: FakeEngine, name: str) -> str:
    return next(i for i, c in engine.containers.items() if c.name == name)


async def test_a_stale_container_is_replaced_and_its_dependents_wait_on_the_new_one() -> None:
    engine, project = VolumeSpy(), load(STACK)
    old = await stopped_with_a_stale_db(engine, project)
    events: list[OpEvent] = []
    plan, report = await up(engine, project, sink=events.append, wait=True)
    assert report.ok, report.failure_lines()
    warning = (
        "service db: the engine kept a stale task for container demo-db-1 after a restart; "
        "replaced it"
    )
    assert report.warnings == (warning,) and plan.warnings == [warning]
    new = by_name(engine, "demo-db-1")
    assert new != old and old not in engine.containers
    assert report.ids["container:db:1"] == new
    assert (await engine.inspect_container(new)).status is ContainerStatus.RUNNING
    assert engine.removed == [(old, True, False)]  # forced; anonymous volumes kept
    start = next(op for op in plan.ops if op.kind is OpKind.START_CONTAINER and "db" in op.target)
    replacing = [e for e in events if e.op_id == start.id and e.phase is Phase.PROGRESS]
    assert [e.message for e in replacing] == [
        "the engine kept a stale task for the old container after a restart; replacing it"
    ]
    done = next(r for r in report.results if r.op.id == start.id)
    assert done.message == warning
    # The --wait of db was planned on the old id and still passed: it followed the new one.
    waits = [op for op in plan.ops if op.kind is OpKind.WAIT_READY and op.service == "db"]
    assert waits and all(op.engine_id == old for op in waits)
    _, again = await up(engine, project)
    assert again.ok and again.results == ()  # converged: nothing left to do


async def test_any_other_start_error_still_fails_without_a_replacement() -> None:
    engine, project = FakeEngine(), load(STACK)
    old = await stopped_with_a_stale_db(engine, project)
    engine.containers[old].stale_task = False
    engine.fail_on = {"start_container": {"db"}}
    plan, report = await up(engine, project)
    assert [r.line() for r in report.failed] == [
        "service db: start container:db:1 failed: injected failure: start_container db"
    ]
    assert by_name(engine, "demo-db-1") == old and report.warnings == () and plan.warnings == []


async def test_a_start_without_a_spec_reports_the_refusal() -> None:
    """``orchestra start`` plans carry no spec: the refusal fails the op, as compose fails."""
    engine, project = FakeEngine(), load(STACK)
    old = await stopped_with_a_stale_db(engine, project)
    observed = await engine.observe(project.name)
    plan = plan_lifecycle(project.name, OpKind.START_CONTAINER, observed.containers, None)
    report = await execute(plan, engine)
    (failed,) = report.failed
    assert failed.op.engine_id == old and "task" in failed.message
    assert "stale task" in failed.message and engine.containers[old].stale_task


async def test_no_recreate_keeps_the_container_even_if_it_cannot_start() -> None:
    engine, project = FakeEngine(), load(STACK)
    old = await stopped_with_a_stale_db(engine, project)
    _, report = await up(engine, project, no_recreate=True)
    assert len(report.failed) == 1 and by_name(engine, "demo-db-1") == old


def test_the_start_of_a_stopped_container_carries_its_spec_with_its_anonymous_volumes() -> None:
    project = load(STACK)
    observed = converged(project)
    db = next(c for c in observed.containers if c.service == "db")
    db = replace(db, status=ContainerStatus.EXITED, anonymous_volumes={"/var/lib/data": "anon1"})
    plan = plan_up(project, swap(observed, db), images_of(project))
    assert plan.render() == "#1 container:db:1 START (stopped)"  # the text is unchanged
    spec = plan.op(1).spec
    assert isinstance(spec, ContainerSpec) and spec.name == "demo-db-1"
    assert [(m.source, m.target) for m in spec.mounts] == [("anon1", "/var/lib/data")]


def test_a_start_after_a_create_has_no_fallback() -> None:
    plan = plan_up(load(STACK), converged(load("services: {}")), images_of(load(STACK)))
    starts = [op for op in plan.ops if op.kind is OpKind.START_CONTAINER]
    assert len(starts) == 2 and all(op.spec is None for op in starts)


def test_a_saved_plan_keeps_the_fallback() -> None:
    project = load(STACK)
    db = replace(converged(project).containers[0], status=ContainerStatus.EXITED)
    assert db.service == "db"
    plan = plan_up(project, swap(converged(project), db), images_of(project))
    state = fingerprint(converged(load("services: {}")), {})
    saved = loads(dumps(SavedPlan(plan, state, "0.1.0")))
    assert saved.plan.ops == plan.ops and isinstance(saved.plan.op(1).spec, ContainerSpec)


def test_only_the_start_of_an_existing_container_takes_a_fallback() -> None:
    plan = Plan(project="demo")
    spec = ContainerSpec(name="demo-db-1", image="postgres:16", labels={})
    create = plan.add(OpKind.CREATE_CONTAINER, "container:db:1", "not found", spec=spec)
    start = plan.add(OpKind.START_CONTAINER, "container:db:1", "new container", [create])
    stop = plan.add(OpKind.STOP_CONTAINER, "container:web:1", "stop", engine_id="id-web-1")
    for op_id in (create, start, stop):
        with pytest.raises(ValueError, match="only the start of an existing container"):
            plan.give_fallback(op_id, spec)


async def test_the_fake_refuses_like_the_engine() -> None:
    engine, project = FakeEngine(), load(STACK)
    old = await stopped_with_a_stale_db(engine, project)
    with pytest.raises(StaleTaskError, match=f"task {old}: already exists"):
        await engine.start_container(old)
