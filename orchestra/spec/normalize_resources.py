"""``deploy:``, ``ulimits:`` and ``logging:`` of a service.

``deploy`` keeps what means something on a single engine: replicas, resource limits and
reservations (cpus as a float, memory in bytes, pids), restart and update policies, and the
Swarm-only placement and endpoint mode (``normalize_placement``). ``ulimits`` entries are a
number (soft = hard) or ``{soft, hard}``.

Imports only ``orchestra.spec.model``, ``validate_core``, ``normalize_env`` and
``normalize_placement``.
"""

from __future__ import annotations

from orchestra.spec.model import (
    Deploy,
    Logging,
    ResourceLimits,
    Resources,
    RestartPolicy,
    Ulimit,
    UpdateConfig,
    frozen_map,
)
from orchestra.spec.normalize_env import read_labels
from orchestra.spec.normalize_placement import read_endpoint_mode, read_placement
from orchestra.spec.validate_core import (
    Checker,
    Loc,
    Reader,
    read_duration,
    read_float,
    read_int,
    read_map,
    read_opt,
    read_size,
    read_str,
    read_str_map,
)

__all__ = ["read_cpus", "read_deploy", "read_logging", "read_ulimits"]

DEPLOY_KEYS = frozenset(
    {
        "mode",
        "replicas",
        "labels",
        "resources",
        "restart_policy",
        "update_config",
        "rollback_config",
        "placement",
        "endpoint_mode",
    }
)
DEPLOY_UNSUPPORTED: frozenset[str] = frozenset()
RESOURCES_KEYS = frozenset({"limits", "reservations"})
LIMIT_KEYS = frozenset({"cpus", "memory", "pids"})
RESERVATION_UNSUPPORTED = frozenset({"devices", "generic_resources"})
RESTART_POLICY_KEYS = frozenset({"condition", "delay", "max_attempts", "window"})
UPDATE_KEYS = frozenset(
    {"parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"}
)
DEPLOY_MODES = frozenset({"replicated", "global"})
RESTART_CONDITIONS = frozenset({"none", "on-failure", "any"})
FAILURE_ACTIONS = frozenset({"continue", "rollback", "pause"})
UPDATE_ORDERS = frozenset({"start-first", "stop-first"})


def read_deploy(ck: Checker, loc: Loc) -> Deploy | None:
    """The ``deploy`` mapping at ``loc``."""
    if read_map(ck, loc) is None:
        return None
    ck.keys(loc, DEPLOY_KEYS, DEPLOY_UNSUPPORTED)
    replicas = read_opt(ck, loc, "replicas", read_count)
    resources = read_opt(ck, loc, "resources", _read_resources) or Resources()
    return Deploy(
        mode=read_opt(ck, loc, "mode", _choice(DEPLOY_MODES)),
        replicas=replicas,
        labels=frozen_map(read_opt(ck, loc, "labels", read_labels)),
        resources=resources,
        restart_policy=read_opt(ck, loc, "restart_policy", _read_restart_policy),
        update_config=read_opt(ck, loc, "update_config", _read_update_config),
        rollback_config=read_opt(ck, loc, "rollback_config", _read_update_config),
        placement=read_opt(ck, loc, "placement", read_placement),
        endpoint_mode=read_opt(ck, loc, "endpoint_mode", read_endpoint_mode),
    )


def read_count(ck: Checker, loc: Loc) -> int | None:
    """A non-negative integer (replicas, scale, retries)."""
    number = read_int(ck, loc)
    if number is not None and number < 0:
        ck.add(loc, f"must not be negative, not {number}")
        return None
    return number


def read_cpus(ck: Checker, loc: Loc) -> float | None:
    """A CPU count such as ``0.5`` or ``"2"``; zero means unlimited, negative is refused."""
    cpus = read_float(ck, loc)
    if cpus is not None and cpus < 0:
        ck.add(loc, f"must not be negative, not {loc.value!r}")
        return None
    return cpus


def _read_resources(ck: Checker, loc: Loc) -> Resources | None:
    if read_map(ck, loc) is None:
        return None
    ck.keys(loc, RESOURCES_KEYS)
    return Resources(
        limits=read_opt(ck, loc, "limits", _read_limits(frozenset())),
        reservations=read_opt(ck, loc, "reservations", _read_limits(RESERVATION_UNSUPPORTED)),
    )


def _read_limits(unsupported: frozenset[str]) -> Reader[ResourceLimits]:
    def read(ck: Checker, loc: Loc) -> ResourceLimits | None:
        if read_map(ck, loc) is None:
            return None
        ck.keys(loc, LIMIT_KEYS, unsupported)
        memory = read_opt(ck, loc, "memory", read_size)
        if memory is not None and memory < 0:
            ck.add(loc.child("memory"), "must not be negative")
        return ResourceLimits(
            cpus=read_opt(ck, loc, "cpus", read_cpus),
            memory=memory,
            pids=read_opt(ck, loc, "pids", read_int),
        )

    return read


def _read_restart_policy(ck: Checker, loc: Loc) -> RestartPolicy | None:
    if read_map(ck, loc) is None:
        return None
    ck.keys(loc, RESTART_POLICY_KEYS)
    return RestartPolicy(
        condition=read_opt(ck, loc, "condition", _choice(RESTART_CONDITIONS)),
        delay=read_opt(ck, loc, "delay", read_duration),
        max_attempts=read_opt(ck, loc, "max_attempts", read_count),
        window=read_opt(ck, loc, "window", read_duration),
    )


def _read_update_config(ck: Checker, loc: Loc) -> UpdateConfig | None:
    if read_map(ck, loc) is None:
        return None
    ck.keys(loc, UPDATE_KEYS)
    return UpdateConfig(
        parallelism=read_opt(ck, loc, "parallelism", read_count),
        delay=read_opt(ck, loc, "delay", read_duration),
        failure_action=read_opt(ck, loc, "failure_action", _choice(FAILURE_ACTIONS)),
        monitor=read_opt(ck, loc, "monitor", read_duration),
        max_failure_ratio=read_opt(ck, loc, "max_failure_ratio", read_float),
        order=read_opt(ck, loc, "order", _choice(UPDATE_ORDERS)),
    )


def _choice(allowed: frozenset[str]) -> Reader[str]:
    def read(ck: Checker, loc: Loc) -> str | None:
        text = read_str(ck, loc)
        if text is not None and text not in allowed:
            ck.add(loc, f"must be one of {', '.join(sorted(allowed))}, not {text!r}")
            return None
        return text

    return read


def read_ulimits(ck: Checker, loc: Loc) -> dict[str, Ulimit] | None:
    """``ulimits``: name → a number (soft = hard) or ``{soft, hard}``."""
    if read_map(ck, loc) is None:
        return None
    limits: dict[str, Ulimit] = {}
    for child in loc.items():
        if isinstance(child.value, dict):
            ck.keys(child, frozenset({"soft", "hard"}))
            soft = read_opt(ck, child, "soft", read_int)
            hard = read_opt(ck, child, "hard", read_int)
            if soft is None or hard is None:
                ck.add(child, "needs both 'soft' and 'hard'")
                continue
            if soft > hard and hard >= 0:
                ck.add(child, f"soft limit {soft} is above the hard limit {hard}")
                continue
            limits[str(child.key)] = Ulimit(soft, hard)
        elif (single := read_int(ck, child)) is not None:
            limits[str(child.key)] = Ulimit(single, single, single=True)
    return limits


def read_logging(ck: Checker, loc: Loc) -> Logging | None:
    """``logging``: a driver and its options (a null option value becomes ``""``)."""
    if read_map(ck, loc) is None:
        return None
    ck.keys(loc, frozenset({"driver", "options"}))
    options = read_opt(ck, loc, "options", read_str_map) or {}
    return Logging(
        driver=read_opt(ck, loc, "driver", read_str),
        options=frozen_map({k: v or "" for k, v in options.items()}),
    )
