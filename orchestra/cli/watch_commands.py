"""``orchestra watch`` (and the engine of ``up --watch``): keep the stack converged until Ctrl-C.

Heavy modules are imported inside the functions so that ``orchestra --help`` stays fast.
"""

from __future__ import annotations

import sys
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orchestra.cli.options import GlobalOptions, global_options
from orchestra.cli.runtime import cancel_when_set, run_async
from orchestra.errors import Interrupted

if TYPE_CHECKING:
    import anyio

    from orchestra.plan.options import UpOptions
    from orchestra.spec.model import Project
    from orchestra.watch import WatchSettings

__all__ = ["register", "run_watch"]


class WatchProgress(StrEnum):
    plain = "plain"
    quiet = "quiet"


def _env_paths(ctx: typer.Context) -> list[Path]:
    """``--env-file`` paths as the loader resolves them (relative to the working directory)."""
    return [Path(p).expanduser().resolve() for p in global_options(ctx).env_files]


def run_watch(
    ctx: typer.Context,
    options: UpOptions,
    settings: WatchSettings,
    wait_timeout: float,
    progress: str = "plain",
    no_wait: bool = False,
) -> None:
    """Converge, then keep converging on every trigger until interrupted (exit 130).

    Every pass holds the project's lock (``orchestra.lock``) from its observe to the end of its
    execution, so a pass and another command's plan never interleave; with ``no_wait`` a pass
    that finds the lock taken fails (and is retried) instead of waiting.
    """
    from orchestra.graph import ServiceGraph
    from orchestra.watch_triggers import watched_paths

    opts = global_options(ctx)
    project = opts.load_project()
    ServiceGraph.of(project)  # a cycle is a spec error: report it before the engine
    paths = watched_paths(project.files, project.directory, _env_paths(ctx))
    setup = _Setup(opts, project, options, settings, paths, wait_timeout, progress, no_wait)
    try:
        run_async(setup.work)
    except Interrupted:
        print("watch stopped", file=sys.stderr)
        raise typer.Exit(130) from None


@dataclass(frozen=True)
class _Setup:
    """Everything the watch needs once the event loop runs."""

    opts: GlobalOptions
    project: Project
    options: UpOptions
    settings: WatchSettings
    paths: tuple[Path, ...]
    wait_timeout: float
    progress: str
    no_wait: bool

    def lock(self) -> AbstractAsyncContextManager[object]:
        from orchestra.lock import command_lock

        return command_lock(self.project.name, "orchestra watch", wait=not self.no_wait)

    async def work(self, cancel: anyio.Event) -> None:
        import anyio

        from orchestra.api import open_docker_engine
        from orchestra.progress import progress_sink
        from orchestra.reconcile import RunSettings
        from orchestra.watch import Watcher

        engine = await open_docker_engine()
        try:
            with progress_sink(self.progress) as sink:
                run = RunSettings(wait_timeout=self.wait_timeout, sink=sink, cancel_event=cancel)
                watcher = Watcher(
                    self.project,
                    engine,
                    self.options,
                    run,
                    self.settings,
                    load=self.opts.load_project,
                    paths=self.paths,
                    lock=self.lock,
                )
                async with anyio.create_task_group() as group:
                    group.start_soon(cancel_when_set, cancel, group.cancel_scope)
                    print(f"watching project {self.project.name} (Ctrl-C to stop)", flush=True)
                    await watcher.run()
        finally:
            await engine.close()


def watch(
    ctx: typer.Context,
    services: Annotated[list[str] | None, typer.Argument(help="Services to watch.")] = None,
    resync: Annotated[
        float, typer.Option("--resync", metavar="SECONDS", help="Full resync period.")
    ] = 30.0,
    events_json: Annotated[
        Path | None,
        typer.Option("--events-json", metavar="FILE", help="Append pass metrics as JSON lines."),
    ] = None,
    wait_timeout: Annotated[
        float, typer.Option("--wait-timeout", help="Seconds a pass waits for readiness.")
    ] = 120.0,
    no_deps: Annotated[bool, typer.Option("--no-deps", help="Don't start dependencies.")] = False,
    remove_orphans: Annotated[bool, typer.Option("--remove-orphans")] = False,
    progress: Annotated[WatchProgress, typer.Option("--progress")] = WatchProgress.plain,
) -> None:
    """Keep the stack as the files say: heal on engine events, follow file edits, resync."""
    from orchestra.cli import swarm_commands

    if swarm_commands.on_swarm(ctx):
        return swarm_commands.watch(ctx)
    from orchestra.plan.options import UpOptions
    from orchestra.watch import WatchSettings

    options = UpOptions(
        services=tuple(services or ()), no_deps=no_deps, remove_orphans=remove_orphans
    )
    settings = WatchSettings(resync=resync, events_json=events_json)
    run_watch(ctx, options, settings, wait_timeout, progress.value)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("watch")(watch)
