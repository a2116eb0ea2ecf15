"""``orchestra plan`` (text, JSON, ``-o FILE``) and applying a saved plan (``up --plan FILE``).

``plan`` follows ``terraform plan -detailed-exitcode``: 0 nothing to change, 2 changes pending,
1 any error (Compose files, engine, ...), so a script can tell the three apart; 130 stays for
Ctrl-C. Heavy modules are imported inside the functions (``orchestra --help`` stays fast).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orchestra.cli.options import global_options
from orchestra.cli.runtime import run_async
from orchestra.errors import Interrupted, OrchestraError, UsageError

if TYPE_CHECKING:
    import anyio

    from orchestra.plan.saved import SavedPlan
    from orchestra.reconcile import Outcome

__all__ = ["apply_plan_file", "plan"]


def plan(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Services to plan for.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    out: Annotated[
        str | None,
        typer.Option("-o", "--out", metavar="FILE", help="Save the plan for `up --plan FILE`."),
    ] = None,
    show_secrets: Annotated[
        bool,
        typer.Option("--show-secrets", help="Show secret-looking environment values in clear."),
    ] = False,
) -> None:
    """Show what up would change, each operation with its cause and, for a recreate, the
    fields that changed (observed → desired).

    Exit codes: 0 nothing to change, 2 changes pending, 1 error (any: Compose files, engine,
    plan file), 130 interrupted. --format json prints the schema documented in
    orchestra/plan/ops.py; -o FILE also saves the plan with a fingerprint of the engine
    state, which up --plan FILE checks before applying exactly that plan.
    """
    from orchestra.cli import swarm_commands

    if swarm_commands.on_swarm(ctx):
        return swarm_commands.plan(ctx)
    try:
        if fmt not in ("text", "json"):
            raise UsageError(f"--format must be text or json, not {fmt!r}")
        saved = _make_plan(ctx, tuple(services or ()), out)
    except Interrupted:
        raise
    except OrchestraError as exc:
        if global_options(ctx).debug or os.environ.get("ORCHESTRA_DEBUG"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from exc
    from orchestra.plan.mask_plan import masked_plan

    shown = saved.plan if show_secrets else masked_plan(saved.plan)
    if fmt == "json":
        print(shown.to_json())
    else:
        print(shown.render() or "nothing to do")
    if not saved.plan.is_empty:
        raise typer.Exit(2)


def _make_plan(ctx: typer.Context, services: tuple[str, ...], out: str | None) -> SavedPlan:
    from orchestra.plan.options import UpOptions
    from orchestra.plan.saved import dumps
    from orchestra.reconcile import plan_for_saving

    project = global_options(ctx).load_project()
    options = UpOptions(services=services)

    async def work(cancel: anyio.Event) -> SavedPlan:
        from orchestra.api import open_docker_engine

        engine = await open_docker_engine()
        try:
            return await plan_for_saving(project, engine, options)
        finally:
            await engine.close()

    saved = run_async(work)
    if out is not None:
        try:
            # A saved plan holds secret values (``up --plan`` needs them): owner-only.
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # also when the file was already there
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(dumps(saved))
        except OSError as exc:
            raise OrchestraError(f"cannot write the plan to {out}: {exc}") from exc
    return saved


def _read_plan(path: str) -> SavedPlan:
    from orchestra.plan.saved import loads

    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise UsageError(f"cannot read the plan file {path}: {exc}") from exc
    return loads(text, path)


def apply_plan_file(
    ctx: typer.Context, path: str, wait_timeout: float, progress: str, no_wait: bool
) -> Outcome:
    """``up --plan FILE``: under the project lock, check the plan is fresh, then run exactly it.

    Raises UsageError (unreadable file, another project), StalePlanError (the engine moved),
    ProjectLockedError (``--no-wait`` and the lock is taken) and the errors of a run.
    """
    from orchestra.lock import command_lock
    from orchestra.progress import progress_sink
    from orchestra.reconcile import RunSettings, apply_saved

    saved = _read_plan(path)
    project = saved.plan.project
    named = global_options(ctx).project_name
    if named is not None and named != project:
        raise UsageError(f"{path} is a plan for project {project}, not {named}")

    async def work(cancel: anyio.Event) -> Outcome:
        from orchestra.api import open_docker_engine

        engine = await open_docker_engine()
        try:
            async with command_lock(project, "orchestra up --plan", wait=not no_wait):
                with progress_sink(progress) as sink:
                    settings = RunSettings(
                        wait_timeout=wait_timeout, sink=sink, cancel_event=cancel
                    )
                    return await apply_saved(saved, engine, settings)
        finally:
            await engine.close()

    return run_async(work)
