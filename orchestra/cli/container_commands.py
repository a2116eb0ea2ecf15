"""Commands about running containers: ``ps``, ``logs``, ``exec``, ``ls``."""

from __future__ import annotations

import json
import sys
from contextlib import aclosing
from typing import TYPE_CHECKING, Annotated, Any

import typer

from orchestra.cli.options import open_stack, project_or_name, stack_of
from orchestra.cli.runtime import cancel_when_set, run_async

if TYPE_CHECKING:
    import anyio

    from orchestra.api import Stack
    from orchestra.api_types import ContainerInfo
    from orchestra.engine.base import ExecResult

__all__ = ["register"]

_COLOURS = ("cyan", "yellow", "green", "magenta", "blue", "red")


def ps(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Services to show.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    all_: Annotated[bool, typer.Option("-a", "--all", help="Show stopped containers too.")] = False,
    limits: Annotated[
        bool,
        typer.Option("--limits", help="Add the effective cgroup limits (json; an inspect each)."),
    ] = False,
) -> None:
    """List the project's containers: state, health, ports (and effective limits)."""
    from orchestra.cli import swarm_commands

    if swarm_commands.on_swarm(ctx):
        return swarm_commands.ps(ctx)
    from orchestra.cli.ps_view import print_rows, ps_row, show_ps, shown_services

    project, name = project_or_name(ctx)
    if not limits:
        show_ps(project, name, services, fmt, all_)
        return None
    shown = shown_services(project, services)
    found = [] if shown == [] else _ps_with_limits(stack_of(project, name), shown, all_)
    print_rows([ps_row(info, limits=True) for info in found], fmt)
    return None


def _ps_with_limits(stack: Stack, shown: list[str] | None, all_: bool) -> list[ContainerInfo]:
    async def work(cancel: anyio.Event) -> list[ContainerInfo]:
        try:
            return await stack.ps(shown, include_stopped=all_, limits=True)
        finally:
            await stack.close()

    return run_async(work)


def logs(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Services to show.")] = None,
    follow: Annotated[bool, typer.Option("-f", "--follow", help="Follow new output.")] = False,
    tail: Annotated[int | None, typer.Option("--tail", help="Lines from the end.")] = None,
    no_prefix: Annotated[bool, typer.Option("--no-log-prefix")] = False,
    no_color: Annotated[bool, typer.Option("--no-color")] = False,
) -> None:
    """Show the output of the project's containers, each line prefixed by its container."""
    from orchestra.cli import swarm_commands
    from orchestra.cli.ps_view import shown_services

    if swarm_commands.on_swarm(ctx):
        return swarm_commands.logs(ctx)
    project, name = project_or_name(ctx)
    stack = stack_of(project, name)
    colour = sys.stdout.isatty() and not no_color
    shown = shown_services(project, services)

    async def work(cancel: anyio.Event) -> None:
        try:
            if shown == []:
                return
            # The prefixes are as wide as the longest container name: list them first.
            chosen = await stack.ps(shown, limits=False)
            prefixes = _prefixes([c.name for c in chosen], stack.name, no_prefix, colour)
            await _print_logs(stack, shown, prefixes, follow, tail, cancel)
        finally:
            await stack.close()

    run_async(work)


def _prefixes(names: list[str], project: str, bare: bool, colour: bool) -> dict[str, str]:
    """Container name → the prefix of its lines: the name without the project, padded."""
    if bare:
        return {name: "" for name in names}
    width = max((len(_short(n, project)) for n in names), default=0)
    prefixes = {}
    for index, name in enumerate(names):
        prefix = _short(name, project).ljust(width) + " | "
        if colour:
            prefix = typer.style(prefix, fg=_COLOURS[index % len(_COLOURS)])
        prefixes[name] = prefix
    return prefixes


def _short(container: str, project: str) -> str:
    return container.removeprefix(project + "-")


async def _print_logs(
    stack: Stack,
    services: list[str] | None,
    prefixes: dict[str, str],
    follow: bool,
    tail: int | None,
    cancel: anyio.Event,
) -> None:
    """Print the lines as they come; following, until Ctrl-C (even after every stream ended)."""
    import anyio

    async with anyio.create_task_group() as group:
        group.start_soon(cancel_when_set, cancel, group.cancel_scope)
        async with aclosing(stack.logs(services, follow=follow, tail=tail)) as lines:
            async for line in lines:
                print(f"{prefixes.get(line.container, '')}{line.text}", flush=True)
        if not follow:
            group.cancel_scope.cancel()


def exec_(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service to run the command in.")],
    command: Annotated[list[str], typer.Argument(help="Command and arguments.")],
    index: Annotated[int, typer.Option("--index", help="Which replica.")] = 1,
    user: Annotated[str | None, typer.Option("-u", "--user")] = None,
    workdir: Annotated[str | None, typer.Option("-w", "--workdir")] = None,
    env: Annotated[list[str] | None, typer.Option("-e", "--env", metavar="KEY=VAL")] = None,
) -> None:
    """Run a command in a running container of SERVICE; exit with its exit code."""
    stack = open_stack(ctx, by_name=True)
    environment = dict(item.partition("=")[::2] for item in env or [])

    async def work(cancel: anyio.Event) -> ExecResult:
        try:
            return await stack.exec(
                service, command, index=index, user=user, workdir=workdir, env=environment
            )
        finally:
            await stack.close()

    result = run_async(work)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def ls(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List the projects on this engine."""

    async def work(cancel: anyio.Event) -> list[dict[str, Any]]:
        from orchestra.api import open_docker_engine

        engine = await open_docker_engine()
        try:
            projects = await engine.list_projects()
        finally:
            await engine.close()
        rows = []
        for project, containers in projects.items():
            states: dict[str, int] = {}
            for c in containers:
                states[c.status.value] = states.get(c.status.value, 0) + 1
            status = ", ".join(f"{s}({n})" for s, n in sorted(states.items()))
            rows.append({"name": project, "status": status})
        return rows

    rows = run_async(work)
    if fmt == "json":
        print(json.dumps(rows, indent=2))
        return
    width = max((len(r["name"]) for r in rows), default=4)
    print(f"{'NAME'.ljust(width)}  STATUS")
    for row in rows:
        print(f"{row['name'].ljust(width)}  {row['status']}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("ps")(ps)
    app.command("logs")(logs)
    app.command("exec", context_settings={"allow_interspersed_args": False})(exec_)
    app.command("ls")(ls)
