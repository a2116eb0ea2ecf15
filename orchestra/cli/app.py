"""The typer application and its global options; ``orchestra.cli.main`` runs it and turns its
errors into one message and an exit code."""

from __future__ import annotations

from typing import Annotated

import typer

from orchestra.cli.lazy_group import LazyGroup
from orchestra.cli.options import GlobalOptions
from orchestra.cli.quick import Handoff

__all__ = ["app", "run_app"]

app = typer.Typer(
    name="orchestra",
    cls=LazyGroup,  # builds only the command being run (the commands: lazy_group.py)
    help="A compose-style multi-container orchestrator: make a Docker Engine match compose.yaml.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


_TARGET_HELP = "Backend (else $ORCHESTRA_TARGET, else x-orchestra.target, else container)."


@app.callback()
def _global(
    ctx: typer.Context,
    file: Annotated[
        list[str] | None,
        typer.Option(
            "-f", "--file", metavar="FILE", help="Compose file (repeatable; default: compose.yaml)."
        ),
    ] = None,
    project_name: Annotated[
        str | None, typer.Option("-p", "--project-name", metavar="NAME", help="Project name.")
    ] = None,
    project_directory: Annotated[
        str | None,
        typer.Option(
            "--project-directory",
            metavar="DIR",
            help="Working directory (default: the first file's).",
        ),
    ] = None,
    env_file: Annotated[
        list[str] | None,
        typer.Option(
            "--env-file", metavar="FILE", help="Environment file (repeatable; default: .env)."
        ),
    ] = None,
    profile: Annotated[
        list[str] | None,
        typer.Option("--profile", metavar="NAME", help="Enable a profile (repeatable)."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    target: Annotated[
        str | None, typer.Option("--target", metavar="container|swarm", help=_TARGET_HELP)
    ] = None,
) -> None:
    handoff = ctx.obj if isinstance(ctx.obj, Handoff) else None
    ctx.obj = GlobalOptions.of_params(ctx.params, ctx.invoked_subcommand, handoff)
    from orchestra.cli.swarm_target import check_early

    check_early(ctx.invoked_subcommand, target)


def run_app(args: list[str], handoff: Handoff | None = None) -> None:
    """Run the typer app on ``args``; ``handoff``: what ``cli.quick`` learnt of this command
    line before it left the command to the app. OrchestraError and KeyboardInterrupt reach the
    caller (``orchestra.cli.main`` turns them into a message and an exit code)."""
    # Standalone mode lets typer/click report their own usage errors (exit 2) and Exit codes.
    app(args=args, prog_name="orchestra", standalone_mode=True, obj=handoff)
