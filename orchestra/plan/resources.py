"""Top-level networks and volumes: their create requests, and the plan ops ``up`` needs for them.

Created ones carry the project label and their Compose key (``com.docker.compose.network=<key>``
/ ``com.docker.compose.volume=<key>``), as compose labels them. An observed one counts as present
when its engine name is the desired one: a labelled one under another name (``name:`` changed)
is not what containers will attach to. External ones are never created
(the caller checks they exist) and nothing here removes anything. Pure; never imports
``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from orchestra import labels as lbl
from orchestra.engine.base import NetworkSpec, Observed, VolumeSpec
from orchestra.plan.ops import OpKind, Plan
from orchestra.spec.model import Network, Project, Service, Volume

__all__ = [
    "add_network_ops",
    "add_volume_ops",
    "network_spec",
    "network_warnings",
    "used_networks",
    "used_volumes",
    "volume_spec",
]


def network_spec(project_name: str, key: str, network: Network) -> NetworkSpec:
    """The create request of project network ``key``."""
    pools = tuple(
        {
            name: value
            for name, value in (
                ("subnet", pool.subnet),
                ("gateway", pool.gateway),
                ("ip_range", pool.ip_range),
            )
            if value is not None
        }
        for pool in network.ipam.config
    )
    return NetworkSpec(
        name=network.name,
        labels={**network.labels, lbl.PROJECT: project_name, lbl.NETWORK: key},
        driver=network.driver,
        driver_opts=dict(network.driver_opts),
        internal=network.internal,
        attachable=network.attachable,
        enable_ipv6=bool(network.enable_ipv6),
        ipam_driver=network.ipam.driver,
        ipam_pools=pools,
        ipam_options=dict(network.ipam.options),
    )


def network_warnings(key: str, network: Network) -> list[str]:
    """Settings of network ``key`` the engine request cannot carry."""
    found = []
    if network.enable_ipv4 is False:
        found.append(f"network {key}: enable_ipv4: false needs a newer engine API: ignored")
    if any(pool.aux_addresses for pool in network.ipam.config):
        found.append(f"network {key}: ipam aux_addresses are not supported yet: ignored")
    return found


def volume_spec(project_name: str, key: str, volume: Volume) -> VolumeSpec:
    """The create request of project volume ``key``."""
    return VolumeSpec(
        name=volume.name,
        labels={**volume.labels, lbl.PROJECT: project_name, lbl.VOLUME: key},
        driver=volume.driver,
        driver_opts=dict(volume.driver_opts),
    )


def used_networks(project: Project, services: Iterable[Service]) -> list[str]:
    """Keys of the project networks the services join, sorted."""
    keys = {key for s in services if s.network_mode is None for key in s.networks}
    return sorted(keys & set(project.networks))


def used_volumes(project: Project, services: Iterable[Service]) -> list[str]:
    """Keys of the project volumes the services mount, sorted (anonymous volumes are not)."""
    keys = {v.source for s in services for v in s.volumes if v.type == "volume" and v.source}
    return sorted(keys & set(project.volumes))


def add_network_ops(
    plan: Plan, project: Project, observed: Observed, keys: Iterable[str]
) -> Mapping[str, int]:
    """CREATE_NETWORK for each missing non-external network; key → op id of those created."""
    created: dict[str, int] = {}
    for key in keys:
        network = project.networks[key]
        if network.external or _network_exists(observed, network.name):
            continue
        for message in network_warnings(key, network):
            plan.warn(message)
        spec = network_spec(project.name, key, network)
        created[key] = plan.add(OpKind.CREATE_NETWORK, f"network:{key}", "not found", spec=spec)
    return created


def add_volume_ops(
    plan: Plan, project: Project, observed: Observed, keys: Iterable[str]
) -> Mapping[str, int]:
    """CREATE_VOLUME for each missing non-external volume; key → op id of those created."""
    created: dict[str, int] = {}
    for key in keys:
        volume = project.volumes[key]
        if volume.external or _volume_exists(observed, volume.name):
            continue
        spec = volume_spec(project.name, key, volume)
        created[key] = plan.add(OpKind.CREATE_VOLUME, f"volume:{key}", "not found", spec=spec)
    return created


def _network_exists(observed: Observed, name: str) -> bool:
    return any(n.name == name for n in observed.networks)


def _volume_exists(observed: Observed, name: str) -> bool:
    return any(v.name == name for v in observed.volumes)
