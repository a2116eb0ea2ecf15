"""What the user asked ``up`` and ``down`` to do, as frozen option records for the planners.

Plain data with no behaviour beyond validating itself (UsageError on impossible combinations).
Imports only ``orchestra.errors``, ``orchestra.records`` and the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from types import MappingProxyType

from orchestra.errors import UsageError
from orchestra.records import record

__all__ = ["PULL_POLICIES", "DownOptions", "HealHints", "UpOptions"]

PULL_POLICIES = frozenset({"always", "missing", "never"})


def _no_scale() -> Mapping[str, int]:
    return MappingProxyType({})


@record
class HealHints:
    """What a pass of ``orchestra watch`` knows beyond the engine's state (``plan.heal`` rules).

    ``hold``: services backing off after crashes (no op this pass); ``completed``: ids of
    containers that exited 0 on their own (finished jobs, not started again); ``restarted``:
    services restarted outside orchestra since the last pass (``depends_on.restart``).
    """

    hold: frozenset[str] = frozenset()
    completed: frozenset[str] = frozenset()
    restarted: frozenset[str] = frozenset()


@record
class UpOptions:
    """Options of ``up`` (and of every convergence pass).

    ``services`` empty means every enabled service; ``scale`` overrides replicas per service;
    ``pull`` overrides every service's ``pull_policy``; ``stop_timeout`` (seconds) applies to
    containers stopped for a replace, an orphan or a scale-down (None: the container's own).
    """

    services: tuple[str, ...] = ()
    no_deps: bool = False
    force_recreate: bool = False
    no_recreate: bool = False
    remove_orphans: bool = False
    scale: Mapping[str, int] = field(default_factory=_no_scale)
    wait: bool = False
    stop_timeout: float | None = None
    pull: str | None = None
    build: bool = False  # rebuild every service that has ``build:`` (``up --build``)
    heal: HealHints | None = None  # set by ``watch``: its passes follow the ``plan.heal`` rules

    def __post_init__(self) -> None:
        if self.force_recreate and self.no_recreate:
            raise UsageError("force_recreate and no_recreate exclude each other")
        if self.pull is not None and self.pull not in PULL_POLICIES:
            raise UsageError(f"unknown pull policy {self.pull!r} (always, missing or never)")
        negative = sorted(name for name, count in self.scale.items() if count < 0)
        if negative:
            raise UsageError(f"scale of {negative[0]} must not be negative")


@record
class DownOptions:
    """Options of ``down``: remove named volumes too, remove orphans, stop timeout (seconds)."""

    volumes: bool = False
    remove_orphans: bool = False
    timeout: float | None = None
