"""Top-level networks, volumes, secrets and configs of the typed Compose model.

Part of ``orchestra.spec.model`` (which re-exports everything here); split off to keep each
module small. Imports only the standard library and ``orchestra.records``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from types import MappingProxyType
from typing import Any

from orchestra.records import record

__all__ = ["Config", "Ipam", "IpamPool", "Network", "Secret", "Volume"]


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


@record
class IpamPool:
    """One ``ipam.config`` entry."""

    subnet: str | None = None
    ip_range: str | None = None
    gateway: str | None = None
    aux_addresses: Mapping[str, str] = field(default_factory=_empty)


@record
class Ipam:
    """``ipam:`` of a network."""

    driver: str | None = None
    config: tuple[IpamPool, ...] = ()
    options: Mapping[str, str] = field(default_factory=_empty)


@record
class Network:
    """A top-level network; ``name`` is the engine name (``<project>_<key>`` unless set)."""

    name: str
    driver: str | None = None
    driver_opts: Mapping[str, str] = field(default_factory=_empty)
    attachable: bool = False
    internal: bool = False
    enable_ipv6: bool | None = None
    enable_ipv4: bool | None = None
    ipam: Ipam = field(default_factory=Ipam)
    external: bool = False
    labels: Mapping[str, str] = field(default_factory=_empty)


@record
class Volume:
    """A top-level volume; ``name`` is the engine name (``<project>_<key>`` unless set)."""

    name: str
    driver: str | None = None
    driver_opts: Mapping[str, str] = field(default_factory=_empty)
    external: bool = False
    labels: Mapping[str, str] = field(default_factory=_empty)


@record
class _FileObject:
    name: str
    file: str | None = None
    environment: str | None = None
    content: str | None = None
    external: bool = False
    labels: Mapping[str, str] = field(default_factory=_empty)


@record
class Secret(_FileObject):
    """A top-level secret: exactly one of file, environment, content, external."""


@record
class Config(_FileObject):
    """A top-level config: exactly one of file, environment, content, external."""
