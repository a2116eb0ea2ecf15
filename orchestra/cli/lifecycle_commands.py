"""``start``, ``stop`` and ``restart``: act on existing containers through the executor."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from orchestra.cli.options import global_options
from orchestra.cli.runtime import run_async

if TYPE_CHECKING:
    import anyio

    from orchestra.execute import Report
    from orchestra.plan.ops import OpKind

__all__ = ["register"]

Services = Annotated[list[str] | None, typer.Argument(help="Services (default: all).")]
Timeout = Annotated[float | None, typer.Option("-t", "--timeout", help="Seconds before killing.")]
NoWait = Annotated[
    bool,
    typer.Option("--no-wait", help="Fail at once when another command holds the project's lock."),
]


def _act(
    ctx: typer.Context,
    kind: OpKind,
    services: list[str] | None,
    timeout: float | None,
    no_wait: bool,
) -> None:
    from orchestra import api_containers
    from orchestra.execute import execute
    from orchestra.graph import ServiceGraph
    from orchestra.lock import command_lock
    from orchestra.plan.lifecycle import plan_lifecycle
    from orchestra.progress import progress_sink

    project = global_options(ctx).load_project()
    graph = ServiceGraph.of(project)

    async def work(cancel: anyio.Event) -> Report | None:
        from orchestra.api import open_docker_engine

        engine = await open_docker_engine()
        command = f"orchestra {kind.verb.lower()}"
        try:
            async with command_lock(project.name, command, wait=not no_wait):
                chosen = await api_containers.containers(engine, project.name, services)
                plan = plan_lifecycle(project.name, kind, chosen, graph, timeout)
                if plan.is_empty:
                    return None
                with progress_sink("auto") as sink:
                    return await execute(plan, engine, sink=sink, cancel_event=cancel)
        finally:
            await engine.close()

    report = run_async(work)
    if report is None:
        print("nothing to do", file=sys.stderr)
    else:
        report.raise_for_failures()


def start(ctx: typer.Context, services: Services = None, no_wait: NoWait = False) -> None:
    """Start existing containers of the project (dependencies first)."""
    from orchestra.plan.ops import OpKind

    _act(ctx, OpKind.START_CONTAINER, services, None, no_wait)


def stop(
    ctx: typer.Context, services: Services = None, timeout: Timeout = None, no_wait: NoWait = False
) -> None:
    """Stop running containers of the project (dependents first)."""
    from orchestra.plan.ops import OpKind

    _act(ctx, OpKind.STOP_CONTAINER, services, timeout, no_wait)


def restart(
    ctx: typer.Context, services: Services = None, timeout: Timeout = None, no_wait: NoWait = False
) -> None:
    """Restart containers of the project (dependencies first)."""
    from orchestra.plan.ops import OpKind

    _act(ctx, OpKind.RESTART_CONTAINER, services, timeout, no_wait)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("start")(start)
    app.command("stop")(stop)
    app.command("restart")(restart)
