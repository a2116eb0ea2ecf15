"""Merge Compose documents (several ``-f`` files, or a service over the one it ``extends``).

The rules are compose's: mappings merge key by key; scalars replace; sequences append;
``command``, ``entrypoint``, ``healthcheck.test`` and each ``ulimits`` entry are replaced (a
``null`` clears them); ``environment``, ``labels``, ``annotations``, ``sysctls``, ``build.args``
... merge as mappings whichever form (``KEY=VAL`` list or map) each side uses; ``extra_hosts``
and ``dns``-like values append; ``depends_on`` and service ``networks`` merge as mappings (a
list entry of ``depends_on`` means ``condition: service_started, required: true``); ``build``
as a string is ``{context: ...}``; ``logging`` is replaced when the driver changes; any other
``null`` override keeps the base. ``!reset`` removes a key, ``!override`` replaces instead of
merging. Set-like sequences are deduplicated afterwards (see ``unique``). Inputs are never
modified; the result shares nothing with them, carries no tags, and keeps the marks of the
values that won.

Imports only ``orchestra.errors`` and ``orchestra.spec`` (raw, unique).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from orchestra.errors import Problem
from orchestra.spec.raw import RList, RMap
from orchestra.spec.unique import enforce_unique, path_matches

__all__ = ["clean", "merge_documents", "merge_service"]

KeyPath = tuple[str, ...]
_Handler = Callable[[Any, Any, KeyPath, list[Problem]], Any]


def clean(value: Any) -> Any:
    """A deep copy of ``value`` (marks kept) without ``!reset`` keys and without tags."""
    if isinstance(value, RMap):
        result = RMap(mark=value.mark)
        for key, item in value.items():
            if value.tags.get(key) != "!reset":
                result.set(key, clean(item), value.key_marks.get(key), value.value_marks.get(key))
        return result
    if isinstance(value, RList):
        copy = RList(mark=value.mark)
        for index, item in enumerate(value):
            copy.add(clean(item), value.item_marks[index])
        return copy
    return value


def merge_documents(docs: Sequence[RMap]) -> tuple[RMap, list[Problem]]:
    """Merge whole documents, later ones over earlier ones; returns the tree and the problems."""
    problems: list[Problem] = []
    result: RMap = clean(docs[0]) if docs else RMap()
    for doc in docs[1:]:
        result = _merge_map(result, doc, (), problems)
    return enforce_unique(result), problems


def merge_service(base: RMap, local: RMap, name: str) -> tuple[RMap, list[Problem]]:
    """Service ``local`` (named ``name``) over the service it extends; returns it and problems."""
    problems: list[Problem] = []
    merged = _merge_map(clean(base), local, ("services", name), problems)
    return enforce_unique(merged, ("services", name)), problems


def _dotted(path: KeyPath) -> str:
    return ".".join(path)


def _merge_map(base: RMap, over: RMap, path: KeyPath, problems: list[Problem]) -> RMap:
    result = _shallow(base)
    for key, value in over.items():
        tag = over.tags.get(key)
        key_mark, value_mark = over.key_marks.get(key), over.value_marks.get(key)
        if tag == "!reset":
            _drop(result, key)
        elif tag == "!override" or key not in result:
            result.set(key, clean(value), key_mark, value_mark)
        else:
            known = len(problems)
            merged = _merge_value(result[key], value, (*path, key), problems)
            # A scalar carries no mark of its own: point its problems at the value here.
            problems[known:] = [
                p if p.mark else replace(p, mark=value_mark) for p in problems[known:]
            ]
            if merged is not result[key]:
                result.set(key, merged, key_mark, value_mark)
    return result


def _shallow(base: RMap) -> RMap:
    result = RMap(base.items(), mark=base.mark)
    result.key_marks.update(base.key_marks)
    result.value_marks.update(base.value_marks)
    return result


def _drop(result: RMap, key: str) -> None:
    result.pop(key, None)
    result.key_marks.pop(key, None)
    result.value_marks.pop(key, None)


def _merge_value(base: Any, over: Any, path: KeyPath, problems: list[Problem]) -> Any:
    handler = _handler(path)
    if handler is _replace:
        return clean(over)
    if over is None:
        return base
    if base is None:
        return clean(over)
    if handler is not None:
        return handler(base, over, path, problems)
    return _generic(base, over, path, problems)


def _generic(base: Any, over: Any, path: KeyPath, problems: list[Problem]) -> Any:
    if isinstance(base, RMap) and isinstance(over, RMap):
        return _merge_map(base, over, path, problems)
    if isinstance(base, RList) and isinstance(over, RList):
        return _concat(base, clean(over))
    if isinstance(base, RMap | RList):
        kind = "mapping" if isinstance(base, RMap) else "sequence"
        mark = getattr(over, "mark", None)
        message = f"cannot override: an earlier definition is a {kind}, this one is not"
        problems.append(Problem(_dotted(path), message, mark))
        return base
    return clean(over)


def _concat(first: RList, second: RList) -> RList:
    result = RList(mark=first.mark)
    for source in (first, second):
        for index, item in enumerate(source):
            result.add(item, source.item_marks[index])
    return result


def _replace(base: Any, over: Any, path: KeyPath, problems: list[Problem]) -> Any:
    return clean(over)


def _as_list(value: Any) -> RList | None:
    if isinstance(value, RList):
        return value
    if isinstance(value, str | int | float):
        return RList([value], mark=None)
    return None


def _sequence(base: Any, over: Any, path: KeyPath, problems: list[Problem]) -> Any:
    first, second = _as_list(base), _as_list(over)
    if first is None or second is None:
        return _generic(base, over, path, problems)
    return _concat(first, clean(second))


def _as_mapping(value: Any) -> RMap | None:
    """A ``KEY=VAL`` list as a mapping (``KEY`` alone maps to None); a mapping as itself."""
    if isinstance(value, RMap):
        return value
    items = _as_list(value)
    if items is None or not all(isinstance(item, str) for item in items):
        return None
    result = RMap(mark=items.mark)
    for index, item in enumerate(items):
        key, equals, text = item.partition("=")
        mark = items.mark_at(index)
        result.set(key, text if equals else None, mark, mark)
    return result


def _key_value(base: Any, over: Any, path: KeyPath, problems: list[Problem]) -> Any:
    first, second = _as_mapping(base), _as_mapping(over)
    if first is None or second is None:
        return _generic(base, over, path, problems)
    result = _shallow(first)
    for key, value in second.items():
        tag = second.tags.get(key)
        if tag == "!reset":
            _drop(result, key)
            continue
        result.set(key, clean(value), second.key_marks.get(key), second.value_marks.get(key))
    return result


def _as_hosts(value: Any) -> RList | None:
    if not isinstance(value, RMap):
        return _as_list(value)
    result = RList(mark=value.mark)
    for host, address in value.items():
        mark = value.value_marks.get(host)
        addresses = address if isinstance(address, RList) else [address]
        for one in addresses:
            result.add(host if one is None else f"{host}={one}", mark)
    return result


def _hosts(base: Any, over: Any, path: KeyPath, problems: list[Problem]) -> Any:
    first, second = _as_hosts(base), _as_hosts(over)
    if first is None or second is None:
        return _generic(base, over, path, problems)
    result = RList(mark=first.mark)
    for item, mark in _pairs(_concat(first, clean(second))):
        if item not in result:
            result.add(item, mark)
    return result


def _pairs(items: RList) -> list[tuple[Any, Any]]:
    return [(item, items.item_marks[index]) for index, item in enumerate(items)]


def _names_to_mapping(value: Any, default: Callable[[], Any]) -> Any:
    if not isinstance(value, RList) or not all(isinstance(i, str) for i in value):
        return value
    result = RMap(mark=value.mark)
    for index, name in enumerate(value):
        mark = value.mark_at(index)
        result.set(name, default(), mark, mark)
    return result


def _started() -> RMap:
    return RMap([("condition", "service_started"), ("required", True)])


def _depends_on(base: Any, over: Any, path: KeyPath, problems: list[Problem]) -> Any:
    first = _names_to_mapping(base, _started)
    second = _names_to_mapping(over, _started)
    return _generic(first, second, path, problems)


def _networks(base: Any, over: Any, path: KeyPath, problems: list[Problem]) -> Any:
    first = _names_to_mapping(base, lambda: None)
    second = _names_to_mapping(over, lambda: None)
    return _generic(first, second, path, problems)


def _build(base: Any, over: Any, path: KeyPath, problems: list[Problem]) -> Any:
    def as_map(value: Any) -> Any:
        if isinstance(value, str):
            mapped = RMap(mark=None)
            mapped.set("context", value)
            return mapped
        return value

    return _generic(as_map(base), as_map(over), path, problems)


def _logging(base: Any, over: Any, path: KeyPath, problems: list[Problem]) -> Any:
    if isinstance(base, RMap) and isinstance(over, RMap):
        old, new = base.get("driver"), over.get("driver")
        if old is not None and new is not None and old != new:
            return clean(over)
    return _generic(base, over, path, problems)


def _ipam_config(base: Any, over: Any, path: KeyPath, problems: list[Problem]) -> Any:
    if not isinstance(base, RList) or not isinstance(over, RList):
        return _generic(base, over, path, problems)
    result = RList(base, mark=base.mark)
    result.item_marks = list(base.item_marks)
    for index, item in enumerate(over):
        subnet = item.get("subnet") if isinstance(item, RMap) else None
        for position, existing in enumerate(result):
            same = isinstance(existing, RMap) and existing.get("subnet") == subnet
            if subnet is not None and same:
                result[position] = _merge_map(existing, item, path, problems)
                break
        else:
            result.add(clean(item), over.item_marks[index])
    return result


_KEY_VALUE_PATHS = (
    ("services", "*", "environment"),
    ("services", "*", "labels"),
    ("services", "*", "annotations"),
    ("services", "*", "sysctls"),
    ("services", "*", "build", "args"),
    ("services", "*", "build", "labels"),
    ("services", "*", "build", "additional_contexts"),
    ("services", "*", "deploy", "labels"),
    ("networks", "*", "labels"),
    ("volumes", "*", "labels"),
    ("secrets", "*", "labels"),
    ("configs", "*", "labels"),
)
_SEQUENCE_NAMES = ("dns", "dns_opt", "dns_search", "env_file", "tmpfs")

_HANDLERS: Mapping[KeyPath, _Handler] = MappingProxyType(
    {
        ("services", "*", "command"): _replace,
        ("services", "*", "entrypoint"): _replace,
        ("services", "*", "healthcheck", "test"): _replace,
        ("services", "*", "ulimits", "*"): _replace,
        **dict.fromkeys(_KEY_VALUE_PATHS, _key_value),
        **{("services", "*", name): _sequence for name in _SEQUENCE_NAMES},
        ("services", "*", "extra_hosts"): _hosts,
        ("services", "*", "build", "extra_hosts"): _hosts,
        ("services", "*", "depends_on"): _depends_on,
        ("services", "*", "networks"): _networks,
        ("services", "*", "build"): _build,
        ("services", "*", "logging"): _logging,
        ("networks", "*", "ipam", "config"): _ipam_config,
    }
)


def _handler(path: KeyPath) -> _Handler | None:
    for pattern, handler in _HANDLERS.items():
        if path_matches(path, pattern):
            return handler
    return None
