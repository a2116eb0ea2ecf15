"""A network the engine refuses to remove for a stale endpoint ends `down` with a warning."""

from __future__ import annotations

from orchestra.execute import OpResult, Outcome, Report
from orchestra.plan.ops import OpKind, Plan
from orchestra.stuck_networks import excuse_stuck_networks

_STUCK = "remove network abc: network p_back id abc has active endpoints (still so after 3 s)"


def _plan() -> Plan:
    plan = Plan(project="p")
    first = plan.add(OpKind.REMOVE_CONTAINER, "container:web:1", "down", [], engine_id="c1")
    plan.add(OpKind.REMOVE_NETWORK, "network:back", "down", [first], engine_id="abcdef0123456789")
    return plan


def test_a_stuck_network_is_a_warning_not_a_failure() -> None:
    plan = _plan()
    report = Report(
        results=(
            OpResult(plan.ops[0], Outcome.DONE),
            OpResult(plan.ops[1], Outcome.FAILED, _STUCK),
        )
    )
    excused = excuse_stuck_networks(plan, report)
    assert excused.ok and not excused.failed
    assert len(plan.warnings) == 1
    assert "network back (abcdef012345) was left in place" in plan.warnings[0]


def test_other_failures_stay_failures() -> None:
    plan = _plan()
    report = Report(
        results=(
            OpResult(plan.ops[0], Outcome.FAILED, "container has active endpoints"),
            OpResult(plan.ops[1], Outcome.FAILED, "permission denied"),
        )
    )
    excused = excuse_stuck_networks(plan, report)
    assert excused is report
    assert len(excused.failed) == 2 and not plan.warnings
