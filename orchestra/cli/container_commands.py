"""Commands about running containers: ``ps``, ``logs``, ``exec``, ``ls``."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from orchestra.cli.options import global_options
from orchestra.cli.runtime import open_engine, run_async
from orchestra.errors import SpecError, UsageError

if TYPE_CHECKING:
    import anyio

    from orchestra.engine.base import Engine, ObservedContainer

__all__ = ["register", "service_containers"]

_COLOURS = ("cyan", "yellow", "green", "magenta", "blue", "red")


def service_containers(
    containers: tuple[ObservedContainer, ...], services: list[str] | None
) -> list[ObservedContainer]:
    """The project's non-one-off containers of ``services`` (all when empty), by name."""
    wanted = set(services or ())
    found = [
        c
        for c in containers
        if c.labels.get("com.docker.compose.oneoff", "False") != "True"
        and (not wanted or c.service in wanted)
    ]
    return sorted(found, key=lambda c: (c.service or "", c.number, c.name))


def _project_name(ctx: typer.Context) -> str:
    """The project's name; with ``-p`` and no files it may be read from the engine alone."""
    opts = global_options(ctx)
    if opts.project_name and not opts.files:
        try:
            return opts.load_project().name
        except SpecError:  # no compose file here: the labels still know the project
            return opts.project_name
    return opts.load_project().name


def ps(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Services to show.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    all_: Annotated[bool, typer.Option("-a", "--all", help="Show stopped containers too.")] = False,
) -> None:
    """List the project's containers: state, health, ports and effective limits."""
    from orchestra.cli.ps_view import ps_rows, render_table

    name = _project_name(ctx)

    async def work(cancel: anyio.Event) -> list[dict[str, Any]]:
        engine = await open_engine()
        try:
            observed = await engine.observe(name)
            chosen = service_containers(observed.containers, services)
            if not all_:
                chosen = [c for c in chosen if c.status.value in ("running", "restarting")]
            return await ps_rows(engine, chosen)
        finally:
            await engine.close()

    rows = run_async(work)
    if fmt == "json":
        print(json.dumps(rows, indent=2))
    else:
        print(render_table(rows))


def logs(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Services to show.")] = None,
    follow: Annotated[bool, typer.Option("-f", "--follow", help="Follow new output.")] = False,
    tail: Annotated[int | None, typer.Option("--tail", help="Lines from the end.")] = None,
    no_prefix: Annotated[bool, typer.Option("--no-log-prefix")] = False,
    no_color: Annotated[bool, typer.Option("--no-color")] = False,
) -> None:
    """Show the output of the project's containers, each line prefixed by its container."""
    name = _project_name(ctx)
    colour = sys.stdout.isatty() and not no_color

    async def work(cancel: anyio.Event) -> None:
        import anyio

        engine = await open_engine()
        try:
            observed = await engine.observe(name)
            chosen = service_containers(observed.containers, services)
            width = max((len(_short(c.name, name)) for c in chosen), default=0)
            async with anyio.create_task_group() as group:
                for index, container in enumerate(chosen):
                    prefix = "" if no_prefix else _short(container.name, name).ljust(width) + " | "
                    if colour and prefix:
                        tint = _COLOURS[index % len(_COLOURS)]
                        prefix = typer.style(prefix, fg=tint)
                    group.start_soon(_print_logs, engine, container.id, prefix, follow, tail)
                if follow:
                    await cancel.wait()  # until Ctrl-C
                    group.cancel_scope.cancel()
        finally:
            await engine.close()

    run_async(work)


def _short(container: str, project: str) -> str:
    return container.removeprefix(project + "-")


async def _print_logs(
    engine: Engine, container_id: str, prefix: str, follow: bool, tail: int | None
) -> None:
    async for line in engine.logs(container_id, follow=follow, tail=tail):
        print(f"{prefix}{line.text}", flush=True)


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
    name = _project_name(ctx)
    environment = dict(item.partition("=")[::2] for item in env or [])

    async def work(cancel: anyio.Event) -> int:
        engine = await open_engine()
        try:
            observed = await engine.observe(name)
            found = [c for c in service_containers(observed.containers, [service])]
            target = next((c for c in found if c.number == index), None)
            if target is None or target.status.value != "running":
                raise UsageError(f"service '{service}' has no running container number {index}")
            result = await engine.exec(target.id, tuple(command), user, workdir, environment)
        finally:
            await engine.close()
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        return result.exit_code

    code = run_async(work)
    if code:
        raise typer.Exit(code)


def ls(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List the projects on this engine."""

    async def work(cancel: anyio.Event) -> list[dict[str, Any]]:
        engine = await open_engine()
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
