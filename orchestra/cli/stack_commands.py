"""Commands that converge the engine: ``up``, ``down`` and ``plan``."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from orchestra.cli.options import global_options
from orchestra.cli.runtime import open_engine, run_async
from orchestra.errors import SpecError, UsageError

if TYPE_CHECKING:
    import anyio

    from orchestra.reconcile import Outcome
    from orchestra.spec.model import Project

__all__ = ["register"]


class Progress(StrEnum):
    auto = "auto"
    tty = "tty"
    plain = "plain"
    quiet = "quiet"


def _parse_scale(values: list[str]) -> dict[str, int]:
    scale = {}
    for item in values:
        name, sep, count = item.partition("=")
        if not sep or not count.isdigit():
            raise UsageError(f"--scale expects SERVICE=NUMBER, got '{item}'")
        scale[name] = int(count)
    return scale


def _finish(outcome: Outcome) -> None:
    for warning in outcome.plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if outcome.report is not None:
        outcome.report.raise_for_failures()


def up(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Services to start.")] = None,
    detach: Annotated[bool, typer.Option("-d", "--detach", help="Accepted; always on.")] = True,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until services are ready.")] = False,
    wait_timeout: Annotated[
        float, typer.Option("--wait-timeout", help="Seconds to wait for readiness.")
    ] = 300.0,
    force_recreate: Annotated[bool, typer.Option("--force-recreate")] = False,
    no_recreate: Annotated[bool, typer.Option("--no-recreate")] = False,
    no_deps: Annotated[bool, typer.Option("--no-deps", help="Don't start dependencies.")] = False,
    remove_orphans: Annotated[bool, typer.Option("--remove-orphans")] = False,
    scale: Annotated[
        list[str] | None, typer.Option("--scale", metavar="SERVICE=N", help="Replicas.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan only.")] = False,
    build: Annotated[bool, typer.Option("--build", help="Build images before starting.")] = False,
    pull: Annotated[
        str | None, typer.Option("--pull", help="Pull policy: always, missing or never.")
    ] = None,
    progress: Annotated[Progress, typer.Option("--progress")] = Progress.auto,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Errors only.")] = False,
) -> None:
    """Create and start the stack, converging only what differs from the files."""
    from orchestra.plan.options import UpOptions

    if force_recreate and no_recreate:
        raise UsageError("--force-recreate and --no-recreate exclude each other")
    project = global_options(ctx).load_project()
    options = UpOptions(
        services=tuple(services or ()),
        no_deps=no_deps,
        force_recreate=force_recreate,
        no_recreate=no_recreate,
        remove_orphans=remove_orphans,
        scale=_parse_scale(scale or []),
        wait=wait,
        build=build,
        pull=pull,
    )
    mode = Progress.quiet if quiet else progress
    _finish(_converge(project, options, wait_timeout, dry_run, mode))


def _converge(
    project: Project, options: object, wait_timeout: float, dry_run: bool, mode: Progress
) -> Outcome:
    from orchestra.graph import ServiceGraph
    from orchestra.plan.options import UpOptions
    from orchestra.progress import progress_sink
    from orchestra.reconcile import RunSettings, converge

    assert isinstance(options, UpOptions)
    ServiceGraph.of(project)  # a cycle is a spec error: report it before the engine

    async def work(cancel: anyio.Event) -> Outcome:
        engine = await open_engine()
        try:
            with progress_sink(mode.value) as sink:
                settings = RunSettings(
                    wait_timeout=wait_timeout, sink=sink, cancel_event=cancel, dry_run=dry_run
                )
                outcome = await converge(project, engine, options, settings)
        finally:
            await engine.close()
        if dry_run:
            print(outcome.plan.render() or "nothing to do")
        return outcome

    return run_async(work)


def down(
    ctx: typer.Context,
    volumes: Annotated[bool, typer.Option("-v", "--volumes", help="Remove named volumes.")] = False,
    remove_orphans: Annotated[bool, typer.Option("--remove-orphans")] = False,
    timeout: Annotated[
        float | None, typer.Option("-t", "--timeout", help="Seconds before killing.")
    ] = None,
    progress: Annotated[Progress, typer.Option("--progress")] = Progress.auto,
) -> None:
    """Stop and remove the project's containers and networks (volumes with -v)."""
    from orchestra.plan.options import DownOptions
    from orchestra.progress import progress_sink
    from orchestra.reconcile import RunSettings, tear_down

    opts = global_options(ctx)
    project = _project_or_none(ctx)
    name = project.name if project is not None else opts.project_name
    assert name is not None
    options = DownOptions(volumes=volumes, remove_orphans=remove_orphans, timeout=timeout)

    async def work(cancel: anyio.Event) -> Outcome:
        engine = await open_engine()
        try:
            with progress_sink(progress.value) as sink:
                settings = RunSettings(sink=sink, cancel_event=cancel)
                return await tear_down(name, project, engine, options, settings)
        finally:
            await engine.close()

    _finish(run_async(work))


def _project_or_none(ctx: typer.Context) -> Project | None:
    """The project, or None when only ``-p`` says which one (down works by label alone)."""
    opts = global_options(ctx)
    try:
        return opts.load_project()
    except SpecError:
        if opts.project_name and not opts.files:
            return None
        raise


def plan(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Services to plan for.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Show what ``up`` would change; exit 0 when nothing, 2 when changes are pending."""
    from orchestra.plan.ops import Plan
    from orchestra.plan.options import UpOptions
    from orchestra.reconcile import plan_converge

    project = global_options(ctx).load_project()
    options = UpOptions(services=tuple(services or ()))

    async def work(cancel: anyio.Event) -> Plan:
        engine = await open_engine()
        try:
            return await plan_converge(project, engine, options)
        finally:
            await engine.close()

    result = run_async(work)
    if fmt == "json":
        print(result.to_json())
    else:
        print(result.render() or "nothing to do")
    if not result.is_empty:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("up")(up)
    app.command("down")(down)
    app.command("plan")(plan)
