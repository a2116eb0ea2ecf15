"""``watch --target swarm``: keep the swarm converged and print each change of a service's
running task count (``<service>: <running>/<desired> running``) until Ctrl-C (exit 130).

Heavy modules are imported inside the function (``orchestra --help`` stays fast).
"""

from __future__ import annotations

import sys
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

import typer

from orchestra.cli.options import global_options, print_warnings
from orchestra.cli.runtime import cancel_when_set, run_async
from orchestra.errors import Interrupted

if TYPE_CHECKING:
    import anyio

__all__ = ["watch"]


def _say(line: str) -> None:
    print(line, flush=True)


def watch(ctx: typer.Context) -> None:
    """Run the swarm watch loop with the ``watch`` command's parsed parameters."""
    from orchestra.plan.options import UpOptions
    from orchestra.reconcile_swarm import check_project
    from orchestra.watch_swarm import SwarmWatchSettings

    params = ctx.params
    project = global_options(ctx).load_project()
    print_warnings(check_project(project))  # once, not on every pass
    options = UpOptions(
        services=tuple(params.get("services") or ()),
        no_deps=bool(params.get("no_deps")),
        remove_orphans=bool(params.get("remove_orphans")),
    )
    settings = SwarmWatchSettings(
        resync=float(params.get("resync") or 30.0), events_json=params.get("events_json")
    )
    wait_timeout = float(params.get("wait_timeout") or 120.0)

    def lock() -> AbstractAsyncContextManager[object]:
        from orchestra.lock import command_lock

        return command_lock(project.name, "orchestra watch", wait=True)

    async def work(cancel: anyio.Event) -> None:
        import anyio

        from orchestra.execute_swarm import SwarmRunSettings
        from orchestra.reconcile_swarm import open_swarm_engine
        from orchestra.watch_swarm import SwarmWatcher

        engine = await open_swarm_engine()
        try:
            run = SwarmRunSettings(wait_timeout=wait_timeout, cancel_event=cancel)
            watcher = SwarmWatcher(project, engine, options, run, settings, lock, _say, [])
            async with anyio.create_task_group() as group:
                group.start_soon(cancel_when_set, cancel, group.cancel_scope)
                _say(f"watching project {project.name} on the swarm (Ctrl-C to stop)")
                await watcher.run()
        finally:
            await engine.close()

    try:
        run_async(work)
    except Interrupted:
        print("watch stopped", file=sys.stderr)
        raise typer.Exit(130) from None
