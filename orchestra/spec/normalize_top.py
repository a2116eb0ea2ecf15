"""Top-level ``networks``, ``volumes``, ``secrets`` and ``configs`` to model objects.

Engine names follow Compose: ``<project>_<key>`` unless ``name:`` is set; an external
resource is called by its ``name:`` or its key, never prefixed. A secret or config comes from
exactly one of ``file``, ``environment``, ``content`` or ``external``; ``content`` on a secret is
orchestra's extension (compose allows it on configs only). The values are read later
(``secret_values``).

Imports only ``orchestra.spec.model``, ``validate_core`` and ``normalize_env``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from orchestra.spec.model import Config, Ipam, IpamPool, Network, Secret, Volume, frozen_map
from orchestra.spec.normalize_env import read_labels, read_options
from orchestra.spec.validate_core import (
    Checker,
    Loc,
    read_bool,
    read_list,
    read_map,
    read_opt,
    read_str,
    read_str_map,
)

__all__ = ["read_configs", "read_networks", "read_secrets", "read_volumes_top"]

RESOURCE_NAME = re.compile(r"[a-zA-Z0-9._-]+")
NETWORK_KEYS = frozenset(
    {
        "name",
        "driver",
        "driver_opts",
        "attachable",
        "internal",
        "enable_ipv6",
        "enable_ipv4",
        "ipam",
        "external",
        "labels",
    }
)
IPAM_KEYS = frozenset({"driver", "config", "options"})
POOL_KEYS = frozenset({"subnet", "ip_range", "gateway", "aux_addresses"})
VOLUME_KEYS = frozenset({"name", "driver", "driver_opts", "external", "labels"})
FILE_OBJECT_KEYS = frozenset({"name", "file", "environment", "content", "external", "labels"})
FILE_OBJECT_UNSUPPORTED = frozenset({"driver", "driver_opts", "template_driver"})
_EXTERNAL_CONFLICTS = ("driver", "driver_opts", "ipam")


def _read_all(
    ck: Checker, loc: Loc, read_one: Callable[[Checker, Loc, str], Any]
) -> dict[str, Any]:
    if read_map(ck, loc) is None:
        return {}
    found: dict[str, Any] = {}
    for child in loc.items():
        key = str(child.key)
        if RESOURCE_NAME.fullmatch(key) is None:
            ck.add(child, f"invalid name {key!r} (letters, digits, '.', '_', '-')", at_key=True)
        if child.value is not None and read_map(ck, child) is None:
            continue
        item = read_one(ck, child, key)
        if item is not None:
            found[key] = item
    return found


def _name_and_external(ck: Checker, loc: Loc, key: str, project: str) -> tuple[str, bool]:
    """The engine name and whether the resource is external (``external: {name: x}`` too)."""
    name = read_opt(ck, loc, "name", read_str)
    external_loc = loc.get("external")
    external = False
    if external_loc is not None and isinstance(external_loc.value, dict):
        ck.keys(external_loc, frozenset({"name"}))
        external = True
        name = read_opt(ck, external_loc, "name", read_str) or name
    elif external_loc is not None:
        external = read_bool(ck, external_loc) or False
    if name:
        return name, external
    return (key if external else f"{project}_{key}"), external


def read_networks(ck: Checker, loc: Loc, project: str) -> dict[str, Network]:
    """Every top-level network."""

    def one(ck: Checker, item: Loc, key: str) -> Network:
        name, external = _name_and_external(ck, item, key, project)
        if item.value is None:
            return Network(name=name)
        ck.keys(item, NETWORK_KEYS)
        for conflict in _EXTERNAL_CONFLICTS if external else ():
            if item.get(conflict) is not None:
                ck.add(item.child(conflict), "cannot be set on an external network")
        return Network(
            name=name,
            driver=read_opt(ck, item, "driver", read_str),
            driver_opts=frozen_map(read_opt(ck, item, "driver_opts", read_options)),
            attachable=read_opt(ck, item, "attachable", read_bool) or False,
            internal=read_opt(ck, item, "internal", read_bool) or False,
            enable_ipv6=read_opt(ck, item, "enable_ipv6", read_bool),
            enable_ipv4=read_opt(ck, item, "enable_ipv4", read_bool),
            ipam=read_opt(ck, item, "ipam", _read_ipam) or Ipam(),
            external=external,
            labels=frozen_map(read_opt(ck, item, "labels", read_labels)),
        )

    return _read_all(ck, loc, one)


def _read_ipam(ck: Checker, loc: Loc) -> Ipam | None:
    if read_map(ck, loc) is None:
        return None
    ck.keys(loc, IPAM_KEYS)
    pools = read_opt(ck, loc, "config", lambda c, item: read_list(c, item, _read_pool))
    return Ipam(
        driver=read_opt(ck, loc, "driver", read_str),
        config=tuple(pools or ()),
        options=frozen_map(read_opt(ck, loc, "options", read_options)),
    )


def _read_pool(ck: Checker, loc: Loc) -> IpamPool | None:
    if read_map(ck, loc) is None:
        return None
    ck.keys(loc, POOL_KEYS)
    aux = read_opt(ck, loc, "aux_addresses", read_str_map) or {}
    return IpamPool(
        subnet=read_opt(ck, loc, "subnet", read_str),
        ip_range=read_opt(ck, loc, "ip_range", read_str),
        gateway=read_opt(ck, loc, "gateway", read_str),
        aux_addresses=frozen_map({k: v for k, v in aux.items() if v is not None}),
    )


def read_volumes_top(ck: Checker, loc: Loc, project: str) -> dict[str, Volume]:
    """Every top-level volume."""

    def one(ck: Checker, item: Loc, key: str) -> Volume:
        name, external = _name_and_external(ck, item, key, project)
        if len(name.encode()) > 255:
            # The engine keeps a volume in a directory of that name (compose fails in `up`).
            ck.add(
                item, f"volume name is {len(name.encode())} bytes long (at most 255)", at_key=True
            )
        if item.value is None:
            return Volume(name=name)
        ck.keys(item, VOLUME_KEYS)
        return Volume(
            name=name,
            driver=read_opt(ck, item, "driver", read_str),
            driver_opts=frozen_map(read_opt(ck, item, "driver_opts", read_options)),
            external=external,
            labels=frozen_map(read_opt(ck, item, "labels", read_labels)),
        )

    return _read_all(ck, loc, one)


def read_secrets(ck: Checker, loc: Loc, project: str) -> dict[str, Secret]:
    """Every top-level secret."""
    return _read_all(ck, loc, lambda c, item, key: _file_object(c, item, key, project, Secret))


def read_configs(ck: Checker, loc: Loc, project: str) -> dict[str, Config]:
    """Every top-level config."""
    return _read_all(ck, loc, lambda c, item, key: _file_object(c, item, key, project, Config))


def _file_object(
    ck: Checker, loc: Loc, key: str, project: str, kind: type[Secret] | type[Config]
) -> Secret | Config | None:
    kind_name = "config" if kind is Config else "secret"
    if loc.value is None:
        ck.add(loc, f"a {kind_name} needs one of file, environment, content or external")
        return None
    ck.keys(loc, FILE_OBJECT_KEYS, FILE_OBJECT_UNSUPPORTED)
    name, external = _name_and_external(ck, loc, key, project)
    sources = {k: read_opt(ck, loc, k, read_str) for k in ("file", "environment", "content")}
    given = [k for k, v in sources.items() if v is not None] + (["external"] if external else [])
    if len(given) != 1:
        choices = "file, environment, content or external"
        ck.add(loc, f"a {kind_name} needs exactly one of {choices}", at_key=True)
        return None
    labels = frozen_map(read_opt(ck, loc, "labels", read_labels))
    return kind(name=name, external=external, labels=labels, **sources)
