"""Durations and byte sizes as Compose writes them, to numbers and back.

Durations follow Go's ``time.ParseDuration`` (``1m30s``, ``1.5h``, ``250ms``) because that is what
``docker compose`` accepts, and are printed as Go's ``Duration.String()`` does (``1m30s``,
``1h0m0s``, ``1.5s``) so rendered output matches ``docker compose config``. Byte sizes follow the
engine's ``RAMInBytes`` (binary multiples: ``500m``, ``1g``, ``1gb``, ``1.5GiB``, ``1024``).

Pure; imports nothing from orchestra.
"""

from __future__ import annotations

import re
from types import MappingProxyType

__all__ = ["format_duration", "parse_duration", "parse_size"]

_NS_PER_UNIT = MappingProxyType(
    {
        "ns": 1,
        "us": 1_000,
        "µs": 1_000,  # micro sign
        "μs": 1_000,  # greek mu: Go accepts both
        "ms": 1_000_000,
        "s": 1_000_000_000,
        "m": 60_000_000_000,
        "h": 3_600_000_000_000,
    }
)
_DURATION_PART = re.compile(r"(\d*)(?:\.(\d*))?([a-zµμ]+)")
_SIZE = re.compile(r"(\d+(?:\.\d+)?) ?([kmgtp])?i?b?", re.IGNORECASE)
_SIZE_MULT = MappingProxyType(
    {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
)


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string such as ``1m30s``; raises ValueError when malformed."""
    body = text.strip()
    sign = -1 if body.startswith("-") else 1
    body = body[1:] if body[:1] in ("+", "-") else body
    if body == "0":
        return 0.0
    if not body:
        raise ValueError(f"invalid duration {text!r}")
    total_ns = 0
    pos = 0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if match is None or not (match.group(1) or match.group(2)):
            missing = re.fullmatch(r"[\d.]+", body[pos:]) is not None
            raise ValueError(f"{'missing unit in' if missing else 'invalid'} duration {text!r}")
        whole, frac, unit = match.group(1) or "0", match.group(2) or "", match.group(3)
        if unit not in _NS_PER_UNIT:
            raise ValueError(f"unknown unit {unit!r} in duration {text!r}")
        scale = _NS_PER_UNIT[unit]
        total_ns += int(whole) * scale
        if frac:
            total_ns += int(frac) * scale // 10 ** len(frac)
        pos = match.end()
    return sign * total_ns / 1e9


def format_duration(seconds: float) -> str:
    """``seconds`` written as Go's ``time.Duration.String()`` writes it (``90`` → ``1m30s``)."""
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_decimal(ns, 1_000)}µs"
    if ns < 1_000_000_000:
        return f"{sign}{_decimal(ns, 1_000_000)}ms"
    whole, rest = divmod(ns, 1_000_000_000)
    secs = f"{whole % 60}{_fraction(rest, 9)}s"
    hours, minutes = whole // 3600, (whole // 60) % 60
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}"
    if minutes:
        return f"{sign}{minutes}m{secs}"
    return f"{sign}{secs}"


def _decimal(value: int, unit: int) -> str:
    whole, rest = divmod(value, unit)
    return f"{whole}{_fraction(rest, len(str(unit)) - 1)}"


def _fraction(rest: int, digits: int) -> str:
    if rest == 0:
        return ""
    return "." + str(rest).rjust(digits, "0").rstrip("0")


def parse_size(value: str | int) -> int:
    """Bytes in a size such as ``500m`` or ``1gb`` (binary units); raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"invalid size {value!r}")
    if isinstance(value, int):
        return value
    text = value.strip()
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if sign < 0 else text
    match = _SIZE.fullmatch(body)
    if match is None:
        suffix = re.sub(r"^[\d.\s]*", "", body)
        raise ValueError(f"invalid size {value!r}" + (f" (suffix {suffix!r})" if suffix else ""))
    number, unit = match.group(1), (match.group(2) or "").lower()
    return sign * int(float(number) * _SIZE_MULT[unit])
