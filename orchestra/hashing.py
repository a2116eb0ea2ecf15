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
import hashlib
import json
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestra.spec.model import Service

__all__ = ["EXCLUDED_FIELDS", "HIDDEN_KEY", "canonical", "config_hash", "hash_input"]

HIDDEN_KEY = "orchestra_hidden"  # field metadata of values that must never be hashed in clear
# ``heal`` is how watch treats the container, not what the container is.
EXCLUDED_FIELDS = frozenset({"build", "pull_policy", "scale", "depends_on", "profiles", "heal"})
EXCLUDED_DEPLOY_FIELDS = ("replicas", "placement", "endpoint_mode")


def canonical(value: Any) -> Any:
    """A JSON-ready copy of ``value``: dataclasses become dicts, None-valued and hidden fields
    dropped."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: canonical(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None and not f.metadata.get(HIDDEN_KEY)
        }
    if isinstance(value, Mapping):
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
    text = json.dumps(hash_input(service), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
