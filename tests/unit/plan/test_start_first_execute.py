"""Start-first updates executed on the fake engine: the swap, the rollback, rollback-op rules."""

from __future__ import annotations

import pytest
from planfix import load

from orchestra.engine.base import ContainerSpec
from orchestra.engine.fake import FakeBehaviour, FakeEngine
from orchestra.errors import ExecutionFailed
from orchestra.execute import Outcome, Report, execute
from orchestra.hashing import config_hash
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import UpOptions
from orchestra.plan.start_first import temporary_name
from orchestra.plan.up import plan_up
from orchestra.spec.model import Project

pytestmark = pytest.mark.anyio

WEB = """
services:
  web:
    image: nginx:1
    environment: {V: "%s"}
    healthcheck: {test: [CMD, "true"], interval: 1s}
    deploy: {update_config: {order: start-first}}
"""


async def up(engine: FakeEngine, project: Project) -> Report:
    observed = await engine.observe(project.name)
    images = {"nginx:1": await engine.image_id("nginx:1")}
    plan = plan_up(project, observed, images, UpOptions())
    return await execute(plan, engine, poll_interval=0.02, wait_timeout=5)


async def names(engine: FakeEngine) -> dict[str, str]:
    observed = await engine.observe("demo")
    return {c.name: c.status.value for c in observed.containers}


async def test_a_healthy_new_container_replaces_the_old_one_and_takes_its_name() -> None:
    engine = FakeEngine(behaviours={"web": FakeBehaviour(healthy_after=0.05)})
    assert (await up(engine, load(WEB % 1))).ok
    old, before = next(iter(engine.containers)), len(engine.mutations())
    report = await up(engine, load(WEB % 2))
    assert report.ok, report.failure_lines()
    assert report.rolled_back == ()
    assert await names(engine) == {"demo-web-1": "running"}
    assert old not in engine.containers
    calls = [name for name, _ in engine.mutations()][before:]
    assert calls == [
        "create_container",
        "start_container",
        "stop_container",
        "remove_container",
        "rename_container",
    ]


async def test_an_unhealthy_new_container_is_removed_and_the_old_one_keeps_running() -> None:
    engine = FakeEngine(behaviours={"web": FakeBehaviour(healthy_after=0.05)})
    assert (await up(engine, load(WEB % 1))).ok
    old = next(iter(engine.containers))
    new = load(WEB % 2)
    temp = temporary_name("demo-web-1", config_hash(new.services["web"]))
    engine.set_behaviour(temp, FakeBehaviour(healthy_after=None, unhealthy_after=0.05))
    report = await up(engine, new)
    assert not report.ok
    assert await names(engine) == {"demo-web-1": "running"}
    assert old in engine.containers
    assert "stop_container" not in [name for name, _ in engine.mutations()]
    (rolled,) = report.rolled_back
    assert rolled.message.startswith("update of web rolled back: #3 container:web:1 WAIT failed")
    assert "is unhealthy" in rolled.message
    with pytest.raises(ExecutionFailed, match="update of web rolled back"):
        report.raise_for_failures()


def _spec(name: str) -> ContainerSpec:
    return ContainerSpec(name=name, image="nginx:1", labels={"com.docker.compose.project": "p"})


async def test_a_rollback_op_is_quietly_done_when_nothing_failed() -> None:
    engine = FakeEngine()
    plan = Plan(project="p")
    create = plan.add(OpKind.CREATE_CONTAINER, "container:a:1", "x", spec=_spec("p-a-1"))
    plan.add(OpKind.REMOVE_CONTAINER, "container:a:1", "undo", [create], rollback=True)
    events: list[object] = []
    report = await execute(plan, engine, sink=events.append)
    assert report.ok and report.rolled_back == ()
    assert len(engine.containers) == 1
    assert len(events) == 2  # the create's started/done; nothing for the idle rollback


async def test_a_rollback_with_nothing_created_only_reports() -> None:
    engine = FakeEngine(fail_on={"create_container": {"p-a-1"}})
    plan = Plan(project="p")
    create = plan.add(OpKind.CREATE_CONTAINER, "container:a:1", "x", spec=_spec("p-a-1"))
    undo = plan.add(
        OpKind.REMOVE_CONTAINER, "container:a:1", "undo", [create], rollback=True, service="a"
    )
    report = await execute(plan, engine)
    assert report.results[undo - 1].outcome is Outcome.DONE
    assert report.failure_lines()[-1].startswith("update of a rolled back: #1 container:a:1")
    assert "remove_container" not in [name for name, _ in engine.mutations()]
