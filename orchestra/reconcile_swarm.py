"""One convergence pass on a swarm: check → observe → plan → execute, as ``reconcile`` does for
containers. ``up --target swarm``, ``down``, ``plan`` and every pass of ``watch`` go through here.

The capability check (``plan.swarm_capabilities.check_swarm``) runs before anything touches the
engine; its warnings go first among the plan's warnings, so they are shown once. The engine must
be a swarm manager (``SwarmEngine.require_manager`` says how to make one). The project lock is
the container backend's (``lock.command_lock``, keyed by ``DOCKER_HOST``), taken by the caller.

Imports the planners, ``execute_swarm``, engine types and ``anyio``; never ``docker`` or the CLI.
"""

from __future__ import annotations

import anyio

from orchestra.engine.base import Engine, ObservedVolume
from orchestra.engine.swarm_base import SwarmEngine, SwarmNode, SwarmObserved
from orchestra.execute_swarm import SwarmRunSettings, execute_swarm
from orchestra.plan.ops import Plan
from orchestra.plan.options import DownOptions, UpOptions
from orchestra.reconcile import Outcome
from orchestra.spec.model import Project

__all__ = [
    "check_project",
    "converge_swarm",
    "open_swarm_engine",
    "plan_swarm",
    "swarm_status",
    "tear_down_swarm",
]

SWARM_CONCURRENCY = 8


def check_project(project: Project) -> list[str]:
    """The capability check: SpecError for what Swarm cannot do, warnings for what it ignores."""
    from orchestra.plan.swarm_capabilities import check_swarm

    return check_swarm(project)


async def open_swarm_engine(concurrency: int = SWARM_CONCURRENCY) -> SwarmEngine:
    """The swarm manager ``DOCKER_HOST`` names; EngineUnavailableError when none answers, a
    UsageError-like error saying how to make one when the engine is not a manager."""
    from orchestra.engine.docker_swarm import DockerSwarmEngine

    engine = await anyio.to_thread.run_sync(
        lambda: DockerSwarmEngine.from_env(max_concurrency=concurrency)
    )
    try:
        await engine.ping()
        await engine.require_manager()
    except BaseException:
        with anyio.CancelScope(shield=True):
            await engine.close()
        raise
    return engine


async def plan_swarm(
    project: Project, engine: SwarmEngine, options: UpOptions, warnings: list[str] | None = None
) -> Plan:
    """Observe the swarm and plan what ``up`` would do (no mutation)."""
    from orchestra.plan.swarm_desired import swarm_desired
    from orchestra.plan.swarm_up import plan_swarm_up

    shown = check_project(project) if warnings is None else warnings
    desired = swarm_desired(project, options)
    observed = await engine.observe_swarm(project.name)
    plan = plan_swarm_up(project.name, desired, observed, options)
    plan.warnings[:0] = shown
    return plan


async def converge_swarm(
    project: Project,
    engine: SwarmEngine,
    options: UpOptions,
    settings: SwarmRunSettings,
    *,
    dry_run: bool = False,
    warnings: list[str] | None = None,
) -> Outcome:
    """Make the swarm match ``project``: one observe → plan → execute pass.

    ``warnings``: the capability check's, when the caller already ran it (``watch`` runs it
    once, not on every pass).
    """
    plan = await plan_swarm(project, engine, options, warnings)
    if dry_run or not len(plan):  # waits alone (up --wait) still run: they change nothing
        return Outcome(plan, None)
    return Outcome(plan, await execute_swarm(plan, engine, settings))


async def tear_down_swarm(
    project_name: str,
    project: Project | None,
    engine: SwarmEngine,
    options: DownOptions,
    settings: SwarmRunSettings,
    volumes: Engine | None = None,
) -> Outcome:
    """Remove the project's services, networks, secrets and configs (volumes the manager holds
    when asked, through ``volumes``), by label."""
    from orchestra.plan.swarm_down import plan_swarm_down

    observed = await engine.observe_swarm(project_name)
    held: tuple[ObservedVolume, ...] = ()
    if options.volumes and volumes is not None:
        found = (await volumes.observe(project_name)).volumes
        external = {v.name for v in (project.volumes.values() if project else ()) if v.external}
        held = tuple(v for v in found if v.name not in external)
    defined = None if project is None else frozenset(project.services)
    plan = plan_swarm_down(project_name, observed, defined, options, held)
    if plan.is_empty:
        return Outcome(plan, None)
    return Outcome(plan, await execute_swarm(plan, engine, settings, volumes))


async def swarm_status(
    engine: SwarmEngine, project_name: str
) -> tuple[SwarmObserved, tuple[SwarmNode, ...]]:
    """The project's services and tasks, and the swarm's nodes (for ``ps``)."""
    observed = await engine.observe_swarm(project_name)
    return observed, await engine.nodes()
