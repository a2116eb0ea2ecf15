"""Pure parts of running a Swarm plan: readiness verdicts, the target's precedence, the watch's
contract lines, and the executor's scheduling (failures skip dependents) on an in-test engine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import anyio
import pytest

from orchestra.cli.swarm_target import check_command, explicit_target, file_target
from orchestra.engine.base import EngineEvent, LogLine, NetworkSpec, ReadyCondition
from orchestra.engine.swarm_base import (
    ObservedService,
    ObservedTask,
    SwarmNode,
    SwarmObjectSpec,
    SwarmObserved,
    SwarmServiceSpec,
)
from orchestra.errors import ConflictError, UsageError
from orchestra.execute import Outcome
from orchestra.execute_swarm import SwarmRunSettings, execute_swarm
from orchestra.plan.ops import OpKind, Plan
from orchestra.readiness_swarm import Verdict, WaitState, judge_service
from orchestra.watch_swarm import count_lines, service_counts


def service(
    replicas: int | None = 2, update: str | None = None, message: str = ""
) -> ObservedService:
    return ObservedService(
        id="s1", name="p_web", labels={"com.docker.compose.service": "web"}, version=3,
        mode="replicated" if replicas is not None else "global", replicas=replicas,
        image="busybox", update_state=update, update_message=message,
    )  # fmt: skip


def task(
    tid: str, state: str, desired: str = "running", error: str = "", node: str = "n1"
) -> ObservedTask:
    return ObservedTask(
        id=tid, service_id="s1", slot=1, node_id=node, desired_state=desired, state=state,
        error=error, timestamp=tid,
    )  # fmt: skip


READY = WaitState(ReadyCondition.HEALTHY, frozenset(), trust_idle=True)


def test_ready_when_the_desired_number_of_tasks_run() -> None:
    tasks = [task("a", "running"), task("b", "starting")]
    assert judge_service(service(), tasks, READY) == (Verdict.PENDING, "1/2 running")
    tasks[1] = task("b", "running")
    assert judge_service(service(), tasks, READY)[0] is Verdict.READY


def test_old_tasks_do_not_count_and_a_fresh_update_is_not_trusted_at_once() -> None:
    tasks = [task("a", "running", desired="shutdown"), task("b", "running")]
    assert judge_service(service(), tasks, READY)[1] == "1/2 running"
    fresh = WaitState(ReadyCondition.HEALTHY, frozenset(), trust_idle=False)
    both = [task("a", "running"), task("b", "running")]
    assert judge_service(service(), both, fresh)[0] is Verdict.PENDING
    assert judge_service(service(update="updating"), both, READY)[0] is Verdict.PENDING


def test_rolled_back_update_fails_with_the_task_error() -> None:
    tasks = [
        task("a", "failed", error="task: non-zero exit (137): dockerexec: unhealthy container")
    ]
    verdict, message = judge_service(service(update="rollback_completed"), tasks, READY)
    assert verdict is Verdict.FAILED
    assert message == (
        "update rollback completed (task failed: task: non-zero exit (137): "
        "dockerexec: unhealthy container)"
    )


def test_tasks_that_keep_failing_fail_the_wait_but_old_failures_do_not() -> None:
    failing = [task(str(i), "rejected", error="No such image: nope:1") for i in range(3)]
    old = WaitState(ReadyCondition.HEALTHY, frozenset({"0", "1", "2"}), True)
    assert judge_service(service(), failing, old)[0] is Verdict.PENDING
    verdict, message = judge_service(service(), failing, READY)
    assert verdict is Verdict.FAILED and "No such image: nope:1" in message


def test_global_service_counts_one_task_per_node() -> None:
    tasks = [task("a", "running", node="n1"), task("b", "pending", node="n2")]
    assert judge_service(service(None), tasks, READY)[1] == "1/2 running"
    observed = SwarmObserved(services=(service(None),), tasks=tuple(tasks))
    assert service_counts(observed) == {"web": (1, 2)}


def test_watch_prints_a_contract_line_per_change() -> None:
    assert count_lines({}, {"web": (2, 3)}) == ["web: 2/3 running"]
    assert count_lines({"web": (2, 3)}, {"web": (2, 3)}) == []
    assert count_lines({"web": (2, 3), "db": (1, 1)}, {"web": (3, 3)}) == [
        "web: 3/3 running",
        "db: removed",
    ]


def test_target_precedence_and_errors() -> None:
    assert explicit_target(None, {}) is None
    assert explicit_target(None, {"ORCHESTRA_TARGET": "swarm"}) == "swarm"
    assert explicit_target("container", {"ORCHESTRA_TARGET": "swarm"}) == "container"
    with pytest.raises(UsageError, match="ORCHESTRA_TARGET: unknown target 'k8s'"):
        explicit_target(None, {"ORCHESTRA_TARGET": "k8s"})
    assert file_target({"x-orchestra": {"target": "swarm"}}, "c.yaml") == "swarm"
    with pytest.raises(UsageError, match=r"x-orchestra.target in c.yaml: unknown target"):
        file_target({"x-orchestra": {"target": "nomad"}}, "c.yaml")
    check_command("ps", "swarm", "--target")
    with pytest.raises(UsageError, match="orchestra exec works on containers, not on a swarm"):
        check_command("exec", "swarm", "--target")


class _Swarm:
    """Just enough of a SwarmEngine for the scheduling: records calls, fails where told."""

    def __init__(self, fail: str = "") -> None:
        self.calls: list[str] = []
        self.fail = fail

    async def create_network(self, spec: NetworkSpec) -> str:
        self.calls.append(f"network {spec.name}")
        return "n-id"

    async def create_object(self, spec: SwarmObjectSpec) -> str:
        return "o-id"

    async def create_service(self, spec: SwarmServiceSpec) -> str:
        self.calls.append(f"create {spec.name} x{spec.replicas}")
        if spec.name == self.fail:
            raise ConflictError(f"name {spec.name} is taken")
        return f"id-{spec.name}"

    async def scale_service(self, service_id: str, replicas: int) -> None:
        self.calls.append(f"scale {service_id} x{replicas}")

    async def remove_network(self, network_id: str) -> None:
        raise AssertionError("not in these plans")

    async def observe_swarm(self, project: str) -> SwarmObserved:
        ready = replace(service(1), id="id-p_db")
        running = replace(task("t", "running"), service_id="id-p_db")
        return SwarmObserved(services=(ready,), tasks=(running,))

    @asynccontextmanager
    async def events(self, project: str | None = None) -> AsyncIterator[AsyncIterator[EngineEvent]]:
        async def nothing() -> AsyncIterator[EngineEvent]:
            await anyio.sleep_forever()
            yield EngineEvent("service", "update", "", {}, 0)

        yield nothing()

    def service_logs(self, ids: Sequence[str], **_: Any) -> AsyncIterator[LogLine]:
        raise NotImplementedError

    async def nodes(self) -> tuple[SwarmNode, ...]:
        return ()


def _plan() -> Plan:
    plan = Plan(project="p")
    net = plan.add(OpKind.CREATE_NETWORK, "network:default", "x", spec=NetworkSpec("p_default", {}))
    db = plan.add(
        OpKind.CREATE_SERVICE, "service:db", "x", [net], spec=svc("p_db", 1), service="db"
    )
    wait = plan.add(
        OpKind.WAIT_SERVICE, "service:db", "x", [db], condition=ReadyCondition.HEALTHY, service="db"
    )
    web = plan.add(OpKind.CREATE_SERVICE, "service:web", "x", [net], spec=svc("p_web", 0))
    plan.add(OpKind.SCALE_SERVICE, "service:web", "x", [web, wait], spec=svc("p_web", 2))
    return plan


def svc(name: str, replicas: int) -> SwarmServiceSpec:
    return SwarmServiceSpec(name=name, image="busybox", labels={}, replicas=replicas)


def _run(engine: _Swarm) -> Any:
    return anyio.run(lambda: execute_swarm(_plan(), engine, SwarmRunSettings(poll=0.01)))  # type: ignore[arg-type]


def test_executor_runs_the_plan_in_dependency_order() -> None:
    engine = _Swarm()
    report = _run(engine)
    assert report.ok
    assert engine.calls[0] == "network p_default"
    assert engine.calls[-1] == "scale id-p_web x2"
    assert report.ids["service:db"] == "id-p_db"


def test_a_failed_op_skips_only_its_dependents() -> None:
    engine = _Swarm(fail="p_db")
    report = _run(engine)
    outcomes = [r.outcome for r in report.results]
    assert outcomes == [
        Outcome.DONE,
        Outcome.FAILED,
        Outcome.SKIPPED,
        Outcome.DONE,
        Outcome.SKIPPED,
    ]
    assert "create p_web x0" in engine.calls
    assert report.failure_lines() == ["service db: create service:db failed: name p_db is taken"]


@pytest.mark.parametrize("command", [["exec", "web", "ls"], ["run", "web"], ["stop"], ["build"]])
def test_container_commands_are_refused_on_a_swarm(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestra.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["--target", "swarm", *command])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"orchestra {command[0]} works on containers, not on a swarm" in err
    assert "(target swarm from --target)" in err
