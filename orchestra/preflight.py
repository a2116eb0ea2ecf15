"""Pre-flight for a plan about to run: read the facts, find the problems, refuse before acting;
and, for ``down``, leave the networks other people's containers still use.

Reads only: one list call of every container on the engine and ``exists`` checks of host paths
(bind sources only when the engine shares this host: a unix socket). The judging is the pure
``plan.preflight``. Imports the planner's types and the engine protocol; never ``docker`` or the
CLI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from orchestra.engine.base import Engine, Observed
from orchestra.plan.networks_in_use import spare_networks_in_use
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.preflight import (
    Facts,
    PreflightError,
    needs_facts,
    paths_to_check,
    plan_problems,
)
from orchestra.spec.model import Project

__all__ = ["check_before_acting", "engine_is_local", "spare_networks"]


def engine_is_local(environ: Mapping[str, str]) -> bool:
    """Whether the engine sees this host's filesystem (DOCKER_HOST unset or a unix socket)."""
    host = environ.get("DOCKER_HOST", "")
    return not host or host.startswith("unix://")


async def check_before_acting(plan: Plan, engine: Engine, project: Project | None) -> None:
    """Raise PreflightError listing every problem that would stop ``plan`` half-way.

    Costs nothing for a plan that creates no container and builds nothing; otherwise one list
    call. EngineError when the engine cannot be read.
    """
    if not needs_facts(plan):
        return
    containers = await engine.all_containers()
    paths = paths_to_check(plan, binds=engine_is_local(os.environ))
    missing = frozenset(path for path in paths if not os.path.exists(path))
    problems = plan_problems(plan, Facts(containers, missing), project)
    if problems:
        files = tuple(path.name for path in project.files) if project is not None else ()
        raise PreflightError(problems, files)


async def spare_networks(plan: Plan, observed: Observed, engine: Engine) -> Plan:
    """``plan`` (a ``down``) without removing networks that other containers still use.

    One list call, and only when the plan removes a network. EngineError when the engine
    cannot be read.
    """
    if not any(op.kind is OpKind.REMOVE_NETWORK for op in plan.ops):
        return plan
    return spare_networks_in_use(plan, observed.networks, await engine.all_containers())
