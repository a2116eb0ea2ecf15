"""Plans executed on the fake engine converge: after ``up``, planning again is empty; ``down``
leaves nothing labelled behind. Exercises planner + executor + fake engine together.
"""

from __future__ import annotations

import pytest
from planfix import load

from orchestra.engine.fake import FakeBehaviour, FakeEngine
from orchestra.execute import execute
from orchestra.plan.down import plan_down
from orchestra.plan.options import DownOptions, UpOptions
from orchestra.plan.up import plan_up
from orchestra.spec.model import Project

pytestmark = pytest.mark.anyio

STACK = """
services:
  db:
    image: postgres:16
    healthcheck: {test: [CMD, pg_isready], interval: 1s}
    volumes: ["data:/var/lib/postgresql/data"]
  api:
    image: app:1
    depends_on: {db: {condition: service_healthy, restart: true}}
    networks: [default, back]
  sidecar:
    image: app:1
    network_mode: service:api
  web:
    image: nginx:1
    scale: 2
    depends_on: [api]
volumes:
  data: {}
networks:
  back: {}
"""


async def converge(engine: FakeEngine, project: Project, **options: object) -> int:
    """One up pass; the number of mutating ops it ran."""
    observed = await engine.observe(project.name)
    refs = {s.image or "" for s in project.services.values()}
    images = {ref: await engine.image_id(ref) for ref in refs}
    plan = plan_up(project, observed, images, UpOptions(**options))  # type: ignore[arg-type]
    report = await execute(plan, engine, poll_interval=0.05)
    assert report.ok, report.failure_lines()
    return sum(op.kind.mutating for op in plan.ops)


async def replan(engine: FakeEngine, project: Project) -> str:
    observed = await engine.observe(project.name)
    refs = {s.image or "" for s in project.services.values()}
    images = {ref: await engine.image_id(ref) for ref in refs}
    return plan_up(project, observed, images).render()


async def test_up_then_plan_again_is_empty_and_a_change_converges_too() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=0.05)})
    project = load(STACK)
    assert await converge(engine, project) > 0
    assert await replan(engine, project) == ""
    changed = load(STACK.replace("image: postgres:16", "image: postgres:16\n    user: pg"))
    assert await converge(engine, changed) > 0
    assert await replan(engine, changed) == ""
    assert await converge(engine, changed, scale={"web": 1}) == 2
    assert await replan(engine, changed) != ""  # the file still says two


async def test_down_removes_everything_it_labelled() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=0.05)})
    project = load(STACK)
    await converge(engine, project)
    plan = plan_down(project.name, await engine.observe(project.name), project, DownOptions(True))
    report = await execute(plan, engine, poll_interval=0.05)
    assert report.ok, report.failure_lines()
    after = await engine.observe(project.name)
    assert (after.containers, after.networks, after.volumes) == ((), (), ())
