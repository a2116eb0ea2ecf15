"""``ps`` and ``logs`` on a swarm: services with desired/running replicas and, per task, the
node it runs on; the services' logs as the manager gathers them from every node.

Heavy modules are imported inside the functions (``orchestra --help`` stays fast).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import typer

from orchestra.cli.runtime import cancel_when_set, run_async
from orchestra.cli.swarm_commands import project_name
from orchestra.errors import UsageError

if TYPE_CHECKING:
    import anyio

    from orchestra.engine.swarm_base import ObservedTask, SwarmNode, SwarmObserved

__all__ = ["logs", "ps", "ps_rows", "render_ps"]


def ps_rows(
    observed: SwarmObserved,
    nodes: Sequence[SwarmNode],
    services: Sequence[str] = (),
    include_stopped: bool = False,
) -> list[dict[str, Any]]:
    """One row per service (sorted): name, compose service, mode, desired/running replicas,
    image, update state and its tasks (those meant to run, or all with ``include_stopped``)."""
    from orchestra.readiness_swarm import running_count

    hostnames = {n.id: n.hostname for n in nodes}
    rows = []
    for service in sorted(observed.services, key=lambda s: s.name):
        if services and service.service not in services:
            continue
        tasks = [t for t in observed.tasks if t.service_id == service.id]
        live = [t for t in tasks if t.desired_state == "running"]
        desired = service.replicas if service.replicas is not None else len(live)
        shown = tasks if include_stopped else live
        rows.append(
            {
                "name": service.name,
                "service": service.service or service.name,
                "mode": service.mode,
                "desired": desired,
                "running": running_count(tasks),
                "image": service.image.split("@", 1)[0],
                "update_state": service.update_state,
                "tasks": [_task_row(t, hostnames) for t in sorted(shown, key=_task_order)],
            }
        )
    return rows


def _task_order(task: ObservedTask) -> tuple[int, str, str]:
    return (task.slot or 0, task.node_id, task.id)


def _task_row(task: ObservedTask, hostnames: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": task.id[:12],
        "slot": task.slot,
        "node": hostnames.get(task.node_id, task.node_id[:12]),
        "state": task.state,
        "desired_state": task.desired_state,
        "error": task.error,
    }


def render_ps(rows: Sequence[Mapping[str, Any]]) -> str:
    """The table: a line per service, then one indented line per task."""
    lines = [f"{'SERVICE':<20} {'MODE':<11} {'REPLICAS':<9} IMAGE"]
    for row in rows:
        replicas = f"{row['running']}/{row['desired']}"
        lines.append(f"{row['service']:<20} {row['mode']:<11} {replicas:<9} {row['image']}")
        for task in row["tasks"]:
            slot = f".{task['slot']}" if task["slot"] else ""
            error = f"  {task['error']}" if task["error"] else ""
            lines.append(
                f"  {row['service'] + slot:<18} {task['node']:<20} {task['state']:<10}{error}"
            )
    return "\n".join(lines)


def ps(ctx: typer.Context) -> None:
    """``ps --target swarm``: ``--format table|json``, ``-a`` for stopped tasks too."""
    from orchestra.reconcile_swarm import open_swarm_engine, swarm_status

    params = ctx.params
    fmt = params.get("fmt", "table")
    if fmt not in ("table", "json"):
        raise UsageError(f"--format must be table or json, not {fmt!r}")
    name, _project = project_name(ctx)

    async def work(cancel: anyio.Event) -> list[dict[str, Any]]:
        engine = await open_swarm_engine()
        try:
            observed, nodes = await swarm_status(engine, name)
        finally:
            await engine.close()
        wanted = params.get("services") or ()
        return ps_rows(observed, nodes, wanted, bool(params.get("all_")))

    rows = run_async(work)
    print(json.dumps(rows, indent=2) if fmt == "json" else render_ps(rows))


def logs(ctx: typer.Context) -> None:
    """``logs --target swarm``: ``-f``, ``--tail N``, services by compose name."""
    from orchestra.reconcile_swarm import open_swarm_engine

    params = ctx.params
    name, _project = project_name(ctx)
    wanted = set(params.get("services") or ())
    bare = bool(params.get("no_prefix"))

    async def work(cancel: anyio.Event) -> None:
        import anyio

        engine = await open_swarm_engine()
        try:
            observed = await engine.observe_swarm(name)
            ids = [s.id for s in observed.services if not wanted or s.service in wanted]
            if not ids:
                return
            async with anyio.create_task_group() as group:
                group.start_soon(cancel_when_set, cancel, group.cancel_scope)
                follow, tail = bool(params.get("follow")), params.get("tail")
                async for line in engine.service_logs(ids, follow=follow, tail=tail):
                    short = line.container.removeprefix(f"{name}_")
                    prefix = "" if bare else f"{short} | "
                    print(f"{prefix}{line.text}", flush=True)
                group.cancel_scope.cancel()
        finally:
            await engine.close()

    run_async(work)
