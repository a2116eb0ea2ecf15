"""Commands that converge the engine: ``up``, ``down`` and ``plan``."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from orchestra.cli.options import global_options, open_stack, print_warnings
from orchestra.cli.plan_commands import apply_plan_file, plan
from orchestra.cli.runtime import run_async
from orchestra.errors import ExecutionFailed, UsageError

if TYPE_CHECKING:
    import anyio

    from orchestra.api import Stack
    from orchestra.events import EventSink, OpEvent
    from orchestra.plan.ops import Plan
    from orchestra.plan.options import UpOptions
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


class _LazyProgress:
    """An event sink that opens the progress display at the first event: after the project's
    lock is taken (a waiting message is not drawn over), and never for a no-op ``up``."""

    def __init__(self, mode: str) -> None:
        self._mode = mode
        self._exits = ExitStack()
        self._sink: EventSink | None = None

    def __enter__(self) -> _LazyProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._exits.close()

    def __call__(self, event: OpEvent) -> None:
        if self._sink is None:
            from orchestra.progress import progress_sink

            self._sink = self._exits.enter_context(progress_sink(self._mode))
        self._sink(event)


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
    _up(ctx, options, wait_timeout, dry_run, no_wait, mode)
    return None


def _up(
    ctx: typer.Context,
    options: UpOptions,
    wait_timeout: float,
    dry_run: bool,
    no_wait: bool,
    mode: str,
) -> None:
    from orchestra.api_quick import quick_up

    opts = global_options(ctx)
    project = opts.load_project()
    # Nothing to change (or a dry run): answered without an event loop, the lock taken if free;
    # unless cli.quick just found that this `up` has work.
    planned = opts.up_planned and not dry_run
    plan = None if planned else quick_up(project, options, dry_run=dry_run, command="orchestra up")
    if plan is None:
        stack = open_stack(ctx, project=project)
        plan = _converge(stack, options, wait_timeout, dry_run, no_wait, mode)
    if dry_run:
        print(plan.render() or "nothing to do")
    print_warnings(plan.warnings)


def _converge(
    stack: Stack, options: UpOptions, timeout: float, dry_run: bool, no_wait: bool, mode: str
) -> Plan:
    """The full ``up`` pass: ``Stack.up`` with ``options`` on the event loop, with progress."""
    run = functools.partial(
        stack.up,
        options.services,
        wait=options.wait,
        timeout=timeout,
        build=options.build,
        pull=options.pull,
        force_recreate=options.force_recreate,
        no_recreate=options.no_recreate,
        no_deps=options.no_deps,
        scale=options.scale,
        remove_orphans=options.remove_orphans,
        dry_run=dry_run,
        no_wait=no_wait,
    )
    return _run_with_progress(stack, run, mode)


def _run_with_progress(stack: Stack, run: Callable[..., Awaitable[Plan]], mode: str) -> Plan:
    """``run(progress=, cancel=, on_plan=)`` on the event loop, then close the stack.

    When the run fails, the plan's warnings are printed before the error.
    """
    plans: list[Plan] = []

    async def work(cancel: anyio.Event) -> Plan:
        try:
            with _LazyProgress(mode) as sink:
                return await run(progress=sink, cancel=cancel, on_plan=plans.append)
        finally:
            await stack.close()

    try:
        return run_async(work)
    except ExecutionFailed:
        print_warnings(plans[-1].warnings if plans else [])
        raise


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
    print_warnings(_run_with_progress(stack, run, progress.value).warnings)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("up")(up)
    app.command("down")(down)
    app.command("plan")(plan)
