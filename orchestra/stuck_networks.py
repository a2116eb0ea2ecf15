"""A network the engine will not remove though nothing is attached becomes a warning.

Engine 20.10 sometimes keeps a stale endpoint after the last container left ("has active
endpoints" with an empty ``Containers`` map; seen in about 1 of 4 ``docker compose down`` runs
here). The adapter retries with backoff first; when the engine still refuses, failing the whole
``down`` would leave the user with exit 1 for something neither of us can fix, and the next
``up`` finds the network by name and reuses it. So the failure is turned into a warning that
names the network. Pure; never imports ``docker``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from orchestra.plan.ops import OpKind

if TYPE_CHECKING:
    from orchestra.execute import OpResult, Report
    from orchestra.plan.ops import Plan

__all__ = ["excuse_stuck_networks"]

_QUIRK = "active endpoints"


def _stuck(result: OpResult) -> bool:
    from orchestra.execute import Outcome

    return (
        result.outcome is Outcome.FAILED
        and result.op.kind is OpKind.REMOVE_NETWORK
        and _QUIRK in result.message
    )


def excuse_stuck_networks(plan: Plan, report: Report) -> Report:
    """``report`` with stuck network removals counted as done; ``plan`` gets a warning each."""
    stuck = [r for r in report.results if _stuck(r)]
    if not stuck:
        return report
    from orchestra.execute import Outcome

    for result in stuck:
        network = result.op.target.removeprefix("network:")
        engine_id = (result.op.engine_id or "")[:12]
        plan.warn(
            f"network {network} ({engine_id}) was left in place: the engine still reports "
            "active endpoints though no container is attached (an engine quirk); the next up "
            "reuses it"
        )
    excused = {id(r) for r in stuck}
    results = tuple(
        replace(r, outcome=Outcome.DONE) if id(r) in excused else r for r in report.results
    )
    return replace(report, results=results)
