"""``ps`` rows: one inspect per shown container for its ports and effective cgroup limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestra.engine.base import ContainerState, Engine, ObservedContainer

__all__ = ["ps_rows", "render_table"]


async def ps_rows(engine: Engine, containers: list[ObservedContainer]) -> list[dict[str, Any]]:
    """Rows for ``ps``: name, service, state, health, ports and the limits the engine applied.

    The inspects run concurrently: they wait on the engine, not on us.
    """
    import anyio

    states: dict[str, ContainerState] = {}

    async def inspect(container_id: str) -> None:
        states[container_id] = await engine.inspect_container(container_id)

    async with anyio.create_task_group() as group:
        for container in containers:
            group.start_soon(inspect, container.id)
    rows = []
    for container in containers:
        state = states[container.id]
        rows.append(
            {
                "name": container.name,
                "service": container.service,
                "number": container.number,
                "state": state.status.value,
                "health": state.health.value if state.health else None,
                "exit_code": state.exit_code,
                "ports": list(state.ports),
                "limits": dict(state.limits),
            }
        )
    return rows


def render_table(rows: list[dict[str, Any]]) -> str:
    """A plain aligned table like ``docker compose ps``."""
    header = ["NAME", "SERVICE", "STATUS", "PORTS"]
    body = []
    for row in rows:
        status = row["state"] + (f" ({row['health']})" if row["health"] else "")
        if row["state"] == "exited":
            status = f"exited ({row['exit_code']})"
        body.append([row["name"], row["service"] or "", status, ", ".join(row["ports"])])
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    )
