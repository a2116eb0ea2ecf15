"""Typed reading of raw Compose values, collecting every problem with its file:line:column.

A ``Loc`` names one value inside a raw tree (its parent container, its key and its dotted path);
a ``Checker`` gathers ``Problem``s. The ``read_*`` functions turn a raw value into a Python
value of the wanted type, or record a problem and return ``None`` so the caller can go on and
report the next problem too. Values from interpolation arrive as strings, so numbers and
booleans also accept their string forms, as ``docker compose`` does.

Imports only ``orchestra.errors``, ``orchestra.spec.raw`` and
``orchestra.spec.units``.
"""

from __future__ import annotations

import contextlib
import difflib
import math
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from orchestra.errors import Mark, Problem
from orchestra.spec.raw import RList, RMap, key_mark, value_mark
from orchestra.spec.units import parse_duration, parse_size

__all__ = [
    "Checker",
    "Loc",
    "Reader",
    "read_bool",
    "read_duration",
    "read_float",
    "read_int",
    "read_list",
    "read_map",
    "read_opt",
    "read_required",
    "read_size",
    "read_str",
    "read_str_list",
    "read_str_map",
    "scalar_text",
]

T = TypeVar("T")
_TRUE = frozenset({"true", "yes", "on", "y"})
_FALSE = frozenset({"false", "no", "off", "n"})


class Loc:
    """One value in a raw tree: ``parent[key]``, known to users as ``path``.

    A plain class with slots, not a record: validation makes one per value it reads (a dozen
    per service), and a record's guarded ``__setattr__`` ran for each field of each.
    """

    __slots__ = ("key", "parent", "path")

    def __init__(self, parent: Any, key: str | int, path: str) -> None:
        self.parent = parent
        self.key = key
        self.path = path

    def __repr__(self) -> str:
        return f"Loc(path={self.path!r})"

    @property
    def value(self) -> Any:
        return self.parent[self.key]

    @property
    def mark(self) -> Mark | None:
        """Where the value is written."""
        return value_mark(self.parent, self.key)

    @property
    def key_mark(self) -> Mark | None:
        """Where the key is written (the item start for list items)."""
        return key_mark(self.parent, self.key)

    def child(self, key: str | int) -> Loc:
        """The value under ``key`` (a map key or a list index) of this value."""
        if isinstance(key, int):
            sub = f"{self.path}[{key}]"
        else:
            sub = f"{self.path}.{key}" if self.path else key
        return Loc(self.value, key, sub)

    def get(self, key: str) -> Loc | None:
        """The child ``key`` when this value is a map holding it, else None."""
        value = self.value
        if isinstance(value, dict) and key in value:
            return self.child(key)
        return None

    def items(self) -> Iterator[Loc]:
        """Children of a map (``x-`` keys left out) or of a list, in order."""
        value = self.value
        if isinstance(value, dict):
            yield from (self.child(k) for k in value if not str(k).startswith("x-"))
        elif isinstance(value, list):
            yield from (self.child(i) for i in range(len(value)))


@dataclass
class Checker:
    """Collects problems; every reader reports through it and carries on."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, loc: Loc, message: str, *, at_key: bool = False) -> None:
        """Record ``message`` about ``loc``, marked at its key or at its value."""
        mark = loc.key_mark if at_key else loc.mark
        self.problems.append(Problem(loc.path, message, mark))

    def keys(self, loc: Loc, known: Collection[str], unsupported: Collection[str] = ()) -> None:
        """Report every key of the map at ``loc`` that is not ``known`` (``x-`` keys pass)."""
        value = loc.value
        if not isinstance(value, dict):
            return
        for key in value:
            name = str(key)
            if name in known or name.startswith("x-"):
                continue
            child = loc.child(name)
            if name in unsupported:
                self.add(child, "not supported by orchestra", at_key=True)
                continue
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.add(child, f"unknown attribute{hint}", at_key=True)


Reader = Callable[[Checker, Loc], T | None]
"""Reads one value at a ``Loc``; returns None after reporting a problem."""


def scalar_text(value: Any) -> str | None:
    """A YAML scalar as Compose turns it into text (``True`` → ``true``); None for non-scalars."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, str | int):
        return str(value)
    return None


def read_str(ck: Checker, loc: Loc) -> str | None:
    """A string (numbers are refused, as Compose does for names, paths and modes)."""
    value = loc.value
    if isinstance(value, str):
        return value
    ck.add(loc, "must be a string")
    return None


def read_int(ck: Checker, loc: Loc) -> int | None:
    """An integer, written as a number or as a string of digits."""
    value = loc.value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    ck.add(loc, f"must be an integer, not {_show(value)}")
    return None


def read_float(ck: Checker, loc: Loc) -> float | None:
    """A number, written as a number or as a numeric string."""
    value = loc.value
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = float(value.strip())
    if number is not None and math.isfinite(number):
        return number
    ck.add(loc, f"must be a number, not {_show(value)}")
    return None


def read_bool(ck: Checker, loc: Loc) -> bool | None:
    """A boolean: ``true``/``false`` or their string forms (``"yes"``/``"no"`` too)."""
    value = loc.value
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    ck.add(loc, f"must be a boolean, not {_show(value)}")
    return None


def read_size(ck: Checker, loc: Loc) -> int | None:
    """A byte size (``512``, ``500m``, ``1gb``) in bytes."""
    value = loc.value
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return parse_size(value)
        except ValueError as exc:
            ck.add(loc, str(exc))
            return None
    ck.add(loc, f"must be a byte size such as '512m', not {_show(value)}")
    return None


def read_duration(ck: Checker, loc: Loc) -> float | None:
    """A duration string (``1m30s``, ``500ms``) in seconds; negative durations are refused."""
    value = loc.value
    if not isinstance(value, str):
        ck.add(loc, f"must be a duration such as '1m30s', not {_show(value)}")
        return None
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        ck.add(loc, str(exc))
        return None
    if seconds < 0:
        ck.add(loc, f"must not be negative: {value!r}")
        return None
    return seconds


def read_map(ck: Checker, loc: Loc) -> RMap | None:
    """The map at ``loc`` itself, or a problem when it is something else."""
    if isinstance(loc.value, RMap):
        return loc.value
    ck.add(loc, f"must be a mapping, not {_show(loc.value)}")
    return None


def read_list(ck: Checker, loc: Loc, item: Callable[[Checker, Loc], T | None]) -> list[T] | None:
    """A list whose items are read by ``item`` (bad items reported and left out)."""
    if not isinstance(loc.value, RList):
        ck.add(loc, f"must be a list, not {_show(loc.value)}")
        return None
    found = (item(ck, child) for child in loc.items())
    return [x for x in found if x is not None]


def read_str_list(
    ck: Checker, loc: Loc, *, single: bool = False, numbers: bool = False
) -> tuple[str, ...] | None:
    """A list of strings; ``single`` also takes one string, ``numbers`` also takes numbers."""
    value = loc.value
    if single and isinstance(value, str):
        return (value,)
    if not isinstance(value, RList):
        kind = "a string or a list of strings" if single else "a list of strings"
        ck.add(loc, f"must be {kind}, not {_show(value)}")
        return None

    def item(ck: Checker, child: Loc) -> str | None:
        if numbers and not isinstance(child.value, bool | str):
            text = scalar_text(child.value)
            if text is not None:
                return text
        return read_str(ck, child)

    found = read_list(ck, loc, item)
    return tuple(found) if found is not None else None


def read_str_map(
    ck: Checker, loc: Loc, *, bare: str | None = None, sep: str = "="
) -> dict[str, str | None] | None:
    """A map of scalars, or a list of ``KEY=VALUE``; a bare ``KEY`` gets ``bare``."""
    value = loc.value
    if isinstance(value, RMap):
        result: dict[str, str | None] = {}
        for child in loc.items():
            raw = child.value
            text = None if raw is None else scalar_text(raw)
            if raw is not None and text is None:
                ck.add(child, f"must be a string, number or boolean, not {_show(raw)}")
                continue
            result[str(child.key)] = text
        return result
    if isinstance(value, RList):
        pairs: dict[str, str | None] = {}
        for child in loc.items():
            entry = read_str(ck, child)
            if entry is None:
                continue
            key, found, rest = entry.partition(sep)
            pairs[key] = rest if found else bare
        return pairs
    ck.add(loc, f"must be a mapping or a list of 'KEY{sep}VALUE', not {_show(value)}")
    return None


def read_opt(
    ck: Checker, loc: Loc, key: str, reader: Callable[[Checker, Loc], T | None]
) -> T | None:
    """``reader`` applied to ``loc.key`` when it is written and not null, else None."""
    child = loc.get(key)
    if child is None or child.value is None:
        return None
    return reader(ck, child)


def read_required(
    ck: Checker, loc: Loc, key: str, reader: Callable[[Checker, Loc], T | None]
) -> T | None:
    """``reader`` applied to ``loc.key``; a problem at ``loc`` when the key is missing."""
    child = loc.get(key)
    if child is None:
        ck.add(loc, f"'{key}' is required")
        return None
    return reader(ck, child)


def _show(value: Any) -> str:
    if isinstance(value, RMap):
        return "a mapping"
    if isinstance(value, RList):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return f"{type(value).__name__} {value!r}" if not isinstance(value, str) else repr(value)
