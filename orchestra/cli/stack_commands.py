"""Commands that converge the engine: ``up``, ``down`` and ``plan``."""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from orchestra.cli.options import global_options, open_stack, print_warnings
from orchestra.cli.plan_commands import apply_plan_file, plan
from orchestra.cli.up_run import run_up, run_with_progress
from orchestra.errors import UsageError

if TYPE_CHECKING:
    from orchestra.reconcile import Outcome

__all__ = ["register"]


class Progress(StrEnum):
    auto = "auto"
    tty = "tty"
    plain = "plain"
    quiet = "quiet"


NoWait = Annotated[
    bool,
    typer.Option("--no-wait", help="Fail at once when another command holds the project's lock."),
]
PlanFile = Annotated[
    str | None,
    typer.Option("--plan", metavar="FILE", help="Apply exactly this plan (orchestra plan -o)."),
]


def _typed_on_command_line(ctx: typer.Context, name: str) -> bool:
    # typer vendors click privately: compare the ParameterSource by name, not by import.
    source = ctx.get_parameter_source(name)
    return getattr(source, "name", "") == "COMMANDLINE"


def _refuse_planning_options(ctx: typer.Context) -> None:
    """``up --plan`` runs the saved plan as it is: options that would change it are refused."""
    kept = {"plan_file", "no_wait", "wait_timeout", "progress", "quiet", "detach"}
    given = sorted(
        "--" + name.replace("_", "-")
        for name in ctx.params
        if name not in kept and _typed_on_command_line(ctx, name)
    )
    if given:
        raise UsageError(f"--plan applies the saved plan as it is; drop {', '.join(given)}")


def _up_from_plan(
    ctx: typer.Context, plan_file: str, wait_timeout: float, mode: Progress, no_wait: bool
) -> None:
    _refuse_planning_options(ctx)
    _finish(apply_plan_file(ctx, plan_file, wait_timeout, mode.value, no_wait))


def _parse_scale(values: list[str]) -> dict[str, int]:
    scale = {}
    for item in values:
        name, sep, count = item.partition("=")
        if not sep or not count.isdigit():
            raise UsageError(f"--scale expects SERVICE=NUMBER, got '{item}'")
        scale[name] = int(count)
    return scale


def _finish(outcome: Outcome) -> None:
    print_warnings(outcome.plan.warnings)
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
    plan_file: PlanFile = None,
    no_wait: NoWait = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Then keep converging until Ctrl-C (orchestra watch).")
    ] = False,
) -> None:
    """Create and start the stack, converging only what differs from the files."""
    from orchestra.cli import swarm_commands

    if swarm_commands.on_swarm(ctx):
        return swarm_commands.up(ctx)
    if force_recreate and no_recreate:
        raise UsageError("--force-recreate and --no-recreate exclude each other")
    if plan_file is not None:
        return _up_from_plan(
            ctx, plan_file, wait_timeout, Progress.quiet if quiet else progress, no_wait
        )
    if watch and dry_run:
        raise UsageError("--watch and --dry-run exclude each other")
    scaled = _parse_scale(scale or [])
    from orchestra.plan.options import UpOptions

    options = UpOptions(
        services=tuple(services or ()),
        no_deps=no_deps,
        force_recreate=force_recreate,
        no_recreate=no_recreate,
        remove_orphans=remove_orphans,
        scale=scaled,
        wait=wait,
        build=build,
        pull=pull,
    )
    if watch:
        from orchestra.cli.watch_commands import run_watch
        from orchestra.watch import WatchSettings

        quietly = "quiet" if quiet else "plain"
        run_watch(ctx, options, WatchSettings(), wait_timeout, quietly, no_wait)
        return None
    mode = (Progress.quiet if quiet else progress).value
    project = global_options(ctx).load_project()
    run_up(project, options, wait_timeout, dry_run=dry_run, no_wait=no_wait, mode=mode)
    return None


def down(
    ctx: typer.Context,
    volumes: Annotated[bool, typer.Option("-v", "--volumes", help="Remove named volumes.")] = False,
    remove_orphans: Annotated[bool, typer.Option("--remove-orphans")] = False,
    timeout: Annotated[
        float | None, typer.Option("-t", "--timeout", help="Seconds before killing.")
    ] = None,
    progress: Annotated[Progress, typer.Option("--progress")] = Progress.auto,
    no_wait: NoWait = False,
) -> None:
    """Stop and remove the project's containers and networks (volumes with -v)."""
    from orchestra.cli import swarm_commands

    if swarm_commands.on_swarm(ctx):
        return swarm_commands.down(ctx)
    # Without files, -p alone is enough: down works by label.
    stack = open_stack(ctx, by_name=True)
    run = functools.partial(
        stack.down, volumes, remove_orphans=remove_orphans, timeout=timeout, no_wait=no_wait
    )
    print_warnings(run_with_progress(stack, run, progress.value).warnings)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("up")(up)
    app.command("down")(down)
    app.command("plan")(plan)
