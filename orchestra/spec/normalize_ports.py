"""``ports:`` and ``expose:`` of a service, short syntax to long.

Short forms: ``80``, ``8080:80``, ``127.0.0.1:8080:80``, ``127.0.0.1::80``, ``[::1]:80:80``,
``8000-8001:80-81`` (one port per pair, as Compose expands it), ``8000-8005:80`` (one port with a
published range), ``/udp`` or ``/sctp``. Long form: a map of target, published, host_ip,
protocol, mode, name, app_protocol.

Imports only ``orchestra.spec.model`` and ``orchestra.spec.validate_core``.
"""

from __future__ import annotations

import re

from orchestra.spec.model import Port
from orchestra.spec.validate_core import (
    Checker,
    Loc,
    read_int,
    read_list,
    read_str,
    scalar_text,
)

__all__ = ["PORT_KEYS", "parse_port_spec", "read_expose", "read_ports"]

PORT_KEYS = frozenset(
    {"target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"}
)
PROTOCOLS = frozenset({"tcp", "udp", "sctp"})
MODES = frozenset({"host", "ingress"})
_RANGE = re.compile(r"(\d+)(?:-(\d+))?")


def read_ports(ck: Checker, loc: Loc) -> tuple[Port, ...] | None:
    """Every port of ``ports:`` in long form (ranges expanded like Compose)."""
    found = read_list(ck, loc, _read_port_item)
    return tuple(port for group in found for port in group) if found is not None else None


def _read_port_item(ck: Checker, loc: Loc) -> list[Port] | None:
    value = loc.value
    if isinstance(value, dict):
        port = _read_long_port(ck, loc)
        return [port] if port is not None else None
    text = scalar_text(value) if not isinstance(value, bool | float) else None
    if text is None:
        ck.add(loc, "must be a port string such as '8080:80' or a mapping")
        return None
    try:
        return parse_port_spec(text)
    except ValueError as exc:
        ck.add(loc, f"invalid port {text!r}: {exc}")
        return None


def parse_port_spec(spec: str) -> list[Port]:
    """The ports of one short-syntax spec; raises ValueError with the reason."""
    rest, _, protocol = spec.partition("/")
    protocol = protocol or "tcp"
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r} (tcp, udp or sctp)")
    host_ip, published, target = _split_port_parts(rest)
    low, high = _parse_range(target, "container port", minimum=1)
    if published is None:
        return [Port(target=t, host_ip=host_ip, protocol=protocol) for t in range(low, high + 1)]
    pub_low, pub_high = _parse_range(published, "host port", minimum=0)
    if low == high:
        shown = str(pub_low) if pub_low == pub_high else f"{pub_low}-{pub_high}"
        return [Port(target=low, published=shown, host_ip=host_ip, protocol=protocol)]
    if pub_high - pub_low != high - low:
        raise ValueError("host and container port ranges have different lengths")
    return [
        Port(target=low + i, published=str(pub_low + i), host_ip=host_ip, protocol=protocol)
        for i in range(high - low + 1)
    ]


def _split_port_parts(text: str) -> tuple[str | None, str | None, str]:
    if text.startswith("["):
        ip, bracket, rest = text[1:].partition("]")
        if not bracket or not rest.startswith(":"):
            raise ValueError("an IPv6 host address in brackets must be followed by ':'")
        published, _, target = rest[1:].rpartition(":")
        return ip, published or None, target
    parts = text.rsplit(":", 2)
    if len(parts) == 1:
        return None, None, parts[0]
    if len(parts) == 2:
        return None, parts[0] or None, parts[1]
    return parts[0] or None, parts[1] or None, parts[2]


def _parse_range(text: str, what: str, *, minimum: int) -> tuple[int, int]:
    match = _RANGE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{what} {text!r} is not a port number or range")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    for number in (low, high):
        if not minimum <= number <= 65535:
            raise ValueError(f"{what} {number} is out of range ({minimum}-65535)")
    if high < low:
        raise ValueError(f"{what} range {text!r} ends before it starts")
    return low, high


def _read_long_port(ck: Checker, loc: Loc) -> Port | None:
    ck.keys(loc, PORT_KEYS)
    target_loc = loc.get("target")
    if target_loc is None:
        ck.add(loc, "a port needs a 'target'")
        return None
    target = read_int(ck, target_loc)
    if target is not None and not 1 <= target <= 65535:
        ck.add(target_loc, f"container port {target} is out of range (1-65535)")
        target = None
    published = _read_published(ck, loc.get("published"))
    texts = {key: _opt_str(ck, loc.get(key)) for key in ("host_ip", "name", "app_protocol")}
    protocol = _choice(ck, loc.get("protocol"), PROTOCOLS, "tcp")
    mode = _choice(ck, loc.get("mode"), MODES, "ingress")
    if target is None or protocol is None or mode is None:
        return None
    return Port(target=target, published=published, protocol=protocol, mode=mode, **texts)


def _read_published(ck: Checker, loc: Loc | None) -> str | None:
    if loc is None or loc.value is None:
        return None
    text = scalar_text(loc.value) if not isinstance(loc.value, bool | float) else None
    if text is None:
        ck.add(loc, "must be a port number or range")
        return None
    try:
        low, high = _parse_range(text, "host port", minimum=0)
    except ValueError as exc:
        ck.add(loc, str(exc))
        return None
    return str(low) if low == high else f"{low}-{high}"


def _opt_str(ck: Checker, loc: Loc | None) -> str | None:
    return read_str(ck, loc) if loc is not None else None


def _choice(ck: Checker, loc: Loc | None, allowed: frozenset[str], default: str) -> str | None:
    if loc is None:
        return default
    text = read_str(ck, loc)
    if text is not None and text not in allowed:
        ck.add(loc, f"must be one of {', '.join(sorted(allowed))}, not {text!r}")
        return None
    return text


def read_expose(ck: Checker, loc: Loc) -> tuple[str, ...] | None:
    """``expose:`` entries as strings (``"80"``, ``"5000-5002"``, ``"6000/udp"``)."""
    found = read_list(ck, loc, _read_expose_item)
    return tuple(found) if found is not None else None


def _read_expose_item(ck: Checker, loc: Loc) -> str | None:
    value = loc.value
    text = scalar_text(value) if not isinstance(value, bool | float) else None
    if text is None:
        ck.add(loc, "must be a port number or range")
        return None
    ports, _, protocol = text.partition("/")
    try:
        _parse_range(ports, "port", minimum=1)
        if protocol and protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r} (tcp, udp or sctp)")
    except ValueError as exc:
        ck.add(loc, f"invalid exposed port {text!r}: {exc}")
        return None
    return text
