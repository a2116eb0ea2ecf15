"""``healthcheck:`` of a service, with the ``test`` forms Compose accepts.

``test`` as a string becomes ``["CMD-SHELL", string]`` (so the string ``NONE`` becomes
``["CMD-SHELL", "NONE"]``, exactly as Compose does); as a list it must start with ``NONE``,
``CMD`` or ``CMD-SHELL``. Durations are seconds; ``disable: true`` is kept beside the rest.

Imports only ``orchestra.spec.model`` and ``orchestra.spec.validate_core``.
"""

from __future__ import annotations

from orchestra.spec.model import Healthcheck
from orchestra.spec.validate_core import (
    Checker,
    Loc,
    read_bool,
    read_duration,
    read_int,
    read_map,
    read_opt,
    read_str_list,
)

__all__ = ["HEALTHCHECK_KEYS", "read_healthcheck"]

HEALTHCHECK_KEYS = frozenset(
    {"test", "interval", "timeout", "start_period", "start_interval", "retries", "disable"}
)
_TEST_KINDS = ("NONE", "CMD", "CMD-SHELL")


def read_healthcheck(ck: Checker, loc: Loc) -> Healthcheck | None:
    """The healthcheck at ``loc`` (a mapping)."""
    if read_map(ck, loc) is None:
        return None
    ck.keys(loc, HEALTHCHECK_KEYS)
    durations = {
        key: read_opt(ck, loc, key, read_duration)
        for key in ("interval", "timeout", "start_period", "start_interval")
    }
    retries = read_opt(ck, loc, "retries", read_int)
    if retries is not None and retries < 0:
        ck.add(loc.child("retries"), f"must not be negative, not {retries}")
        retries = None
    disable = read_opt(ck, loc, "disable", read_bool) or False
    test = read_opt(ck, loc, "test", _read_test) or ()
    return Healthcheck(test=test, retries=retries, disable=disable, **durations)


def _read_test(ck: Checker, loc: Loc) -> tuple[str, ...] | None:
    if isinstance(loc.value, str):
        return ("CMD-SHELL", loc.value)
    test = read_str_list(ck, loc)
    if test and test[0] not in _TEST_KINDS:
        ck.add(loc, f"a test list must start with NONE, CMD or CMD-SHELL, not {test[0]!r}")
        return None
    if test and test[0] != "NONE" and len(test) < 2:
        ck.add(loc, f"a {test[0]} test needs a command after it")
        return None
    return test
