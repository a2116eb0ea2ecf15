"""How a service refers to others: depends_on, networks, network_mode, secrets and configs.

``depends_on`` as a list becomes ``{name: Dependency()}`` (service_started, required, no
restart). ``networks`` as a list becomes ``{name: ServiceNetwork()}``; a service with neither
``networks`` nor ``network_mode`` joins ``default``. Secret references without a target get
``/run/secrets/<source>`` as Compose does; config references keep ``None`` (the engine side
decides ``/<source>``).

Imports only ``orchestra.spec.model``, ``validate_core`` and ``normalize_volumes``.
"""

from __future__ import annotations

from dataclasses import replace

from orchestra.spec.model import Dependency, FileReference, ServiceNetwork, frozen_map
from orchestra.spec.normalize_env import read_options
from orchestra.spec.normalize_volumes import read_mode
from orchestra.spec.validate_core import (
    Checker,
    Loc,
    Reader,
    read_bool,
    read_int,
    read_list,
    read_map,
    read_opt,
    read_required,
    read_str,
    read_str_list,
)

__all__ = [
    "CONDITIONS",
    "read_depends_on",
    "read_file_references",
    "read_network_mode",
    "read_service_networks",
]

CONDITIONS = frozenset({"service_started", "service_healthy", "service_completed_successfully"})
DEPENDENCY_KEYS = frozenset({"condition", "required", "restart"})
SERVICE_NETWORK_KEYS = frozenset(
    {
        "aliases",
        "ipv4_address",
        "ipv6_address",
        "link_local_ips",
        "mac_address",
        "priority",
        "gw_priority",
        "driver_opts",
    }
)
SERVICE_NETWORK_UNSUPPORTED = frozenset({"interface_name"})
REFERENCE_KEYS = frozenset({"source", "target", "uid", "gid", "mode"})


def read_depends_on(ck: Checker, loc: Loc) -> dict[str, Dependency] | None:
    """``depends_on`` in long form."""
    if isinstance(loc.value, list):
        names = read_str_list(ck, loc)
        return {name: Dependency() for name in names} if names is not None else None
    if read_map(ck, loc) is None:
        return None
    deps: dict[str, Dependency] = {}
    for child in loc.items():
        if read_map(ck, child) is None:
            continue
        ck.keys(child, DEPENDENCY_KEYS)
        condition = read_opt(ck, child, "condition", read_str) or "service_started"
        if condition not in CONDITIONS:
            ck.add(
                child.child("condition"),
                f"unknown condition {condition!r} (one of {', '.join(sorted(CONDITIONS))})",
            )
            continue
        required = read_opt(ck, child, "required", read_bool)
        restart = read_opt(ck, child, "restart", read_bool) or False
        deps[str(child.key)] = Dependency(condition, required is not False, restart)
    return deps


def read_service_networks(ck: Checker, loc: Loc) -> dict[str, ServiceNetwork] | None:
    """``networks`` of a service: a list of names or a map of attachments."""
    if isinstance(loc.value, list):
        names = read_str_list(ck, loc)
        return {name: ServiceNetwork() for name in names} if names is not None else None
    if read_map(ck, loc) is None:
        return None
    networks: dict[str, ServiceNetwork] = {}
    for child in loc.items():
        if child.value is None:
            networks[str(child.key)] = ServiceNetwork()
        elif (attachment := _read_attachment(ck, child)) is not None:
            networks[str(child.key)] = attachment
    return networks


def _read_attachment(ck: Checker, loc: Loc) -> ServiceNetwork | None:
    if read_map(ck, loc) is None:
        return None
    ck.keys(loc, SERVICE_NETWORK_KEYS, SERVICE_NETWORK_UNSUPPORTED)
    return ServiceNetwork(
        aliases=read_opt(ck, loc, "aliases", read_str_list) or (),
        ipv4_address=read_opt(ck, loc, "ipv4_address", read_str),
        ipv6_address=read_opt(ck, loc, "ipv6_address", read_str),
        link_local_ips=read_opt(ck, loc, "link_local_ips", read_str_list) or (),
        mac_address=read_opt(ck, loc, "mac_address", read_str),
        priority=read_opt(ck, loc, "priority", read_int),
        gw_priority=read_opt(ck, loc, "gw_priority", read_int),
        driver_opts=frozen_map(read_opt(ck, loc, "driver_opts", read_options)),
    )


def read_network_mode(ck: Checker, loc: Loc) -> str | None:
    """``network_mode``: none, host, bridge, ``service:NAME``, ``container:NAME`` or a network."""
    mode = read_str(ck, loc)
    if mode is None:
        return None
    kind, sep, target = mode.partition(":")
    if sep and kind in ("service", "container") and not target:
        ck.add(loc, f"{kind}: needs a name after it")
        return None
    if sep and kind not in ("service", "container"):
        ck.add(
            loc, f"invalid network_mode {mode!r} (none, host, bridge, service:NAME, container:NAME)"
        )
        return None
    if not mode:
        ck.add(loc, "must not be empty")
        return None
    return mode


def read_file_references(secret: bool) -> Reader[tuple[FileReference, ...]]:
    """A reader of a service's ``secrets`` (``secret=True``) or ``configs`` list."""

    def read(ck: Checker, loc: Loc) -> tuple[FileReference, ...] | None:
        found = read_list(ck, loc, lambda c, item: _read_reference(c, item, secret))
        return tuple(found) if found is not None else None

    return read


def _read_reference(ck: Checker, loc: Loc, secret: bool) -> FileReference | None:
    if isinstance(loc.value, str):
        reference = FileReference(source=loc.value)
    elif read_map(ck, loc) is None:
        return None
    else:
        ck.keys(loc, REFERENCE_KEYS)
        source = read_required(ck, loc, "source", read_str)
        if source is None:
            return None
        reference = FileReference(
            source=source,
            target=read_opt(ck, loc, "target", read_str),
            uid=read_opt(ck, loc, "uid", read_str),
            gid=read_opt(ck, loc, "gid", read_str),
            mode=read_opt(ck, loc, "mode", read_mode),
        )
    if secret and reference.target is None:
        return replace(reference, target=f"/run/secrets/{reference.source}")
    return reference


def _rest(ref: FileReference) -> tuple[str | None, str | None, int | None]:
    return ref.uid, ref.gid, ref.mode
