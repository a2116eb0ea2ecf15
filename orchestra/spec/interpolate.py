"""Variable substitution in Compose values: ``$VAR``, ``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``,
``${VAR:?msg}``, ``${VAR?msg}``, ``${VAR:+alt}``, ``${VAR+alt}``, nesting, and ``$$`` for ``$``.

Pure: the environment is passed in, nothing is read from the process. Only string values are
substituted; mapping keys are left alone (as compose does) and the result of a substitution stays
a string. A ``$`` not followed by a name or a brace is kept literally, as compose keeps it.
Hostile input is bounded: nesting (``MAX_NESTING``), one result (``MAX_VALUE_CHARS``) and the
whole tree (``MAX_TREE_CHARS``); each distinct string of a tree is substituted once, so an alias
bomb of ``${...}`` values costs no more than one copy.

Imports only ``orchestra.errors`` and ``orchestra.spec.raw``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestra.errors import Mark, Problem
from orchestra.spec.raw import RList, RMap

__all__ = [
    "MAX_NESTING",
    "MAX_TREE_CHARS",
    "MAX_VALUE_CHARS",
    "Interpolated",
    "InterpolationError",
    "interpolate_tree",
    "substitute",
    "unset_warning",
]

Lookup = Callable[[str], str | None]

_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
# Go's "." does not match a newline, so compose rejects a default that spans lines; so do we.
_BRACED = re.compile(r"([_A-Za-z][_A-Za-z0-9]*)(?:(:?[-+?])(.*))?")
# Bounds against hostile input. One value: Linux refuses a single environment string over
# 128 KiB anyway, so 1 MiB harms nobody. The whole tree: what aliases and ``${VAR}`` copies
# may add up to. Nesting: each level of ``${A:-${B:-...}}`` costs Python stack frames.
MAX_VALUE_CHARS = 1 << 20
MAX_TREE_CHARS = 32 << 20
MAX_NESTING = 50
_MAX_REPEATS = 5


class InterpolationError(ValueError):
    """A template cannot be substituted; ``str(error)`` says why."""


def unset_warning(name: str) -> str:
    """The warning compose prints for a variable that is used but not set."""
    return f'The "{name}" variable is not set. Defaulting to a blank string.'


def substitute(
    text: str,
    lookup: Lookup,
    on_unset: Callable[[str], None] | None = None,
    *,
    limit: int = MAX_VALUE_CHARS,
) -> str:
    """Substitute every variable in ``text``; raises InterpolationError on bad syntax or ``:?``.

    ``lookup`` returns None for an unset variable; ``on_unset`` hears of each unset variable whose
    value falls back to the empty string. A result longer than ``limit`` characters or defaults
    nested deeper than ``MAX_NESTING`` are errors too: hostile input must not exhaust memory or
    the stack.
    """
    if "$" not in text:
        return text
    return _Substitution(lookup, on_unset, limit).run(text, 0)


def _invalid(text: str) -> str:
    hint = "you may need to escape any $ with another $"
    return f'invalid interpolation format "{_shown(text)}": {hint}'


def _shown(text: str) -> str:
    """``text`` cut short for an error message (a hostile value may be megabytes long)."""
    return text if len(text) <= 200 else text[:200] + "..."


class _Substitution:
    """One ``substitute`` call: the lookup, and the size limit its result must keep."""

    def __init__(self, lookup: Lookup, on_unset: Callable[[str], None] | None, limit: int) -> None:
        self.lookup = lookup
        self.on_unset = on_unset
        self.limit = limit

    def run(self, text: str, depth: int) -> str:
        if depth > MAX_NESTING:
            message = f'variables nested deeper than {MAX_NESTING} levels in "{_shown(text)}"'
            raise InterpolationError(message)
        out: list[str] = []
        size, i, end = 0, 0, len(text)
        while i < end:
            j = text.find("$", i)
            if j < 0:
                j = end
            piece, i = self._piece(text, i, j, depth)
            out.append(piece)
            size += len(piece)
            if size > self.limit:
                raise InterpolationError(
                    f'"{_shown(text)}" expands to more than {self.limit} characters'
                )
        return "".join(out)

    def _piece(self, text: str, i: int, j: int, depth: int) -> tuple[str, int]:
        """The text before the ``$`` at ``j`` or, at ``j == i``, what that ``$`` stands for."""
        if j > i:
            return text[i:j], j
        nxt = text[j + 1 : j + 2]
        if nxt == "$":
            return "$", j + 2
        if nxt == "{":
            close = _closing_brace(text, j)
            if close < 0:
                raise InterpolationError(_invalid(text))
            return self._braced(text[j + 2 : close], text, depth), close + 1
        name = _NAME.match(text, j + 1)
        if name is not None:
            return self._value(name.group(0)), name.end()
        return "$", j + 1

    def _value(self, name: str) -> str:
        value = self.lookup(name)
        if value is None:
            if self.on_unset is not None:
                self.on_unset(name)
            return ""
        return value

    def _braced(self, inner: str, whole: str, depth: int) -> str:
        match = _BRACED.fullmatch(inner)
        if match is None:
            raise InterpolationError(_invalid(whole))
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        if op is None:
            return self._value(name)
        value = self.lookup(name)
        present = value is not None if op in ("-", "+", "?") else bool(value)
        if op.endswith("-"):
            return value if present and value is not None else self.run(arg, depth + 1)
        if op.endswith("+"):
            return self.run(arg, depth + 1) if present else ""
        if not present or value is None:
            reason = _shown(self.run(arg, depth + 1))
            message = f"required variable {name} is missing a value"
            raise InterpolationError(f"{message}: {reason}" if reason else message)
        return value


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``${`` at ``start``, counting nested ``${``; -1 if none."""
    depth, k = 0, start
    while k < len(text):
        if text.startswith("${", k):
            depth += 1
            k += 2
            continue
        if text[k] == "}":
            depth -= 1
            if depth == 0:
                return k
        k += 1
    return -1


@dataclass
class Interpolated:
    """The result of interpolating one tree: the new tree, problems and unset variables."""

    tree: RMap
    problems: list[Problem] = field(default_factory=list)
    unset: list[str] = field(default_factory=list)


def interpolate_tree(tree: RMap, environment: Mapping[str, str]) -> Interpolated:
    """A copy of ``tree`` with every string value substituted from ``environment``.

    Never raises: problems (with the mark of the value) and the names of unset variables, in
    first-use order, are returned beside the new tree.
    """
    result = Interpolated(tree=RMap())
    seen: set[str] = set()

    def on_unset(name: str) -> None:
        if name not in seen:
            seen.add(name)
            result.unset.append(name)

    walker = _Walker(environment.get, on_unset, result.problems)
    result.tree = walker.walk(tree, "", tree.mark)
    return result


class _Walker:
    """Substitutes every string of a tree once: an alias repeats the same string object, and
    the memo keeps an alias bomb from multiplying the work and the memory."""

    def __init__(
        self, lookup: Lookup, on_unset: Callable[[str], None], problems: list[Problem]
    ) -> None:
        self.lookup = lookup
        self.on_unset = on_unset
        self.problems = problems
        self.done: dict[str, str | InterpolationError] = {}
        self.budget = MAX_TREE_CHARS
        self.reported: dict[str, int] = {}

    def text(self, value: str, path: str, mark: Mark | None) -> str:
        found = self.done.get(value)
        if found is None:
            try:
                limit = min(MAX_VALUE_CHARS, self.budget)
                found = substitute(value, self.lookup, self.on_unset, limit=limit)
                if found is not value:
                    self.budget -= len(found)
            except InterpolationError as exc:
                found = exc
            self.done[value] = found
        if not isinstance(found, InterpolationError):
            return found
        # Each place is reported, but an alias bomb must not make a million-line message.
        self.reported[value] = self.reported.get(value, 0) + 1
        if self.reported[value] <= _MAX_REPEATS:
            self.problems.append(Problem(path, str(found), mark))
        return value

    def walk(self, value: Any, path: str, mark: Mark | None) -> Any:
        if isinstance(value, str):
            return self.text(value, path, mark)
        if isinstance(value, RMap):
            new_map = RMap(mark=value.mark)
            new_map.key_marks.update(value.key_marks)
            new_map.value_marks.update(value.value_marks)
            new_map.tags.update(value.tags)
            for key, item in value.items():
                where = value.value_marks.get(key, value.mark)
                new_map[key] = self.walk(item, f"{path}.{key}" if path else key, where)
            return new_map
        if isinstance(value, RList):
            new_list = RList(mark=value.mark)
            for index, item in enumerate(value):
                where = value.mark_at(index)
                new_list.add(self.walk(item, f"{path}[{index}]", where), value.item_marks[index])
            return new_list
        return value
