"""A service's host settings in engine units: cgroup limits, restart policy, healthcheck, logging.

Where Compose offers two spellings of one knob (``mem_limit`` and
``deploy.resources.limits.memory``), ``deploy`` wins, as ``docker compose`` v2 does (verified
with ``up`` + ``docker inspect``): limits.memory/cpus/pids over mem_limit/cpus/pids_limit,
reservations.memory over mem_reservation, ``deploy.restart_policy`` over ``restart``. The loader
already rejects two different values for the same limit. What the engine would ignore is
reported by ``spec_warnings``, never dropped silently. Pure; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

from typing import TypeVar

from orchestra.engine.base import HealthSpec, LogConfig, Resources, Ulimit
from orchestra.spec.model import Healthcheck, Logging, ResourceLimits, Service

__all__ = [
    "deploy_limits",
    "deploy_reservations",
    "healthcheck",
    "log_config",
    "resources",
    "restart_policy",
    "stop_timeout",
]

_T = TypeVar("_T")

# deploy.restart_policy.condition → the engine's restart policy name (as compose maps it).
_CONDITIONS = {"none": "no", "no": "no", "any": "always", "always": "always"}


def deploy_limits(service: Service) -> ResourceLimits:
    """``deploy.resources.limits``, empty when not written."""
    found = service.deploy.resources.limits if service.deploy else None
    return found or ResourceLimits()


def deploy_reservations(service: Service) -> ResourceLimits:
    """``deploy.resources.reservations``, empty when not written."""
    found = service.deploy.resources.reservations if service.deploy else None
    return found or ResourceLimits()


def _first(*values: _T | None) -> _T | None:
    return next((v for v in values if v is not None), None)


def resources(service: Service) -> Resources:
    """Every cgroup knob of ``service``; ``deploy.resources`` wins over the direct attributes."""
    limits, reservations = deploy_limits(service), deploy_reservations(service)
    cpus = _first(limits.cpus, service.cpus)
    ulimits = tuple(Ulimit(name, u.soft, u.hard) for name, u in sorted(service.ulimits.items()))
    return Resources(
        memory=_first(limits.memory, service.mem_limit),
        memory_swap=service.memswap_limit,
        memory_reservation=_first(reservations.memory, service.mem_reservation),
        memory_swappiness=service.mem_swappiness,
        # round(): cpus is a float, and 0.29 * 1e9 is 289999999.99999994.
        nano_cpus=None if cpus is None else round(cpus * 1_000_000_000),
        cpu_shares=service.cpu_shares,
        cpu_quota=service.cpu_quota,
        cpu_period=service.cpu_period,
        cpuset_cpus=service.cpuset,
        pids_limit=_first(limits.pids, service.pids_limit),
        oom_kill_disable=True if service.oom_kill_disable else None,
        oom_score_adj=service.oom_score_adj,
        shm_size=service.shm_size,
        ulimits=ulimits,
    )


def restart_policy(service: Service) -> str | None:
    """The engine restart policy: ``deploy.restart_policy`` when written, else ``restart``."""
    policy = service.deploy.restart_policy if service.deploy else None
    if policy is None:
        return service.restart
    # No condition: compose sends an empty policy name, which the engine reads as "no".
    name = _CONDITIONS.get(policy.condition or "none", policy.condition or "no")
    if name == "on-failure" and policy.max_attempts is not None:
        return f"on-failure:{policy.max_attempts}"
    return name


def healthcheck(check: Healthcheck | None) -> HealthSpec | None:
    """The healthcheck in engine form; ``disable`` (or a ``NONE`` test) turns the image's off."""
    if check is None:
        return None
    if check.disable or check.test[:1] == ("NONE",):
        return HealthSpec(test=("NONE",))
    return HealthSpec(
        test=check.test,  # empty: keep the image's test, override only the timings
        interval=check.interval,
        timeout=check.timeout,
        retries=check.retries,
        start_period=check.start_period,
        start_interval=check.start_interval,
    )


def log_config(logging: Logging | None) -> LogConfig | None:
    """``logging:``; no driver means the engine's default driver with the given options."""
    if logging is None:
        return None
    return LogConfig(driver=logging.driver or "", options=dict(logging.options))


def stop_timeout(grace_period: float | None) -> int | None:
    """``stop_grace_period`` in whole seconds, truncated as compose does (1.5s → 1)."""
    return None if grace_period is None else int(grace_period)
