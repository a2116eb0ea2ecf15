"""``build``: build the images of services that have ``build:``, several at a time."""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from orchestra.cli.options import global_options
from orchestra.cli.runtime import run_async
from orchestra.errors import UsageError

if TYPE_CHECKING:
    import anyio

    from orchestra.execute import Report

__all__ = ["register"]


def build(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Services to build.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore the build cache.")] = False,
    pull: Annotated[bool, typer.Option("--pull", help="Pull newer base images.")] = False,
    parallel: Annotated[int, typer.Option("--parallel", help="Builds at a time.")] = 2,
) -> None:
    """Build (or rebuild) the images of services with a build section."""
    from orchestra.plan.build_spec import build_spec
    from orchestra.plan.ops import OpKind, Plan
    from orchestra.progress import progress_sink
    from orchestra.reconcile import RunSettings, obtain_images

    project = global_options(ctx).load_project()
    names = services or sorted(project.services)
    unknown = [n for n in names if n not in project.services]
    if unknown:
        raise UsageError(f"no such service: '{unknown[0]}'")
    plan = Plan(project=project.name)
    for name in names:
        service = project.services[name]
        if service.build is None:
            continue
        spec = build_spec(project.name, service)
        spec = dataclasses.replace(spec, no_cache=no_cache or spec.no_cache, pull=pull or spec.pull)
        plan.add(OpKind.BUILD_IMAGE, f"image:{spec.tag}", "build", spec=spec, service=name)
    if not len(plan):
        print("nothing to build", file=sys.stderr)
        return

    async def work(cancel: anyio.Event) -> Report | None:
        from orchestra.api import open_docker_engine

        engine = await open_docker_engine()
        try:
            with progress_sink("auto") as sink:
                settings = RunSettings(sink=sink, cancel_event=cancel, build_concurrency=parallel)
                return await obtain_images(plan, engine, settings)
        finally:
            await engine.close()

    run_async(work)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("build")(build)
