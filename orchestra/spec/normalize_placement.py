"""``deploy.placement`` and ``deploy.endpoint_mode``: where Swarm may run a service's tasks.

Both mean something only on Swarm (``--target swarm``); the container backend ignores them, as
``docker compose up`` does. Constraints are checked here, before anything reaches an engine,
with the grammar Swarm's scheduler uses (``<attribute> ==|!= <value>``): Swarm accepts a
constraint on an attribute it does not know and then leaves the task pending for ever, so an
unknown attribute (``node.label.zone`` for ``node.labels.zone``) is an error naming the file,
the service and the key. ``docker compose config`` accepts any text there; orchestra is
stricter on purpose, as it is for ``deploy.mode``.

Imports only ``orchestra.spec.model`` and ``validate_core``.
"""

from __future__ import annotations

import re

from orchestra.spec.model import Placement
from orchestra.spec.validate_core import (
    Checker,
    Loc,
    read_int,
    read_list,
    read_map,
    read_opt,
    read_str,
)

__all__ = ["ENDPOINT_MODES", "constraint_problem", "read_endpoint_mode", "read_placement"]

ENDPOINT_MODES = frozenset({"vip", "dnsrr"})
PLACEMENT_KEYS = frozenset({"constraints", "preferences", "max_replicas_per_node"})
# The node attributes Swarm's scheduler evaluates (swarmkit's constraint matcher); label
# prefixes take any label name after the dot.
NODE_ATTRIBUTES = frozenset(
    {"node.id", "node.hostname", "node.ip", "node.role", "node.platform.os", "node.platform.arch"}
)
LABEL_PREFIXES = ("node.labels.", "engine.labels.")
_OPERATORS = ("==", "!=")
_KEY = re.compile(r"[a-z_][a-z0-9_.\-]+", re.IGNORECASE)
_VALUE = re.compile(r"[a-z0-9:\-_\s.*()?+\[\]\\^$|/]+", re.IGNORECASE)


def read_placement(ck: Checker, loc: Loc) -> Placement | None:
    """``deploy.placement``: constraints, ``spread`` preferences, ``max_replicas_per_node``."""
    if read_map(ck, loc) is None:
        return None
    ck.keys(loc, PLACEMENT_KEYS)
    constraints = read_opt(ck, loc, "constraints", _read_constraints) or ()
    preferences = read_opt(ck, loc, "preferences", _read_preferences) or ()
    return Placement(
        constraints=constraints,
        preferences=preferences,
        max_replicas_per_node=read_opt(ck, loc, "max_replicas_per_node", _read_cap),
    )


def read_endpoint_mode(ck: Checker, loc: Loc) -> str | None:
    """``deploy.endpoint_mode``: ``vip`` (one virtual IP) or ``dnsrr`` (DNS round robin)."""
    text = read_str(ck, loc)
    if text is not None and text not in ENDPOINT_MODES:
        ck.add(loc, f"must be one of {', '.join(sorted(ENDPOINT_MODES))}, not {text!r}")
        return None
    return text


def constraint_problem(text: str) -> str | None:
    """Why Swarm would not evaluate ``text`` as a constraint, or None when it is well formed."""
    operator = next((op for op in _OPERATORS if op in text), None)
    if operator is None:
        return f"{text!r} is not '<attribute> == <value>' or '<attribute> != <value>'"
    key, _, value = (part.strip() for part in text.partition(operator))
    if not _KEY.fullmatch(key):
        return f"{text!r}: {key!r} is not an attribute name"
    if not _VALUE.fullmatch(value):
        return f"{text!r}: {value!r} is not a valid value"
    lowered = key.lower()
    if lowered in NODE_ATTRIBUTES:
        return None
    if any(lowered.startswith(p) and len(lowered) > len(p) for p in LABEL_PREFIXES):
        return None
    known = ", ".join([*sorted(NODE_ATTRIBUTES), *(p + "<name>" for p in LABEL_PREFIXES)])
    return f"{text!r}: Swarm knows no attribute {key!r} (one of {known})"


def _read_constraints(ck: Checker, loc: Loc) -> tuple[str, ...] | None:
    found = read_list(ck, loc, _read_constraint)
    return tuple(found) if found is not None else None


def _read_constraint(ck: Checker, loc: Loc) -> str | None:
    text = read_str(ck, loc)
    problem = None if text is None else constraint_problem(text)
    if problem is not None:
        ck.add(loc, problem)
        return None
    return text


def _read_cap(ck: Checker, loc: Loc) -> int | None:
    number = read_int(ck, loc)
    if number is not None and number < 0:
        ck.add(loc, f"must not be negative, not {number}")
        return None
    return number


def _read_preferences(ck: Checker, loc: Loc) -> tuple[str, ...] | None:
    found = read_list(ck, loc, _read_spread)
    return tuple(found) if found is not None else None


def _read_spread(ck: Checker, loc: Loc) -> str | None:
    if read_map(ck, loc) is None:
        return None
    ck.keys(loc, frozenset({"spread"}))
    if loc.get("spread") is None:
        ck.add(loc, "needs 'spread' (a node attribute such as node.labels.zone)")
        return None
    spread = read_opt(ck, loc, "spread", read_str)
    if spread is not None and not spread.strip():
        ck.add(loc.child("spread"), "must not be empty")
        return None
    return spread
