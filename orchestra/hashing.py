"""The config hash: sha256 of canonical JSON of the hash-relevant part of a service.

Fields that must not recreate a container when they change are left out: ``build``,
``pull_policy``, ``scale``, ``deploy.replicas``, ``depends_on``, ``profiles`` and ``heal``, and
what only a Swarm reads (``deploy.placement``, ``deploy.endpoint_mode``: containers ignore them).
Nothing that depends on orchestra's own version goes in. Secret and config values never go in
clear: a field whose metadata says ``orchestra_hidden`` (the value a ``ResolvedReference`` holds)
is left out, and the reference's ``digest`` of the value stands for it, so a changed value still
changes the hash. Imports ``orchestra.spec.model`` only.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
from collections.abc import Hashable, Mapping
from pathlib import PurePath
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from orchestra.spec.model import Service

__all__ = [
    "EXCLUDED_FIELDS",
    "HIDDEN_KEY",
    "canonical",
    "config_hash",
    "digest_of",
    "hash_input",
]

HIDDEN_KEY = "orchestra_hidden"  # field metadata of values that must never be hashed in clear
# ``heal`` is how watch treats the container, not what the container is.
EXCLUDED_FIELDS = frozenset({"build", "pull_policy", "scale", "depends_on", "profiles", "heal"})
EXCLUDED_DEPLOY_FIELDS = ("replicas", "placement", "endpoint_mode")


_PLAIN = (str, int, float, bool)


@functools.cache
def _hashed_fields(cls: Hashable) -> tuple[str, ...] | None:
    """The fields of dataclass ``cls`` that may enter a hash (None: not a dataclass). Cached
    per class: a plan hashes every service, and ``dataclasses.fields`` per value was most of it."""
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple(f.name for f in dataclasses.fields(cls) if not f.metadata.get(HIDDEN_KEY))


def canonical(value: Any) -> Any:
    """A JSON-ready copy of ``value``: dataclasses become dicts, None-valued and hidden fields
    dropped."""
    kind = type(value)
    if value is None or kind in _PLAIN:
        return value
    names = _hashed_fields(cast(Hashable, kind))  # typeshed: a class is Hashable
    if names is not None:
        found = {name: getattr(value, name) for name in names}
        return {name: canonical(item) for name, item in found.items() if item is not None}
    # The exact types first: an isinstance check against an ABC costs more than the copy.
    if kind is tuple or kind is list:
        return [canonical(v) for v in value]
    if kind is dict or kind is MappingProxyType or isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        items = [canonical(v) for v in value]
        return sorted(items, key=_sort_key) if isinstance(value, frozenset | set) else items
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, PurePath):
        return str(value)
    return value


def _sort_key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, default=str)


def hash_input(service: Service) -> dict[str, Any]:
    """The part of ``service`` the hash covers, as plain JSON data."""
    data = canonical(service)
    assert isinstance(data, dict)
    for key in EXCLUDED_FIELDS:
        data.pop(key, None)
    deploy = data.get("deploy")
    if isinstance(deploy, dict):
        for key in EXCLUDED_DEPLOY_FIELDS:
            deploy.pop(key, None)
    return data


def config_hash(service: Service) -> str:
    """Hex sha256 of the canonical JSON of ``hash_input(service)``."""
    return digest_of(hash_input(service))


def digest_of(data: dict[str, Any]) -> str:
    """``config_hash`` of a service whose ``hash_input`` is ``data``."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
