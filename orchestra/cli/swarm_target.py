"""Which backend a command drives: ``container`` (the default) or ``swarm``.

Precedence: the global ``--target`` flag, then the environment variable ``ORCHESTRA_TARGET``,
then the Compose files' top-level ``x-orchestra: {target: swarm}``, then ``container``. A bad
value is a UsageError naming where it came from. Commands that make no sense on a swarm (``run``,
``exec``, ``build``, ``start``/``stop``/``restart``, ...) are refused with exit 2.

Light on purpose (every command imports it): the standard library and ``errors`` only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from orchestra.errors import UsageError

__all__ = [
    "ENV_VAR",
    "SWARM_COMMANDS",
    "TARGETS",
    "check_command",
    "check_early",
    "explicit_target",
    "file_target",
]

ENV_VAR = "ORCHESTRA_TARGET"
TARGETS = ("container", "swarm")
# Commands with a Swarm meaning; the rest act on containers (or need no engine: config, graph).
SWARM_COMMANDS = frozenset({"up", "down", "ps", "plan", "logs", "watch", "config", "graph"})


def _checked(value: str, where: str) -> str:
    if value not in TARGETS:
        raise UsageError(f"{where}: unknown target {value!r} (container or swarm)")
    return value


def explicit_target(flag: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The target the command line or the environment names, if any; UsageError when bad."""
    if flag is not None:
        return _checked(flag, "--target")
    env = (os.environ if environ is None else environ).get(ENV_VAR)
    return _checked(env, ENV_VAR) if env else None


def file_target(extensions: Mapping[str, Any], where: str = "the Compose file") -> str | None:
    """The target the files' top-level ``x-orchestra`` names, if any; UsageError when bad."""
    block = extensions.get("x-orchestra")
    if block is None:
        return None
    if not isinstance(block, Mapping):
        raise UsageError(f"x-orchestra in {where} must be a mapping")
    value = block.get("target")
    if value is None:
        return None
    return _checked(str(value), f"x-orchestra.target in {where}")


def check_command(command: str | None, target: str | None, where: str) -> None:
    """Refuse ``command`` when ``target`` (from ``where``) is swarm and it has no Swarm meaning."""
    if target == "swarm" and command is not None and command not in SWARM_COMMANDS:
        supported = ", ".join(sorted(SWARM_COMMANDS - {"config", "graph"}))
        raise UsageError(
            f"orchestra {command} works on containers, not on a swarm (target swarm from "
            f"{where}); on a swarm orchestra runs {supported}"
        )


def check_early(command: str | None, flag: str | None) -> None:
    """Before the command runs: refuse it when ``--target``/``ORCHESTRA_TARGET`` say swarm and
    it has no Swarm meaning (the files' target is checked when they are loaded)."""
    where = "--target" if flag is not None else ENV_VAR
    check_command(command, explicit_target(flag), where)
