"""Commands that change nothing, answered without an event loop: a no-op ``up``, ``up
--dry-run`` and ``ps``.

Most ``up`` runs against a running stack find nothing to do, and for those the event loop,
anyio and asyncio (with ``ssl``) cost more than the engine calls. ``quick_up`` reads the engine
on the caller's thread (``engine.docker_read``) and plans with the functions
``reconcile.converge`` plans with (``planned_images``, ``plan_observed``), under the project's
lock when it is free. It returns the plan when ``converge`` would run nothing either (an empty
plan, or any dry run); otherwise it returns None and the caller runs the full pass, which waits
for the lock, observes again and executes. ``quick_ps`` lists a project's containers with one
call.

Imports the loader's model, ``lock``, ``api_listing`` and the blocking engine reader; the planner
only inside ``quick_up``. Must not import ``anyio``, the async engine adapter, the CLI or
``rich``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from typing import TYPE_CHECKING

from orchestra.api_listing import listed_infos
from orchestra.engine.docker_read import EngineReader
from orchestra.lock import Holder, engine_host, lock_if_free

if TYPE_CHECKING:
    from orchestra.api_types import ContainerInfo
    from orchestra.plan.ops import Plan
    from orchestra.plan.options import UpOptions
    from orchestra.spec.model import Project

__all__ = ["quick_ps", "quick_up"]


def quick_up(project: Project, options: UpOptions, *, dry_run: bool, command: str) -> Plan | None:
    """The plan of ``up`` when running it would change nothing, else None (see the module).

    ``command`` names the caller in the project lock. Raises what ``Stack.up`` raises before it
    executes: SpecError (a dependency cycle), UsageError, EngineUnavailableError, EngineError.
    """
    from orchestra.graph import ServiceGraph
    from orchestra.reconcile import plan_observed, planned_images

    ServiceGraph.of(project)  # a cycle is a spec error: report it before the engine
    with EngineReader.from_env() as reader:
        # A dry run changes nothing, so it needs no lock.
        lock = nullcontext(_DRY) if dry_run else lock_if_free(project.name, engine_host(), command)
        with lock as held:
            if held is None:  # another command holds it: the full pass waits for it
                return None
            refs = planned_images(project, options)
            observed, images = reader.observe_with_images(project.name, refs)
            plan = plan_observed(project, observed, images, options)
    return plan if dry_run or plan.is_empty else None


_DRY = Holder(0, "", "dry run", 0.0)  # stands in for the lock a dry run does not take


def quick_ps(
    name: str,
    project: Project | None,
    services: str | Iterable[str] | None,
    include_stopped: bool,
) -> list[ContainerInfo]:
    """What ``Stack.ps(..., limits=False)`` returns, from one list call.

    Raises UsageError for a service ``project`` lacks, EngineUnavailableError, EngineError.
    """
    with EngineReader.from_env() as reader:
        return listed_infos(reader.containers(name), project, services, include_stopped)
