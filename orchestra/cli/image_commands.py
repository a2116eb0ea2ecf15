"""``pull`` and ``push``: move the project's images between the engine and their registries.

``pull`` follows compose: services without ``image:`` and those whose ``pull_policy`` is
``never`` or ``build`` are skipped, ``missing`` skips an image already present (unless tagged
``latest``), one pull per image however many services use it, and a failed pull of an image
that a service can build is a warning. ``push`` pushes the ``image:`` of every service that has
``build:`` (an image it did not build is not its to push).

Heavy modules (the engine adapter, the executor, rich) are imported inside the commands.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

import typer

from orchestra.cli.options import global_options
from orchestra.cli.runtime import run_async
from orchestra.cli.stack_commands import Progress
from orchestra.errors import ExecutionFailed, OrchestraError

if TYPE_CHECKING:
    import anyio

    from orchestra.engine.base import Engine
    from orchestra.execute import Report
    from orchestra.spec.model import Project

__all__ = ["PullChoice", "choose_pulls", "choose_pushes", "register"]

_PULLS_AT_ONCE = 4
_PUSHES_AT_ONCE = 4

Services = Annotated[list[str] | None, typer.Argument(help="Services (default: all).")]
IncludeDeps = Annotated[
    bool, typer.Option("--include-deps", help="Also the services they depend on.")
]
Quiet = Annotated[bool, typer.Option("-q", "--quiet", help="Errors only.")]


@dataclass
class PullChoice:
    """What ``pull`` will do: image → the services using it, and why others are left out."""

    pulls: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    buildable: set[str] = field(default_factory=set)  # images some chosen service can build


def _skip_reason(
    image: str | None, policy: str | None, present: bool, buildable: bool, ignore_buildable: bool
) -> str | None:
    if image is None:
        return "no image to pull"
    if policy in ("never", "build"):
        return f"pull policy {policy}"
    latest = image.rpartition("/")[2].partition(":")[2] in ("", "latest")
    if policy in ("missing", "if_not_present") and present and not latest:
        return "image is already present"
    if buildable and ignore_buildable:
        return "image can be built"
    return None


def choose_pulls(
    project: Project,
    names: list[str],
    present: Mapping[str, str | None],
    ignore_buildable: bool = False,
) -> PullChoice:
    """Which images to pull for ``names``; ``present`` maps image refs to local ids (or None)."""
    choice = PullChoice()
    for name in names:
        service = project.services[name]
        image = service.image
        reason = _skip_reason(
            image,
            service.pull_policy,
            bool(image and present.get(image)),
            service.build is not None,
            ignore_buildable,
        )
        if reason is not None or image is None:
            choice.skipped.append(f"{name}: skipped ({reason})")
            continue
        choice.pulls.setdefault(image, []).append(name)
        if service.build is not None:
            choice.buildable.add(image)
    return choice


def choose_pushes(project: Project, names: list[str]) -> dict[str, list[str]]:
    """Image → services, for the chosen services that have both ``build:`` and ``image:``."""
    pushes: dict[str, list[str]] = {}
    for name in names:
        service = project.services[name]
        if service.build is not None and service.image:
            pushes.setdefault(service.image, []).append(name)
    return pushes


def _selected(project: Project, services: list[str] | None, include_deps: bool) -> list[str]:
    from orchestra.graph import ServiceGraph

    graph = ServiceGraph.of(project)
    if not services:
        return graph.start_order()
    return graph.select(services, with_dependencies=include_deps)


async def _present(engine: Engine, project: Project, names: list[str]) -> dict[str, str | None]:
    refs = {project.services[n].image for n in names} - {None}
    return {ref: await engine.image_id(ref) for ref in sorted(r for r in refs if r)}


def _pull_failures(report: Report, choice: PullChoice, ignore: bool) -> list[str]:
    """Failures that fail the command; the rest are printed as warnings."""
    fatal = []
    for result in report.failed:
        image = result.op.image or ""
        if image in choice.buildable:
            users = " ".join(choice.pulls.get(image, []))
            print(
                f"warning: {result.message}; build it instead: orchestra build {users}",
                file=sys.stderr,
            )
        elif ignore:
            print(f"warning: {result.message}", file=sys.stderr)
        else:
            fatal.append(result.message)
    return fatal


def pull(
    ctx: typer.Context,
    services: Services = None,
    ignore_pull_failures: Annotated[
        bool, typer.Option("--ignore-pull-failures", help="Pull what it can; warn about the rest.")
    ] = False,
    ignore_buildable: Annotated[
        bool, typer.Option("--ignore-buildable", help="Skip images that can be built.")
    ] = False,
    include_deps: IncludeDeps = False,
    progress: Annotated[Progress, typer.Option("--progress")] = Progress.auto,
    quiet: Quiet = False,
) -> None:
    """Pull the images of services from their registries, with progress per layer."""
    from orchestra.execute import execute
    from orchestra.plan.ops import OpKind, Plan
    from orchestra.progress import progress_sink

    project = global_options(ctx).load_project()
    names = _selected(project, services, include_deps)

    async def work(cancel: anyio.Event) -> tuple[PullChoice, Report | None]:
        from orchestra.api import open_docker_engine

        engine = await open_docker_engine()
        try:
            choice = choose_pulls(
                project, names, await _present(engine, project, names), ignore_buildable
            )
            plan = Plan(project=project.name)
            for image, users in sorted(choice.pulls.items()):
                plan.add(OpKind.PULL_IMAGE, f"image:{image}", "pull", image=image, service=users[0])
            if not len(plan):
                return choice, None
            # Quiet: not even the failure rows; the failures end the command as its error.
            with progress_sink(progress.value) if not quiet else nullcontext() as sink:
                report = await execute(
                    plan, engine, limiter_size=_PULLS_AT_ONCE, sink=sink, cancel_event=cancel
                )
            return choice, report
        finally:
            await engine.close()

    choice, report = run_async(work)
    if not quiet:
        for line in choice.skipped:
            print(line, file=sys.stderr)
    if report is not None:
        fatal = _pull_failures(report, choice, ignore_pull_failures)
        if fatal:
            raise ExecutionFailed(fatal)


@dataclass
class _Pusher:
    """Pushes images a few at a time, printing each one's progress lines prefixed by its name."""

    engine: Engine
    quiet: bool
    failures: dict[str, str] = field(default_factory=dict)

    def _say(self, line: str) -> None:
        if not self.quiet:
            print(line, file=sys.stderr, flush=True)

    async def push(self, image: str, limiter: anyio.CapacityLimiter, cancel: anyio.Event) -> None:
        import anyio

        async with limiter:
            if cancel.is_set():
                return
            started = anyio.current_time()
            self._say(f"Image {image}  Pushing")
            try:
                await self.engine.push_image(
                    image, lambda line: self._say(f"Image {image}  Pushing: {line}")
                )
            except OrchestraError as exc:
                self.failures[image] = str(exc)
                self._say(f"Image {image}  Error: {exc}")
            else:
                self._say(f"Image {image}  Pushed {anyio.current_time() - started:.1f}s")


def push(
    ctx: typer.Context,
    services: Services = None,
    ignore_push_failures: Annotated[
        bool, typer.Option("--ignore-push-failures", help="Push what it can; warn about the rest.")
    ] = False,
    include_deps: IncludeDeps = False,
    quiet: Quiet = False,
) -> None:
    """Push the images of services with a build section to their registries."""
    project = global_options(ctx).load_project()
    names = _selected(project, services, include_deps)
    pushes = choose_pushes(project, names)
    if not pushes:
        print("nothing to push: no service has both build: and image:", file=sys.stderr)
        return

    async def work(cancel: anyio.Event) -> dict[str, str]:
        import anyio

        from orchestra.api import open_docker_engine

        engine = await open_docker_engine()
        try:
            pusher = _Pusher(engine, quiet)
            limiter = anyio.CapacityLimiter(_PUSHES_AT_ONCE)
            async with anyio.create_task_group() as group:
                for image in sorted(pushes):
                    group.start_soon(pusher.push, image, limiter, cancel)
            return pusher.failures
        finally:
            await engine.close()

    failures = run_async(work)
    if failures and ignore_push_failures:
        for message in failures.values():
            print(f"warning: {message}", file=sys.stderr)
    elif failures:
        raise ExecutionFailed([failures[image] for image in sorted(failures)])


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("pull")(pull)
    app.command("push")(push)
