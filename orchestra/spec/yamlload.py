"""Read a Compose file into RMap trees, one per YAML document, keeping line:column marks.

Scalars are resolved the way compose's Go YAML library (yaml.v3, YAML 1.2 core schema) does,
not the YAML 1.1 way PyYAML does: ``yes``/``on`` stay strings, ``0755`` is octal 493, ``1e3`` is
a float. Anchors, aliases and merge keys (``<<``, also with a list of maps) are expanded here;
``!reset``/``!override`` are recorded in ``RMap.tags``; any other custom tag, a duplicate key, a
non-string key and a non-mapping document are errors. Alias expansion stops after
``MAX_ALIAS_NODES`` nodes (a "billion laughs" document fails fast); files over a size limit are
refused unread before they get here (``orchestra.spec.read``).

Imports only ``yaml``, ``orchestra.errors`` and ``orchestra.spec.raw``.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from types import MappingProxyType
from typing import Any

import yaml

from orchestra.errors import Mark, Problem, SpecError
from orchestra.spec.raw import RList, RMap

__all__ = ["MAX_ALIAS_NODES", "parse_yaml", "resolve_plain"]

MAX_ALIAS_NODES = 20_000  # a real file with anchors expands to a few thousand at most
_MAX_DEPTH = 200

_PLAIN = "?plain"
_CORE = "tag:yaml.org,2002:"
_CUSTOM_TAGS = ("!reset", "!override")
_COLLECTION_TAGS = frozenset((_CORE + "map", _CORE + "seq", _CORE + "omap", *_CUSTOM_TAGS))
_PLAIN_TAGS = frozenset((_PLAIN, *_CUSTOM_TAGS))
_STR_TAGS = frozenset((_CORE + "str", *_CUSTOM_TAGS))
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = MappingProxyType(
    {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
)
_SPECIAL_FLOATS = MappingProxyType(
    {
        **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
        **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
        **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    }
)
_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INT_MIN, _UINT_MAX = -(2**63), 2**64 - 1

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Composes nodes only; plain scalars get a marker tag so we resolve them ourselves."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return str(super().resolve(kind, value, implicit))


class _Fail(Exception):
    """Stops the conversion of one document at the first problem."""

    def __init__(self, message: str, mark: Mark | None) -> None:
        super().__init__(message)
        self.problem = Problem("", message, mark)


def parse_yaml(text: str, display: str) -> list[RMap]:
    """Parse YAML ``text`` into one RMap per non-empty document; raises SpecError."""
    try:
        nodes = [n for n in yaml.compose_all(text, Loader=_Loader) if n is not None]
    except yaml.MarkedYAMLError as exc:
        raise SpecError(_yaml_problem(exc, display)) from exc
    except yaml.YAMLError as exc:
        raise SpecError(Problem("", f"invalid YAML: {exc}", Mark(display, 1, 1))) from exc
    except RecursionError as exc:
        raise SpecError(Problem("", "YAML nesting is too deep", Mark(display, 1, 1))) from exc
    docs: list[RMap] = []
    for node in nodes:
        if isinstance(node, yaml.ScalarNode) and node.tag == _PLAIN and node.value in _NULLS:
            continue  # an empty document, e.g. after a trailing '---'
        if not isinstance(node, yaml.MappingNode):
            kind = "a sequence" if isinstance(node, yaml.SequenceNode) else "a scalar"
            mark = _mark(node.start_mark, display)
            raise SpecError(Problem("", f"the top level must be a mapping, found {kind}", mark))
        try:
            docs.append(_Converter(display).mapping(node, 0, False))
        except _Fail as exc:
            raise SpecError(exc.problem) from None
    if not docs:
        raise SpecError(Problem("", "empty compose file", Mark(display, 1, 1)))
    return docs


def _yaml_problem(exc: yaml.MarkedYAMLError, display: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    where = _mark(mark, display) if mark is not None else Mark(display, 1, 1)
    message = exc.problem or "invalid YAML"
    if exc.context:
        message = f"{message} ({exc.context})"
    return Problem("", f"invalid YAML: {message}", where)


def _mark(mark: Any, display: str) -> Mark:
    return Mark(display, int(mark.line) + 1, int(mark.column) + 1)


class _Converter:
    """Turns one composed document into RMap/RList/scalars, counting alias expansions."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.alias_nodes = 0
        self.marks: dict[int, Mark] = {}

    def at(self, node: Any) -> Mark:
        """The mark of ``node``, cached: alias expansion visits the same nodes again and again."""
        key = id(node)
        found = self.marks.get(key)
        if found is None:
            start = node.start_mark
            found = self.marks[key] = Mark(self.display, start.line + 1, start.column + 1)
        return found

    def convert(self, node: Any, depth: int, in_alias: bool) -> Any:
        mark = self.at(node)
        if depth > _MAX_DEPTH:
            raise _Fail(f"YAML nesting is deeper than {_MAX_DEPTH} levels", mark)
        key = id(node)
        if key in self.active:
            raise _Fail("an alias refers to a node that contains it", mark)
        in_alias = in_alias or key in self.seen
        self.seen.add(key)
        if in_alias:
            self.alias_nodes += 1
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise _Fail(f"aliases expand to more than {MAX_ALIAS_NODES} nodes", mark)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node, mark)
        self._check_tag(node, mark)
        self.active.add(key)
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, depth, in_alias)
            return self.sequence(node, depth, in_alias)
        finally:
            self.active.discard(key)

    def _check_tag(self, node: Any, mark: Mark) -> None:
        if node.tag not in _COLLECTION_TAGS:
            raise _Fail(f"unsupported YAML tag {_short_tag(node.tag)}", mark)

    def sequence(self, node: Any, depth: int, in_alias: bool) -> RList:
        result = RList(mark=self.at(node))
        for item in node.value:
            value = self.convert(item, depth + 1, in_alias)
            if item.tag == "!reset":
                continue  # compose drops a reset item instead of keeping it
            result.add(value, self.at(item))
        return result

    def mapping(self, node: Any, depth: int, in_alias: bool) -> RMap:
        result = RMap(mark=self.at(node))
        merges: list[RMap] = []
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if _is_merge_key(key_node):
                merges.extend(self._merge_sources(value_node, depth, in_alias))
                continue
            key = self._key(key_node)
            key_mark = self.at(key_node)
            if key in lines:
                raise _Fail(f'mapping key "{key}" already defined at line {lines[key]}', key_mark)
            lines[key] = key_mark.line
            value = self.convert(value_node, depth + 1, in_alias)
            tag = value_node.tag
            if tag in _CUSTOM_TAGS:
                result.tags[key] = tag
                if tag == "!reset":
                    value = None  # the value of a reset is never used, not even interpolated
            result.set(key, value, key_mark, self.at(value_node))
        for source in merges:
            for key, value in source.items():
                if key not in result:
                    result.set(key, value, source.key_marks.get(key), source.value_marks.get(key))
                    if key in source.tags:
                        result.tags[key] = source.tags[key]
        return result

    def _merge_sources(self, node: Any, depth: int, in_alias: bool) -> list[RMap]:
        mark = self.at(node)
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        sources: list[RMap] = []
        for item in items:
            value = self.convert(item, depth + 1, in_alias)
            if not isinstance(value, RMap):
                raise _Fail("a merge key '<<' needs a mapping or a list of mappings", mark)
            sources.append(value)
        return sources

    def _key(self, node: Any) -> str:
        mark = self.at(node)
        if not isinstance(node, yaml.ScalarNode):
            raise _Fail("a mapping key must be a string, not a collection", mark)
        key = _scalar(node, mark)
        if not isinstance(key, str):
            raise _Fail(f"non-string key {node.value!r}: quote it to make it a string", mark)
        return key


def _is_merge_key(node: Any) -> bool:
    return (
        isinstance(node, yaml.ScalarNode)
        and node.value == "<<"
        and node.tag in (_PLAIN, _CORE + "merge")
    )


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _scalar(node: Any, mark: Mark) -> Any:
    tag, text = node.tag, node.value
    if tag in _PLAIN_TAGS and node.style in ("", None):
        return resolve_plain(text)
    if tag in _STR_TAGS:
        return text
    if tag == _CORE + "null":
        return None
    if tag == _CORE + "timestamp":
        return text  # kept as written; the back half decides what a date means
    if tag == _CORE + "binary":
        return _binary(text, mark)
    explicit = {_CORE + "int": int, _CORE + "float": float, _CORE + "bool": bool}
    if tag not in explicit:
        raise _Fail(f"unsupported YAML tag {_short_tag(tag)}", mark)
    value = resolve_plain(text)
    wanted = explicit[tag]
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not wanted:
        raise _Fail(f"cannot read {text!r} as {_short_tag(tag)}", mark)
    return value


def _binary(text: str, mark: Mark) -> str:
    try:
        return base64.b64decode("".join(text.split()), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _Fail("a !!binary value must be base64 of UTF-8 text", mark) from exc


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar under yaml.v3's rules (str, int, float, bool, None)."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if not text or text[0] not in "+-.0123456789":
        return text
    plain = text.replace("_", "")
    match = _INT.fullmatch(plain)
    if match is not None:
        sign, body = match.groups()
        base = {"x": 16, "o": 8, "b": 2}.get(body[1:2].lower(), 8 if body[:1] == "0" else 10)
        digits = body[2:] if base != 10 and body[1:2].isalpha() else body
        number = int(digits or "0", base) * (-1 if sign == "-" else 1)
        if _INT_MIN <= number <= _UINT_MAX:
            return number
    if _FLOAT.fullmatch(plain):
        return float(plain)
    return text
