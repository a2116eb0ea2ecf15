"""``run``: a one-off container of a service, after its dependencies are up.

Output is streamed (not attached to a terminal: no interactive TTY); the exit code of the
command becomes orchestra's.
"""

from __future__ import annotations

import secrets
import shlex
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from orchestra.cli.options import global_options
from orchestra.cli.runtime import run_async

if TYPE_CHECKING:
    import anyio

    from orchestra.engine.base import Engine
    from orchestra.plan.oneoff import RunOverrides
    from orchestra.spec.model import Project

__all__ = ["register"]


def run(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service to run.")],
    command: Annotated[list[str] | None, typer.Argument(help="Command and arguments.")] = None,
    rm: Annotated[bool, typer.Option("--rm", help="Remove the container when it exits.")] = False,
    detach: Annotated[bool, typer.Option("-d", "--detach", help="Don't wait.")] = False,
    no_deps: Annotated[bool, typer.Option("--no-deps", help="Don't start dependencies.")] = False,
    env: Annotated[list[str] | None, typer.Option("-e", "--env", metavar="KEY=VAL")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Container name.")] = None,
    entrypoint: Annotated[str | None, typer.Option("--entrypoint")] = None,
    user: Annotated[str | None, typer.Option("-u", "--user")] = None,
    workdir: Annotated[str | None, typer.Option("-w", "--workdir")] = None,
    service_ports: Annotated[bool, typer.Option("--service-ports")] = False,
) -> None:
    """Run a one-off command in a new container of SERVICE."""
    from orchestra.plan.oneoff import RunOverrides

    project = global_options(ctx).load_project()
    overrides = RunOverrides(
        command=tuple(command) if command else None,
        entrypoint=tuple(shlex.split(entrypoint)) if entrypoint is not None else None,
        environment=dict(item.partition("=")[::2] for item in env or []),
        user=user,
        working_dir=workdir,
        name=name,
        service_ports=service_ports,
    )

    async def work(cancel: anyio.Event) -> int:
        from orchestra.api import open_docker_engine

        engine = await open_docker_engine()
        try:
            return await _run(engine, project, service, overrides, no_deps, rm, detach, cancel)
        finally:
            await engine.close()

    code = run_async(work)
    if code:
        raise typer.Exit(code)


async def _run(
    engine: Engine,
    project: Project,
    service: str,
    overrides: RunOverrides,
    no_deps: bool,
    rm: bool,
    detach: bool,
    cancel: anyio.Event,
) -> int:
    import anyio

    from orchestra import __version__
    from orchestra.plan.container_spec import image_ref
    from orchestra.plan.oneoff import oneoff_spec
    from orchestra.plan.options import UpOptions
    from orchestra.reconcile import RunSettings, converge, prepare_service

    # Bring up what the service needs, then its image, networks and volumes (not the service).
    deps = [d for d in project.services[service].depends_on] if not no_deps else []
    settings = RunSettings(cancel_event=cancel)
    if deps:
        outcome = await converge(project, engine, UpOptions(services=tuple(deps)), settings)
        if outcome.report is not None:
            outcome.report.raise_for_failures()
    await prepare_service(project, engine, service, settings)
    ref = image_ref(project.name, project.services[service])
    spec = oneoff_spec(
        project, service, await engine.image_id(ref), __version__, secrets.token_hex(3), overrides
    )
    container = await engine.create_container(spec)
    await engine.start_container(container)
    if detach:
        print(spec.name)
        return 0
    async for line in engine.logs(container, follow=True):
        stream = sys.stdout if line.stream == "stdout" else sys.stderr
        print(line.text, file=stream, flush=True)
    state = await engine.inspect_container(container)
    for _ in range(50):  # the log stream can end a moment before the engine records the exit
        if state.status.value not in ("running", "restarting", "created"):
            break
        await anyio.sleep(0.1)
        state = await engine.inspect_container(container)
    if rm:
        await engine.remove_container(container, force=True, volumes=True)
    return state.exit_code


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("run", context_settings={"allow_interspersed_args": False})(run)
