"""``ps`` output: the rows of ``--format json`` and the table, from ``Stack.ps`` records; and
``ps`` without ``--limits`` whole (one list call), for the typer command and ``cli.quick``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestra.api_types import ContainerInfo, PublishedPort
    from orchestra.spec.model import Project

__all__ = ["print_rows", "ps_row", "render_table", "show_ps", "shown_services"]


def _port_text(port: PublishedPort) -> str:
    # The engine's own shape ("0.0.0.0:8080->80/tcp", ":::8080->80/tcp"), not PublishedPort's
    # bracketed one: scripts read this output.
    return f"{port.host_ip}:{port.host_port}->{port.container_port}/{port.protocol}"


def ps_row(info: ContainerInfo, *, limits: bool = False) -> dict[str, Any]:
    """One row of ``ps --format json``: name, service, state, health, ports, and the limits
    when asked for (``ps --limits``; without it there is no ``limits`` key)."""
    row = {
        "name": info.name,
        "service": info.service or None,
        "number": info.number,
        "state": info.state.value,
        "health": info.health.value if info.health else None,
        "exit_code": info.exit_code,
        "ports": [_port_text(p) for p in info.ports],
    }
    return row | {"limits": dict(info.limits)} if limits else row


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


def print_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    """The rows as ``--format json`` (indented) or, for any other format, the table."""
    print(json.dumps(rows, indent=2) if fmt == "json" else render_table(rows))


def shown_services(project: Project | None, services: list[str] | None) -> list[str] | None:
    """The services to show: as ``docker compose``, unknown ones show nothing (no error)."""
    if project is None:  # known by name only: the labels decide
        return services
    return None if not services else [s for s in services if s in project.services]


def show_ps(
    project: Project | None,
    name: str,
    services: list[str] | None,
    fmt: str,
    include_stopped: bool,
) -> None:
    """Print ``ps`` (without limits) of the project ``name``, from one list call.

    Raises EngineUnavailableError, EngineError.
    """
    from orchestra.api_quick import quick_ps

    shown = shown_services(project, services)
    found = [] if shown == [] else quick_ps(name, project, shown, include_stopped)
    print_rows([ps_row(info) for info in found], fmt)
