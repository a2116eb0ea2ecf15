"""Variable substitution in Compose values: ``$VAR``, ``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``,
``${VAR:?msg}``, ``${VAR?msg}``, ``${VAR:+alt}``, ``${VAR+alt}``, nesting, and ``$$`` for ``$``.

Pure: the environment is passed in, nothing is read from the process. Only string values are
substituted; mapping keys are left alone (as compose does) and the result of a substitution stays
a string. A ``$`` not followed by a name or a brace is kept literally, as compose keeps it.

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


class InterpolationError(ValueError):
    """A template cannot be substituted; ``str(error)`` says why."""


def unset_warning(name: str) -> str:
    """The warning compose prints for a variable that is used but not set."""
    return f'The "{name}" variable is not set. Defaulting to a blank string.'


def substitute(text: str, lookup: Lookup, on_unset: Callable[[str], None] | None = None) -> str:
    """Substitute every variable in ``text``; raises InterpolationError on bad syntax or ``:?``.

    ``lookup`` returns None for an unset variable; ``on_unset`` hears of each unset variable whose
    value falls back to the empty string.
    """
    if "$" not in text:
        return text
    out: list[str] = []
    i, size = 0, len(text)
    while i < size:
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        nxt = text[j + 1 : j + 2]
        if nxt == "$":
            out.append("$")
            i = j + 2
        elif nxt == "{":
            end = _closing_brace(text, j)
            if end < 0:
                raise InterpolationError(_invalid(text))
            out.append(_braced(text[j + 2 : end], text, lookup, on_unset))
            i = end + 1
        elif (name := _NAME.match(text, j + 1)) is not None:
            out.append(_value(name.group(0), lookup, on_unset))
            i = name.end()
        else:
            out.append("$")
            i = j + 1
    return "".join(out)


def _invalid(text: str) -> str:
    return f'invalid interpolation format "{text}": you may need to escape any $ with another $'


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


def _value(name: str, lookup: Lookup, on_unset: Callable[[str], None] | None) -> str:
    value = lookup(name)
    if value is None:
        if on_unset is not None:
            on_unset(name)
        return ""
    return value


def _braced(inner: str, whole: str, lookup: Lookup, on_unset: Callable[[str], None] | None) -> str:
    match = _BRACED.fullmatch(inner)
    if match is None:
        raise InterpolationError(_invalid(whole))
    name, op, arg = match.group(1), match.group(2), match.group(3) or ""
    if op is None:
        return _value(name, lookup, on_unset)
    value = lookup(name)
    present = value is not None if op in ("-", "+", "?") else bool(value)
    if op.endswith("-"):
        return value if present and value is not None else substitute(arg, lookup, on_unset)
    if op.endswith("+"):
        return substitute(arg, lookup, on_unset) if present else ""
    if not present or value is None:
        reason = substitute(arg, lookup, on_unset)
        message = f"required variable {name} is missing a value"
        raise InterpolationError(f"{message}: {reason}" if reason else message)
    return value


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
    def __init__(
        self, lookup: Lookup, on_unset: Callable[[str], None], problems: list[Problem]
    ) -> None:
        self.lookup = lookup
        self.on_unset = on_unset
        self.problems = problems

    def walk(self, value: Any, path: str, mark: Mark | None) -> Any:
        if isinstance(value, str):
            try:
                return substitute(value, self.lookup, self.on_unset)
            except InterpolationError as exc:
                self.problems.append(Problem(path, str(exc), mark))
                return value
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
