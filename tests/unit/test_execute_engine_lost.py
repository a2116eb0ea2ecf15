"""The executor when the engine stops answering mid-run: it stops, and says the engine is gone.

An unreachable engine is not one op's failure: every later op would fail the same way and print
the same message, and the command must exit 3 (engine unavailable), not 1. The engine tests in
tests/engine/test_faults_daemon.py kill a real daemon; this pins the executor's part.
"""

from __future__ import annotations

import anyio
import pytest

from orchestra.engine.base import ContainerSpec
from orchestra.engine.fake import FakeEngine
from orchestra.errors import EngineUnavailableError, ExecutionFailed
from orchestra.execute import execute
from orchestra.plan.ops import OpKind, Plan

pytestmark = pytest.mark.anyio


def spec(service: str) -> ContainerSpec:
    labels = {"com.docker.compose.project": "p", "com.docker.compose.service": service}
    return ContainerSpec(name=f"p-{service}-1", image="busybox", labels=labels)


def chain(plan: Plan, services: list[str]) -> None:
    """CREATE then START of each service, each service after the previous one."""
    before: list[int] = []
    for service in services:
        target = f"container:{service}:1"
        created = plan.add(OpKind.CREATE_CONTAINER, target, "new", before, spec=spec(service))
        before = [plan.add(OpKind.START_CONTAINER, target, "new", [created])]


class DyingEngine(FakeEngine):
    """Goes away for good at the first start of ``victim``."""

    def __init__(self, victim: str) -> None:
        super().__init__(call_delay=0.02)
        self.victim = victim
        self.calls_at_loss = 0

    async def start_container(self, container_id: str) -> None:
        if self.containers[container_id].spec.name == f"p-{self.victim}-1":
            self.available = False
            self.calls_at_loss = len(self.calls) + 1  # this call is about to be recorded
        await super().start_container(container_id)


async def test_a_lost_engine_stops_the_run_and_raises_unavailable() -> None:
    plan = Plan(project="p")
    chain(plan, ["a", "b"])
    chain(plan, [f"x{i}" for i in range(8)])  # an independent branch, slower than a → b
    engine = DyingEngine("a")
    report = await execute(plan, engine, limiter_size=2)

    assert report.engine_lost is not None and "not available" in report.engine_lost
    assert not report.cancelled
    with pytest.raises(EngineUnavailableError, match="not available"):
        report.raise_for_failures()
    # Nothing new started once the engine was gone: at most a call already under way.
    assert len(engine.calls) - engine.calls_at_loss <= 2, engine.calls[engine.calls_at_loss :]
    stopped = [r for r in report.not_run if r.op.target.startswith("container:x")]
    assert stopped, "the independent branch should have been stopped"


async def test_an_ordinary_failure_still_raises_execution_failed() -> None:
    plan = Plan(project="p")
    chain(plan, ["a", "b"])
    engine = FakeEngine(fail_on={"start_container": {"a"}})
    report = await execute(plan, engine)
    assert report.engine_lost is None
    with pytest.raises(ExecutionFailed):
        report.raise_for_failures()


async def test_engine_gone_before_the_run_fails_the_first_ops_only() -> None:
    plan = Plan(project="p")
    chain(plan, [f"s{i}" for i in range(6)])
    engine = FakeEngine(available=False)
    with anyio.fail_after(5):
        report = await execute(plan, engine, limiter_size=4)
    assert len(engine.calls) == 1  # the first create: nothing after it was tried
    with pytest.raises(EngineUnavailableError):
        report.raise_for_failures()
