"""``up``, ``down``, ``plan``, ``ps``, ``logs`` and ``watch`` on a swarm (``--target swarm``).

The container commands call ``on_swarm(ctx)`` first and hand over here with their parsed
parameters (``ctx.params``), so both backends share one command line. Options with no Swarm
meaning (``--build``, ``--force-recreate``, ``up --plan``, ...) are refused with exit 2.
Heavy modules are imported inside the functions (``orchestra --help`` stays fast).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import typer

from orchestra.cli.options import global_options, print_warnings
from orchestra.cli.runtime import run_async
from orchestra.cli.swarm_target import explicit_target, file_target
from orchestra.errors import Interrupted, OrchestraError, SpecError, UsageError

if TYPE_CHECKING:
    import anyio

    from orchestra.plan.options import DownOptions, UpOptions
    from orchestra.reconcile import Outcome
    from orchestra.spec.model import Project

__all__ = ["down", "on_swarm", "plan", "up"]

_UP_REFUSED = ("build", "force_recreate", "no_recreate", "pull", "plan_file", "watch")


def on_swarm(ctx: typer.Context) -> bool:
    """Whether this command drives a swarm. Loads the files when only they can tell, and keeps
    the project for the command's own load (no second parse)."""
    opts = global_options(ctx)
    explicit = explicit_target(opts.target)
    if explicit is not None:
        return explicit == "swarm"
    try:
        project = opts.load_project()
    except SpecError:
        return False  # the container path reports it (or works by name)
    opts.preloaded = project
    where = ", ".join(map(str, project.files)) or "the Compose file"
    return file_target(project.extensions, where) == "swarm"


def _refuse(params: dict[str, Any], names: tuple[str, ...], command: str) -> None:
    given = sorted("--" + n.replace("_", "-") for n in names if params.get(n))
    if given:
        raise UsageError(f"{command} on a swarm does not take {', '.join(given)}")


def _parse_scale(values: list[str]) -> dict[str, int]:
    scale = {}
    for item in values:
        name, sep, count = item.partition("=")
        if not sep or not count.isdigit():
            raise UsageError(f"--scale expects SERVICE=NUMBER, got '{item}'")
        scale[name] = int(count)
    return scale


def _progress_mode(params: dict[str, Any]) -> str:
    if params.get("quiet"):
        return "quiet"
    return str(getattr(params.get("progress"), "value", params.get("progress") or "auto"))


def up(ctx: typer.Context) -> None:
    """``up --target swarm``: converge the swarm to the files (``--wait``: until ready)."""
    from orchestra.plan.options import UpOptions
    from orchestra.reconcile_swarm import check_project

    params = ctx.params
    _refuse(params, _UP_REFUSED, "up")
    project = global_options(ctx).load_project()
    warnings = check_project(project)  # before anything touches the engine
    options = UpOptions(
        services=tuple(params.get("services") or ()),
        no_deps=bool(params.get("no_deps")),
        remove_orphans=bool(params.get("remove_orphans")),
        scale=_parse_scale(params.get("scale") or []),
        wait=bool(params.get("wait")),
    )
    dry_run = bool(params.get("dry_run"))
    outcome = _converge(project, options, warnings, params, dry_run)
    if dry_run:
        from orchestra.plan.swarm_mask import masked_swarm_plan

        print(masked_swarm_plan(outcome.plan).render() or "nothing to do")
        return
    print_warnings(outcome.plan.warnings)
    if outcome.report is not None:
        outcome.report.raise_for_failures()


def _converge(
    project: Project,
    options: UpOptions,
    warnings: list[str],
    params: dict[str, Any],
    dry_run: bool,
) -> Outcome:
    from orchestra.execute_swarm import SwarmRunSettings
    from orchestra.lock import command_lock
    from orchestra.progress import progress_sink
    from orchestra.reconcile_swarm import converge_swarm, open_swarm_engine

    async def work(cancel: anyio.Event) -> Outcome:
        engine = await open_swarm_engine()
        try:
            async with command_lock(project.name, "orchestra up", wait=not params.get("no_wait")):
                with progress_sink(_progress_mode(params)) as sink:
                    settings = SwarmRunSettings(
                        wait_timeout=float(params.get("wait_timeout") or 300.0),
                        sink=sink,
                        cancel_event=cancel,
                    )
                    return await converge_swarm(
                        project, engine, options, settings, dry_run=dry_run, warnings=warnings
                    )
        finally:
            await engine.close()

    return run_async(work)


def down(ctx: typer.Context) -> None:
    """``down --target swarm``: services, then networks, secrets, configs (volumes with -v)."""
    from orchestra.plan.options import DownOptions

    params = ctx.params
    name, project = project_name(ctx)
    options = DownOptions(
        volumes=bool(params.get("volumes")), remove_orphans=bool(params.get("remove_orphans"))
    )
    outcome = _tear_down(name, project, options, params)
    print_warnings(outcome.plan.warnings)
    if options.volumes:
        print(
            "note: a swarm's volumes live on its nodes: only the project's volumes on the "
            "manager were removed",
            file=sys.stderr,
        )
    if outcome.report is not None:
        outcome.report.raise_for_failures()


def _tear_down(
    name: str, project: Project | None, options: DownOptions, params: dict[str, Any]
) -> Outcome:
    from orchestra.api import open_docker_engine
    from orchestra.engine.base import Engine
    from orchestra.execute_swarm import SwarmRunSettings
    from orchestra.lock import command_lock
    from orchestra.progress import progress_sink
    from orchestra.reconcile_swarm import open_swarm_engine, tear_down_swarm

    async def work(cancel: anyio.Event) -> Outcome:
        engine = await open_swarm_engine()
        volumes: Engine | None = None
        try:
            if options.volumes:
                volumes = await open_docker_engine()
            async with command_lock(name, "orchestra down", wait=not params.get("no_wait")):
                with progress_sink(_progress_mode(params)) as sink:
                    settings = SwarmRunSettings(sink=sink, cancel_event=cancel)
                    return await tear_down_swarm(name, project, engine, options, settings, volumes)
        finally:
            await engine.close()
            if volumes is not None:
                await volumes.close()

    return run_async(work)


def plan(ctx: typer.Context) -> None:
    """``plan --target swarm``: text or JSON; exit 0 nothing to change, 2 changes, 1 error."""
    from orchestra.plan.options import UpOptions
    from orchestra.plan.swarm_mask import masked_swarm_plan
    from orchestra.reconcile_swarm import check_project, open_swarm_engine, plan_swarm

    params = ctx.params
    fmt = params.get("fmt", "text")
    try:
        if params.get("out"):
            raise UsageError("plan -o (a saved plan) is not supported on a swarm yet")
        if fmt not in ("text", "json"):
            raise UsageError(f"--format must be text or json, not {fmt!r}")
        project = global_options(ctx).load_project()
        warnings = check_project(project)
        options = UpOptions(services=tuple(params.get("services") or ()))

        async def work(cancel: anyio.Event) -> Any:
            engine = await open_swarm_engine()
            try:
                return await plan_swarm(project, engine, options, warnings)
            finally:
                await engine.close()

        planned = run_async(work)
    except Interrupted:
        raise
    except OrchestraError as exc:
        if global_options(ctx).debug or os.environ.get("ORCHESTRA_DEBUG"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from exc
    shown = planned if params.get("show_secrets") else masked_swarm_plan(planned)
    print(shown.to_json() if fmt == "json" else (shown.render() or "nothing to do"))
    if not planned.is_empty:
        raise typer.Exit(2)


def project_name(ctx: typer.Context) -> tuple[str, Project | None]:
    """The project's name (``-p`` alone works without files) and, when loadable, the project."""
    opts = global_options(ctx)
    try:
        project = opts.load_project()
    except SpecError:
        if not (opts.project_name and not opts.files):
            raise
        return str(opts.project_name), None
    return project.name, project


def ps(ctx: typer.Context) -> None:
    """``ps --target swarm`` (``orchestra.cli.swarm_status``)."""
    from orchestra.cli.swarm_status import ps as swarm_ps

    swarm_ps(ctx)


def logs(ctx: typer.Context) -> None:
    """``logs --target swarm`` (``orchestra.cli.swarm_status``)."""
    from orchestra.cli.swarm_status import logs as swarm_logs

    swarm_logs(ctx)


def watch(ctx: typer.Context) -> None:
    """``watch --target swarm`` (``orchestra.cli.swarm_watch``)."""
    from orchestra.cli.swarm_watch import watch as swarm_watch

    swarm_watch(ctx)
