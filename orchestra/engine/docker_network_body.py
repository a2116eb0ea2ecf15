"""The body of a network create (``POST /networks/create``), as a plain JSON-ready dict.

The same body the docker SDK's ``create_network`` sent, with the engine's duplicate-name check
on. Pure; imports only ``engine.base``. Must not import ``orchestra.spec`` or ``docker``.
"""

from __future__ import annotations

from typing import Any

from orchestra.engine.base import NetworkSpec

__all__ = ["network_create_body", "network_ipam"]


def network_ipam(spec: NetworkSpec) -> dict[str, Any] | None:
    """The IPAM section of a network create, or None for the engine's default allocation."""
    if not (spec.ipam_driver or spec.ipam_pools or spec.ipam_options):
        return None
    ipam: dict[str, Any] = {
        "Driver": spec.ipam_driver or "default",
        "Config": [
            {
                "Subnet": p.get("subnet"),
                "IPRange": p.get("ip_range"),
                "Gateway": p.get("gateway"),
                "AuxiliaryAddresses": None,
            }
            for p in spec.ipam_pools
        ],
    }
    if spec.ipam_options:
        ipam["Options"] = dict(spec.ipam_options)
    return ipam


def network_create_body(spec: NetworkSpec) -> dict[str, Any]:
    """The body of ``POST /networks/create``, with the engine's duplicate-name check on."""
    body: dict[str, Any] = {
        "Name": spec.name,
        "Driver": spec.driver,
        "Options": dict(spec.driver_opts) or None,
        "IPAM": network_ipam(spec),
        "CheckDuplicate": True,
        "Labels": dict(spec.labels),
        "Attachable": spec.attachable,
    }
    if spec.enable_ipv6:
        body["EnableIPv6"] = True
    if spec.internal:
        body["Internal"] = True
    return {key: value for key, value in body.items() if value is not None}
