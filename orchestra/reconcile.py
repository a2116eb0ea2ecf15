"""One convergence pass: observe → plan → execute. ``up``, ``down`` and ``watch`` all go
through here; ``api_quick`` answers a no-op ``up`` without an event loop but plans with the
same functions (``planned_images``, ``plan_observed``) and hands any work back to this pass.

Imports the planner, the executor and the engine protocol; never ``docker`` or the CLI, and
``anyio`` only inside functions (``api_quick`` plans a no-op ``up`` with no event loop). The
executor, the pre-flight check, ``plan.down`` and the saved-plan fingerprint are imported only
when a pass needs them: a no-op ``up`` runs, checks and saves no plan, and every command pays
for what it imports at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from orchestra import __version__
from orchestra.engine.base import Engine, Observed
from orchestra.graph import ServiceGraph
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import DownOptions, UpOptions
from orchestra.plan.up import plan_up
from orchestra.records import record
from orchestra.spec.model import Project

if TYPE_CHECKING:
    import anyio

    from orchestra.events import EventSink
    from orchestra.execute import Report
    from orchestra.plan.fingerprint import Fingerprint
    from orchestra.plan.saved import SavedPlan

__all__ = [
    "Outcome",
    "RunSettings",
    "apply_saved",
    "converge",
    "current_fingerprint",
    "image_refs",
    "plan_converge",
    "plan_for_saving",
    "plan_observed",
    "planned_images",
    "tear_down",
]


@record
class RunSettings:
    """How to run a plan: concurrency, waits, where progress goes, how to stop early."""

    concurrency: int = 16  # engine calls at a time; stops and removes mostly wait on the engine
    wait_timeout: float = 300.0
    sink: EventSink | None = None
    cancel_event: anyio.Event | None = None
    dry_run: bool = False
    build_concurrency: int = 2  # builds are CPU-heavy: fewer at a time than engine calls


@record
class Outcome:
    """What a pass planned and, unless it was a dry run, how the execution went."""

    plan: Plan
    report: Report | None


def image_refs(project: Project, services: list[str]) -> set[str]:
    """Every image reference the given services run (built images under their default tag)."""
    refs = set()
    for name in services:
        service = project.services[name]
        refs.add(service.image or f"{project.name}-{name}")
    return refs


def planned_images(project: Project, options: UpOptions) -> set[str]:
    """The image references an ``up`` with ``options`` looks up before planning."""
    return image_refs(project, _selected(project, options))


def plan_observed(
    project: Project, observed: Observed, images: Mapping[str, str | None], options: UpOptions
) -> Plan:
    """The plan of ``up`` against what was observed (``api_quick`` reads without a loop)."""
    return plan_up(project, observed, images, options, version=__version__)


async def _lookup_images(engine: Engine, refs: set[str]) -> Mapping[str, str | None]:
    import anyio  # a no-op `up` plans without an event loop (api_quick): keep it unimported

    found: dict[str, str | None] = {}

    async def one(ref: str) -> None:
        found[ref] = await engine.image_id(ref)

    async with anyio.create_task_group() as group:
        for ref in sorted(refs):
            group.start_soon(one, ref)
    return found


def _selected(project: Project, options: UpOptions) -> list[str]:
    graph = ServiceGraph.of(project)
    if not options.services:
        return graph.start_order()
    return graph.select(options.services, with_dependencies=not options.no_deps)


async def _run(plan: Plan, engine: Engine, settings: RunSettings) -> Outcome:
    if settings.dry_run or plan.is_empty:
        return Outcome(plan, None)
    from orchestra.execute import execute

    report = await execute(
        plan,
        engine,
        limiter_size=settings.concurrency,
        sink=settings.sink,
        wait_timeout=settings.wait_timeout,
        cancel_event=settings.cancel_event,
    )
    return Outcome(plan, report)


async def _observe_and_plan(
    project: Project, engine: Engine, options: UpOptions
) -> tuple[Plan, Observed, Mapping[str, str | None]]:
    observed: Observed = await engine.observe(project.name)
    images = await _lookup_images(engine, planned_images(project, options))
    return plan_observed(project, observed, images, options), observed, images


async def plan_converge(project: Project, engine: Engine, options: UpOptions) -> Plan:
    """Observe the engine and plan what ``up`` would do (no mutation)."""
    return (await _observe_and_plan(project, engine, options))[0]


async def plan_for_saving(project: Project, engine: Engine, options: UpOptions) -> SavedPlan:
    """Like ``plan_converge``, with the fingerprint of the state the plan was made against."""
    # Only `plan -o` and `up --plan` need these: every other command skips importing them.
    from orchestra.plan.fingerprint import fingerprint
    from orchestra.plan.saved import SavedPlan

    plan, observed, images = await _observe_and_plan(project, engine, options)
    return SavedPlan(plan, fingerprint(observed, images), __version__)


async def current_fingerprint(engine: Engine, project: str, refs: set[str]) -> Fingerprint:
    """The fingerprint of ``project`` now, with the images ``refs`` (for a staleness check)."""
    from orchestra.plan.fingerprint import fingerprint

    observed = await engine.observe(project)
    return fingerprint(observed, await _lookup_images(engine, refs))


async def apply_saved(saved: SavedPlan, engine: Engine, settings: RunSettings) -> Outcome:
    """Run exactly the saved plan, after checking the engine still is as it was planned for.

    Raises StalePlanError naming what moved (run under the project lock, so nothing moves
    between the check and the execution).
    """
    from orchestra.plan.saved import check_fresh

    now = await current_fingerprint(engine, saved.plan.project, set(saved.fingerprint.images))
    check_fresh(saved, now)
    if not settings.dry_run:
        from orchestra.preflight import check_before_acting

        await check_before_acting(saved.plan, engine, None)
    return await _run(saved.plan, engine, settings)


_IMAGE_KINDS = (OpKind.BUILD_IMAGE, OpKind.PULL_IMAGE)


async def run_only(
    plan: Plan, kinds: tuple[OpKind, ...], engine: Engine, settings: RunSettings, limit: int
) -> Report | None:
    """Run just the ops of ``kinds`` (which depend on nothing) from ``plan``; raise on failure."""
    part = Plan(project=plan.project)
    for op in plan.ops:
        if op.kind in kinds:
            part.add(op.kind, op.target, op.cause, image=op.image, service=op.service, spec=op.spec)
    if not len(part):
        return None
    from orchestra.execute import execute

    report = await execute(
        part, engine, limiter_size=limit, sink=settings.sink, cancel_event=settings.cancel_event
    )
    report.raise_for_failures()
    return report


async def obtain_images(plan: Plan, engine: Engine, settings: RunSettings) -> Report | None:
    """Run the plan's builds and pulls on their own, before any container changes.

    A failed build or pull then stops ``up`` with the stack exactly as it was.
    """
    return await run_only(plan, _IMAGE_KINDS, engine, settings, settings.build_concurrency)


async def prepare_service(
    project: Project, engine: Engine, service: str, settings: RunSettings
) -> None:
    """The image, networks and volumes one service needs, without creating its containers
    (what ``run`` needs before its one-off container)."""
    plan = await plan_converge(project, engine, UpOptions(services=(service,), no_deps=True))
    await obtain_images(plan, engine, settings)
    kinds = (OpKind.CREATE_NETWORK, OpKind.CREATE_VOLUME)
    await run_only(plan, kinds, engine, settings, settings.concurrency)


async def converge(
    project: Project, engine: Engine, options: UpOptions, settings: RunSettings
) -> Outcome:
    """Make the engine match ``project``: one observe → plan → execute pass.

    Images are obtained first (builds and pulls); the containers are then planned against the
    images as they now are, so the new image ids land in the labels.
    """
    plan = await plan_converge(project, engine, options)
    if settings.dry_run or plan.is_empty:  # nothing will change: nothing to check or obtain
        return Outcome(plan, None)
    from orchestra.preflight import check_before_acting

    await check_before_acting(plan, engine, project)  # refuse before the first mutation
    if await obtain_images(plan, engine, settings) is not None:
        # Now present: plan as if pulls and builds were only for missing images.
        plan = await plan_converge(project, engine, replace(options, build=False, pull="missing"))
    return await _run(plan, engine, settings)


async def tear_down(
    project_name: str,
    project: Project | None,
    engine: Engine,
    options: DownOptions,
    settings: RunSettings,
) -> Outcome:
    """Remove the project's containers and networks (and volumes when asked), by label."""
    from orchestra.plan.down import plan_down
    from orchestra.preflight import spare_networks

    observed = await engine.observe(project_name)
    plan = plan_down(project_name, observed, project, options)
    plan = await spare_networks(plan, observed, engine)  # leave networks others still use
    outcome = await _run(plan, engine, settings)
    if outcome.report is None:
        return outcome
    from orchestra.stuck_networks import excuse_stuck_networks

    return replace(outcome, report=excuse_stuck_networks(plan, outcome.report))
