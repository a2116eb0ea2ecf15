"""Swarm refusals as orchestra errors: what ``docker_faults`` cannot tell from the status alone.

A swarm manager answers several "not found" cases with 400 or 500 (``network x not found``,
``rpc error: code = InvalidArgument desc = secret not found: x``), a worker or a plain engine
answers every swarm call with 503 "This node is not a swarm manager", an object still in use
is a 400, and a stale object version is a 500 "update out of sequence". This module refines
the error ``docker_faults`` already made, so each is raised as the right class with a message
that says what to do. Pure; imports only ``orchestra.errors`` and the standard library. Must not
import ``docker`` or ``orchestra.spec``.
"""

from __future__ import annotations

import re

from orchestra.errors import (
    ConflictError,
    EngineError,
    EngineUnavailableError,
    NotFoundError,
    SwarmNotManagerError,
)

__all__ = ["NOT_A_MANAGER_HOW", "out_of_sequence", "swarm_failure"]

NOT_A_MANAGER_HOW = (
    "run `docker swarm init` on that machine to make it a single-node swarm manager, "
    "or point DOCKER_HOST at a swarm manager"
)

_NOT_MANAGER = re.compile(r"not a swarm manager", re.IGNORECASE)
_NOT_FOUND = re.compile(
    r"code = NotFound"
    r"|\b(?:network|secret|config|service|node|task) \S+ not found"
    r"|\b(?:secret|config|network) not found: "
)
_IN_USE = re.compile(r"\bis in use by\b|\bin use by the following\b")
_NO_LEADER = re.compile(r"does not have a leader|no elected cluster leader", re.IGNORECASE)
_OUT_OF_SEQUENCE = "update out of sequence"


def out_of_sequence(exc: BaseException) -> bool:
    """Whether an update was refused because the version it quoted is no longer current."""
    return _OUT_OF_SEQUENCE in str(exc)


def swarm_failure(mapped: EngineError, host: str) -> EngineError:
    """The refined error for ``mapped`` (``docker_faults``' error for a swarm call), or
    ``mapped`` itself when nothing swarm-specific applies."""
    text = str(mapped)
    if isinstance(mapped, SwarmNotManagerError):
        return mapped
    if _NOT_MANAGER.search(text):
        return SwarmNotManagerError(
            f"{text}. The Docker Engine at {host} is not a swarm manager: {NOT_A_MANAGER_HOW}"
        )
    if _NO_LEADER.search(text):
        return EngineUnavailableError(
            f"{text}. The swarm behind {host} has no leader: too many of its managers are down "
            "or unreachable; bring them back (or recover with `docker swarm init "
            "--force-new-cluster` on a remaining manager)"
        )
    if isinstance(mapped, NotFoundError | ConflictError | EngineUnavailableError):
        return mapped
    if _NOT_FOUND.search(text):
        return NotFoundError(text)
    if _IN_USE.search(text):
        return ConflictError(text)
    return mapped
