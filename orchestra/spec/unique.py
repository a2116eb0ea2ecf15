"""Remove repeated entries from the sequences compose treats as sets, after a merge.

Compose keys each entry (a port by host ip, published port, target and protocol; a volume or a
device by its target; a secret or config by its target path; ``KEY=VAL`` lists by key; ...) and
keeps one entry per key: the last one written, at the place of the first. Sequences that are
not listed keep every entry.

Imports only ``orchestra.spec.raw``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from orchestra.spec.raw import RList, RMap

__all__ = ["enforce_unique", "path_matches"]

Indexer = Callable[[Any], str | None]


def path_matches(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """True when ``path`` has the shape of ``pattern``, where ``*`` matches any one key."""
    if len(path) != len(pattern):
        return False
    return all(p in ("*", k) for k, p in zip(path, pattern, strict=True))


def _key_value(item: Any) -> str | None:
    return item.split("=", 1)[0] if isinstance(item, str) else None


def _scalar(item: Any) -> str | None:
    if isinstance(item, bool) or not isinstance(item, str | int):
        return None
    return str(item)


def _port(item: Any) -> str | None:
    if isinstance(item, RMap):
        host = item.get("host_ip") or "0.0.0.0"
        protocol = item.get("protocol") or "tcp"
        return f"{host}:{item.get('published', '')}:{item.get('target')}/{protocol}"
    return _scalar(item)


def _volume(item: Any) -> str | None:
    if isinstance(item, RMap):
        target = item.get("target")
        return target if isinstance(target, str) else None
    if isinstance(item, str):
        parts = item.split(":")
        return parts[1] if len(parts) > 1 else parts[0]
    return None


def _mount(default_dir: str) -> Indexer:
    def index(item: Any) -> str | None:
        if isinstance(item, str):
            return f"{default_dir}/{item}"
        if isinstance(item, RMap):
            target = item.get("target")
            return str(target) if target is not None else f"{default_dir}/{item.get('source')}"
        return None

    return index


def _env_file(item: Any) -> str | None:
    if isinstance(item, RMap):
        path = item.get("path")
        return path if isinstance(path, str) else None
    return item if isinstance(item, str) else None


_KEY_VALUE_LISTS = (
    "cap_add",
    "cap_drop",
    "dns",
    "dns_opt",
    "dns_search",
    "links",
    "external_links",
    "profiles",
    "tmpfs",
    "security_opt",
    "volumes_from",
    "group_add",
    "environment",
    "labels",
    "annotations",
    "sysctls",
)

_UNIQUE: Mapping[tuple[str, ...], Indexer] = MappingProxyType(
    {
        **{("services", "*", name): _key_value for name in _KEY_VALUE_LISTS},
        ("services", "*", "build", "args"): _key_value,
        ("services", "*", "build", "labels"): _key_value,
        ("services", "*", "build", "tags"): _key_value,
        ("services", "*", "build", "platforms"): _key_value,
        ("services", "*", "deploy", "labels"): _key_value,
        ("services", "*", "networks", "*", "aliases"): _key_value,
        ("services", "*", "networks", "*", "link_local_ips"): _key_value,
        ("services", "*", "expose"): _scalar,
        ("services", "*", "ports"): _port,
        ("services", "*", "volumes"): _volume,
        ("services", "*", "devices"): _volume,
        ("services", "*", "secrets"): _mount("/run/secrets"),
        ("services", "*", "configs"): _mount(""),
        ("services", "*", "env_file"): _env_file,
    }
)


Candidate = tuple[tuple[str, ...], Indexer]  # a path pattern and how to key its entries


def _by_length_and_last_key() -> Mapping[tuple[int, str], tuple[Candidate, ...]]:
    index: dict[tuple[int, str], list[Candidate]] = {}
    for pattern, indexer in _UNIQUE.items():
        index.setdefault((len(pattern), pattern[-1]), []).append((pattern, indexer))
    return MappingProxyType({key: tuple(found) for key, found in index.items()})


# Every pattern ends in a literal key: a sequence is only matched against the patterns of its
# own depth and key (every list of a file used to be tried against all of them).
_CANDIDATES = _by_length_and_last_key()


def enforce_unique(value: Any, path: tuple[str, ...] = ()) -> Any:
    """Deduplicate, in place, every set-like sequence under ``value``; returns ``value``."""
    if isinstance(value, RMap):
        for key, item in value.items():
            value[key] = enforce_unique(item, (*path, key))
        return value
    if isinstance(value, RList) and path:
        for pattern, indexer in _CANDIDATES.get((len(path), path[-1]), ()):
            if path_matches(path, pattern):
                return _dedupe(value, indexer)
    return value


def _dedupe(items: RList, indexer: Indexer) -> RList:
    result = RList(mark=items.mark)
    positions: dict[str, int] = {}
    for index, item in enumerate(items):
        key = indexer(item)
        if key is not None and key in positions:
            result[positions[key]] = item
            result.item_marks[positions[key]] = items.item_marks[index]
            continue
        if key is not None:
            positions[key] = len(result)
        result.add(item, items.item_marks[index])
    return result
