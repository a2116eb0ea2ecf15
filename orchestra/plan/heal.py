"""The watch-mode ("heal") rules of ``plan_up``, kept apart from the rules of ``up``.

They apply only when ``UpOptions.heal`` is set, which ``orchestra watch`` does on every pass:

- a service in ``hold`` (crash-loop backoff) gets no operation at all in this pass; its
  containers stay as they are and dependents see them as they are;
- a container in ``completed`` (it exited 0 on its own, without a stop or kill: a job that did
  its work) is not started again; a config change still replaces it, as any container;
- an ``unhealthy`` container of a service with ``x-orchestra: {heal: unhealthy}`` is replaced;
- ``depends_on.restart: true`` fires not only when the dependency was replaced, but also when
  this plan started or created it, or when it was restarted outside orchestra since the last
  pass (``restarted``: the engine's restart policy, or a person).

A ``restarting`` container needs no rule here: the ``up`` rules count it as up, so its restart
policy keeps owning its restarts. Pure; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Iterable

from orchestra.engine.base import ContainerStatus, HealthStatus, ObservedContainer
from orchestra.plan.container_resources import restart_policy
from orchestra.plan.options import UpOptions
from orchestra.spec.model import Service

__all__ = [
    "HEAL_UNHEALTHY",
    "is_held",
    "restart_owned",
    "restart_sources",
    "stays_completed",
    "unhealthy_cause",
]

HEAL_UNHEALTHY = "unhealthy"


def is_held(options: UpOptions, service: str) -> bool:
    """Whether a watch pass leaves ``service`` alone (it is backing off after crashes)."""
    return options.heal is not None and service in options.heal.hold


def stays_completed(options: UpOptions, container: ObservedContainer) -> bool:
    """Whether a stopped container is a finished job a watch pass must not start again."""
    heal = options.heal
    return (
        heal is not None
        and container.status is ContainerStatus.EXITED
        and container.id in heal.completed
    )


def unhealthy_cause(
    options: UpOptions, service: Service, container: ObservedContainer
) -> str | None:
    """The replace cause of an unhealthy container whose service opted in, else None."""
    if options.heal is None or service.heal != HEAL_UNHEALTHY:
        return None
    if container.status is ContainerStatus.RUNNING and container.health is HealthStatus.UNHEALTHY:
        return "unhealthy (x-orchestra heal: unhealthy)"
    return None


def restart_sources(options: UpOptions, started: Iterable[str]) -> set[str]:
    """Besides replaced services: the services whose start restarts ``restart: true`` dependents.

    ``started`` are the services this plan starts, creates or restarts (planned before the
    dependent, as services are planned in start order).
    """
    if options.heal is None:
        return set()
    return set(started) | set(options.heal.restarted)


def restart_owned(service: Service) -> bool:
    """Whether the engine's restart policy restarts the service's containers by itself."""
    return (restart_policy(service) or "no") != "no"
