"""Container states, health states and readiness conditions (engine-neutral enums)."""

from __future__ import annotations

import enum

__all__ = ["ContainerStatus", "HealthStatus", "ReadyCondition"]


class ContainerStatus(enum.StrEnum):
    """The engine's container states."""

    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    RESTARTING = "restarting"
    REMOVING = "removing"
    EXITED = "exited"
    DEAD = "dead"


class HealthStatus(enum.StrEnum):
    """Health of a container that has a healthcheck."""

    STARTING = "starting"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"


class ReadyCondition(enum.StrEnum):  # compose's service_started / _healthy / _completed
    STARTED = "started"
    HEALTHY = "healthy"
    COMPLETED = "completed"
