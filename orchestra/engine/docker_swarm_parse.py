"""Turn a swarm manager's JSON (services, tasks, nodes, secrets, configs, info) into snapshots.

Pure functions over plain dicts: no I/O. The list calls already carry everything the planner
needs (versions, desired replicas, update state, task states), so observing a project never
inspects one object at a time. Must not import ``docker`` or ``orchestra.spec``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from orchestra.engine.docker_swarm_faults import NOT_A_MANAGER_HOW as _HOW
from orchestra.engine.swarm_base import (
    ObservedService,
    ObservedSwarmObject,
    ObservedTask,
    SwarmNode,
)

__all__ = [
    "manager_problem",
    "observed_object",
    "observed_service",
    "observed_task",
    "service_mode",
    "split_log_details",
    "swarm_node",
    "task_display_name",
    "task_names",
]

# Swarm's job modes (API 1.41) as orchestra names them.
_MODES = {
    "Replicated": "replicated",
    "Global": "global",
    "ReplicatedJob": "replicated-job",
    "GlobalJob": "global-job",
}


def _labels(raw: Mapping[str, Any] | None) -> dict[str, str]:
    return dict(raw) if raw else {}


def _spec(row: Mapping[str, Any]) -> Mapping[str, Any]:
    spec: Mapping[str, Any] = row.get("Spec") or {}
    return spec


def service_mode(spec: Mapping[str, Any]) -> tuple[str, int | None]:
    """The service's mode and desired replicas (None for global services) from its Spec."""
    mode: Mapping[str, Any] = spec.get("Mode") or {}
    for key, name in _MODES.items():
        if key in mode:
            settings: Mapping[str, Any] = mode.get(key) or {}
            if key == "Replicated":
                return name, int(settings.get("Replicas", 1))
            if key == "ReplicatedJob":
                return name, int(settings.get("TotalCompletions", 1))
            return name, None
    # The engine defaults a spec without a mode to one replica.
    return "replicated", 1


def observed_service(row: Mapping[str, Any]) -> ObservedService:
    """One row of ``GET /services``."""
    spec = _spec(row)
    mode, replicas = service_mode(spec)
    container: Mapping[str, Any] = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
    update: Mapping[str, Any] = row.get("UpdateStatus") or {}
    return ObservedService(
        id=str(row["ID"]),
        name=str(spec.get("Name", "")),
        labels=_labels(spec.get("Labels")),
        version=int((row.get("Version") or {}).get("Index", 0)),
        mode=mode,
        replicas=replicas,
        image=str(container.get("Image", "")),
        update_state=str(update["State"]) if update.get("State") else None,
        update_message=str(update.get("Message") or ""),
    )


def observed_task(row: Mapping[str, Any]) -> ObservedTask:
    """One row of ``GET /tasks``. A task whose healthcheck has not passed yet is "starting"."""
    status: Mapping[str, Any] = row.get("Status") or {}
    container: Mapping[str, Any] = status.get("ContainerStatus") or {}
    slot = row.get("Slot")
    return ObservedTask(
        id=str(row["ID"]),
        service_id=str(row.get("ServiceID", "")),
        slot=int(slot) if slot else None,
        node_id=str(row.get("NodeID") or ""),
        desired_state=str(row.get("DesiredState") or ""),
        state=str(status.get("State") or ""),
        message=str(status.get("Message") or ""),
        error=str(status.get("Err") or ""),
        container_id=str(container.get("ContainerID") or ""),
        timestamp=str(status.get("Timestamp") or ""),
    )


def task_display_name(service_name: str, task: ObservedTask) -> str:
    """``<service>.<slot>`` as ``docker service ps`` names a task (``<service>.<node>`` for a
    global service's task, which has no slot)."""
    return f"{service_name}.{task.slot if task.slot is not None else task.node_id}"


def task_names(
    services: Mapping[str, Mapping[str, Any]], task_rows: list[Mapping[str, Any]] | None
) -> dict[str, str]:
    """Task id -> ``<service>.<slot>`` for the tasks (rows of ``GET /tasks``) of ``services``
    (service id -> its row of ``GET /services``)."""
    service_names = {sid: str(_spec(row).get("Name") or sid) for sid, row in services.items()}
    tasks = map(observed_task, task_rows or [])
    return {t.id: task_display_name(service_names.get(t.service_id, ""), t) for t in tasks}


def swarm_node(row: Mapping[str, Any]) -> SwarmNode:
    """One row of ``GET /nodes``."""
    spec = _spec(row)
    description: Mapping[str, Any] = row.get("Description") or {}
    status: Mapping[str, Any] = row.get("Status") or {}
    return SwarmNode(
        id=str(row["ID"]),
        hostname=str(description.get("Hostname") or ""),
        role=str(spec.get("Role") or ""),
        availability=str(spec.get("Availability") or ""),
        state=str(status.get("State") or ""),
        labels=_labels(spec.get("Labels")),
        address=str(status.get("Addr") or ""),
    )


def observed_object(kind: str, row: Mapping[str, Any]) -> ObservedSwarmObject:
    """One row of ``GET /secrets`` or ``GET /configs`` (the list never carries the data)."""
    spec = _spec(row)
    return ObservedSwarmObject(
        kind=kind,
        id=str(row["ID"]),
        name=str(spec.get("Name", "")),
        labels=_labels(spec.get("Labels")),
    )


def manager_problem(info: Mapping[str, Any], host: str) -> str | None:
    """Why the engine at ``host`` (its ``GET /info``) cannot take swarm commands, with what to
    do about it; None when it is an active manager."""
    swarm: Mapping[str, Any] = info.get("Swarm") or {}
    state = str(swarm.get("LocalNodeState") or "inactive")
    engine = f"the Docker Engine at {host}"
    if state == "active":
        if swarm.get("ControlAvailable"):
            return None
        return (
            f"{engine} is a swarm worker, not a manager: point DOCKER_HOST at a manager of the "
            "swarm (`docker node ls` on one lists them) or promote this node with "
            "`docker node promote`"
        )
    if state == "locked":
        return f"{engine} is a swarm manager whose swarm is locked: run `docker swarm unlock`"
    if state == "pending":
        return f"{engine} is still joining a swarm: wait until it has joined, or {_HOW}"
    if state == "error":
        reason = str(swarm.get("Error") or "unknown error")
        return f"{engine} failed to join its swarm ({reason}): {_HOW}"
    return f"{engine} is not part of a swarm: {_HOW}"


def split_log_details(line: str) -> tuple[dict[str, str], str]:
    """A service log line read with ``details=1``: its details (``com.docker.swarm.task.id``
    and the like, URL-escaped ``k=v`` pairs before the first space) and the message itself."""
    head, space, message = line.partition(" ")
    if not space:
        return {}, line
    if not head:
        return {}, message  # details asked for, but the engine had none for this line
    details: dict[str, str] = {}
    for pair in head.split(","):
        key, equals, value = pair.partition("=")
        if not equals or not key:
            # Not a details prefix after all: the engine sent the line without one.
            return {}, line
        details[unquote_plus(key)] = unquote_plus(value)
    return details, message
