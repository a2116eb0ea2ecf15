"""Turn the Docker Engine's JSON (list rows, inspect, events) into orchestra's snapshots.

Pure functions over plain dicts: no SDK calls, no I/O. Health in list rows comes from the
``Status`` text ("Up 3 seconds (healthy)"), so observing a project needs no inspect per
container. Must not import ``orchestra.spec``; imports nothing from ``docker``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from orchestra.engine.base import (
    ContainerState,
    ContainerStatus,
    EngineEvent,
    HealthStatus,
    ObservedContainer,
    ObservedNetwork,
    ObservedVolume,
)

_ANONYMOUS = re.compile(r"[0-9a-f]{64}")

__all__ = [
    "container_state",
    "engine_event",
    "exit_code_from_status_text",
    "health_from_status_text",
    "observed_container",
    "observed_network",
    "observed_volume",
    "pull_progress_text",
]

_HEALTH_IN_STATUS = re.compile(r"\((healthy|unhealthy|health: starting)\)\s*$")
_EXIT_IN_STATUS = re.compile(r"Exited \((-?\d+)\)")
_NEVER = "0001-01-01T00:00:00Z"


def health_from_status_text(text: str) -> HealthStatus | None:
    """The health shown in a list row's status text; None when there is no healthcheck."""
    match = _HEALTH_IN_STATUS.search(text or "")
    if match is None:
        return None
    word = match.group(1)
    return HealthStatus.STARTING if word == "health: starting" else HealthStatus(word)


def _labels(raw: Mapping[str, Any] | None) -> dict[str, str]:
    # The engine's labels are JSON string maps already: a plain copy, no per-item conversion
    # (a list call of a busy engine has hundreds of containers with dozens of labels each).
    return dict(raw) if raw else {}


def _container_name(names: list[str]) -> str:
    # Legacy links add names like "/other/alias"; the container's own has a single slash.
    for name in names:
        if name.count("/") == 1:
            return name.lstrip("/")
    return names[0].lstrip("/") if names else ""


def observed_container(row: Mapping[str, Any]) -> ObservedContainer:
    """One row of ``GET /containers/json``."""
    return ObservedContainer(
        id=str(row["Id"]),
        name=_container_name(list(row.get("Names") or [])),
        labels=_labels(row.get("Labels")),
        status=ContainerStatus(str(row.get("State", "created"))),
        health=health_from_status_text(str(row.get("Status", ""))),
        image_id=str(row.get("ImageID", "")),
        created=int(row.get("Created", 0)),
        anonymous_volumes=_anonymous_volumes(row.get("Mounts") or []),
        networks=frozenset(((row.get("NetworkSettings") or {}).get("Networks") or {}).keys()),
        image=str(row.get("Image") or ""),
        command=str(row.get("Command") or ""),
        status_text=str(row.get("Status") or ""),
        exit_code=exit_code_from_status_text(str(row.get("Status") or "")),
        ports=_listed_ports(row.get("Ports") or []),
    )


def exit_code_from_status_text(text: str) -> int:
    """The exit code in a list row's status text ("Exited (137) 2 seconds ago"); else 0."""
    match = _EXIT_IN_STATUS.match(text or "")
    return int(match.group(1)) if match else 0


def _listed_ports(ports: list[Mapping[str, Any]]) -> tuple[str, ...]:
    """Published ports of a list row, shaped like an inspect's (exposed-only ones left out)."""
    shown = {
        f"{p.get('IP', '')}:{p['PublicPort']}->{p.get('PrivatePort')}/{p.get('Type', 'tcp')}"
        for p in ports
        if p.get("PublicPort")
    }
    return tuple(sorted(shown))


def _anonymous_volumes(mounts: list[Mapping[str, Any]]) -> dict[str, str]:
    """Volume mounts whose volume the engine named itself (64 hex digits): anonymous ones."""
    return {
        str(m.get("Destination")): str(m.get("Name"))
        for m in mounts
        if m.get("Type") == "volume" and _ANONYMOUS.fullmatch(str(m.get("Name") or ""))
    }


def observed_network(row: Mapping[str, Any]) -> ObservedNetwork:
    """One row of ``GET /networks``."""
    return ObservedNetwork(
        id=str(row["Id"]),
        name=str(row["Name"]),
        labels=_labels(row.get("Labels")),
        driver=str(row.get("Driver") or "bridge"),
    )


def observed_volume(row: Mapping[str, Any]) -> ObservedVolume:
    """One entry of ``GET /volumes``."""
    return ObservedVolume(
        name=str(row["Name"]),
        labels=_labels(row.get("Labels")),
        driver=str(row.get("Driver") or "local"),
    )


def _time(value: Any) -> str:
    text = str(value or "")
    return "" if text in ("", _NEVER) else text


def container_state(inspect: Mapping[str, Any]) -> ContainerState:
    """The readiness-relevant part of ``GET /containers/{id}/json``."""
    state: Mapping[str, Any] = inspect.get("State") or {}
    health: Mapping[str, Any] = state.get("Health") or {}
    log: list[Mapping[str, Any]] = list(health.get("Log") or [])
    status_text = str(health.get("Status") or "")
    return ContainerState(
        id=str(inspect["Id"]),
        name=str(inspect.get("Name", "")).lstrip("/"),
        status=ContainerStatus(str(state.get("Status", "created"))),
        health=HealthStatus(status_text) if status_text in set(HealthStatus) else None,
        exit_code=int(state.get("ExitCode") or 0),
        started_at=_time(state.get("StartedAt")),
        finished_at=_time(state.get("FinishedAt")),
        restart_count=int(inspect.get("RestartCount") or 0),
        oom_killed=bool(state.get("OOMKilled")),
        health_log=tuple(str(entry.get("Output") or "") for entry in log),
        health_log_end=_time(log[-1].get("End")) if log else "",
        ports=_published(inspect),
        limits=_limits(inspect),
    )


_LIMIT_KEYS = {
    "memory": "Memory",
    "memory_swap": "MemorySwap",
    "memory_reservation": "MemoryReservation",
    "nano_cpus": "NanoCpus",
    "cpu_shares": "CpuShares",
    "cpu_quota": "CpuQuota",
    "cpu_period": "CpuPeriod",
    "cpuset_cpus": "CpusetCpus",
    "pids_limit": "PidsLimit",
    "shm_size": "ShmSize",
}


def _limits(inspect: Mapping[str, Any]) -> dict[str, int | str]:
    """The cgroup limits the engine applied; unset ones (0, empty) are left out."""
    host: Mapping[str, Any] = inspect.get("HostConfig") or {}
    found: dict[str, int | str] = {}
    for key, field_name in _LIMIT_KEYS.items():
        value = host.get(field_name)
        if value:
            found[key] = value if isinstance(value, str) else int(value)
    return found


def _published(inspect: Mapping[str, Any]) -> tuple[str, ...]:
    ports: Mapping[str, Any] = (inspect.get("NetworkSettings") or {}).get("Ports") or {}
    shown = []
    for container_port, bindings in sorted(ports.items()):
        for binding in bindings or []:
            shown.append(f"{binding.get('HostIp', '')}:{binding.get('HostPort')}->{container_port}")
    return tuple(shown)


def engine_event(raw: Mapping[str, Any]) -> EngineEvent:
    """One decoded message of ``GET /events``."""
    actor: Mapping[str, Any] = raw.get("Actor") or {}
    return EngineEvent(
        type=str(raw.get("Type", "")),
        action=str(raw.get("Action") or raw.get("status") or ""),
        id=str(actor.get("ID") or raw.get("id") or ""),
        attributes=_labels(actor.get("Attributes")),
        time_nano=int(raw.get("timeNano") or int(raw.get("time") or 0) * 1_000_000_000),
    )


def pull_progress_text(message: Mapping[str, Any]) -> str:
    """One line for a pull progress message: "<layer> <status> <progress bar>"."""
    return " ".join(str(message[key]) for key in ("id", "status", "progress") if message.get(key))
