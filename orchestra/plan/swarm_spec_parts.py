"""Pieces of a Swarm service spec: ports, mounts, networks, policies, resources, placement.

Each function maps one part of a Compose service the way ``docker stack deploy`` maps it
(checked field by field in tests/engine/test_swarm_stack_deploy.py), except where that would
change the file's meaning (docs/swarm.md lists each difference): ``restart: "no"`` stays "no
restart" (stack deploy leaves the engine's default, restart on any exit), service-level
``tmpfs:`` entries are mounted (stack deploy drops them), and ``mem_limit``/``cpus``/
``pids_limit``/``mem_reservation`` count as the ``deploy.resources`` they spell (stack deploy
refuses the first and its schema the others). What Swarm cannot express is
``swarm_capabilities``' business, not this module's. Pure; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

from orchestra import labels as lbl
from orchestra.engine.base import Mount, VolumeSpec
from orchestra.engine.swarm_base import (
    Placement,
    RestartPolicy,
    ServiceAttachment,
    ServicePort,
    ServiceResources,
    UpdatePolicy,
)
from orchestra.plan.container_resources import deploy_reservations, resources
from orchestra.spec.model import Deploy, Port, Project, Service, ServiceVolume, UpdateConfig
from orchestra.spec.units import parse_size

__all__ = [
    "STACK_IMAGE",
    "STACK_NAMESPACE",
    "attachments",
    "mount_volumes",
    "mounts",
    "placement",
    "ports",
    "restart_policy",
    "service_resources",
    "tmpfs_mount",
    "update_policy",
]

STACK_NAMESPACE = "com.docker.stack.namespace"  # what `docker stack ls/ps/rm` group by
STACK_IMAGE = "com.docker.stack.image"
# Networks a task joins by their node-local name, without aliases (the engine refuses them).
_NODE_NETWORKS = frozenset({"host", "none"})


def ports(service: Service) -> tuple[ServicePort, ...]:
    """Published ports, ordered by published port as stack deploy orders them (unpublished
    first); a published range is a capability error, so here it is one number or none."""
    found = [_port(port) for port in service.ports]
    return tuple(sorted(found, key=lambda p: p.published or 0))


def _port(port: Port) -> ServicePort:
    published = int(port.published) if port.published and port.published.isdigit() else None
    return ServicePort(
        target=port.target,
        published=published,
        protocol=port.protocol,
        mode=port.mode or "ingress",
    )


def mounts(project: Project, service: Service) -> tuple[Mount, ...]:
    """``volumes:`` in order, then the ``tmpfs:`` entries."""
    listed = tuple(_mount(project, volume) for volume in service.volumes)
    return listed + tuple(tmpfs_mount(entry) for entry in service.tmpfs)


def _mount(project: Project, volume: ServiceVolume) -> Mount:
    if volume.type == "volume":
        top = project.volumes.get(volume.source or "")
        return Mount(
            type="volume",
            target=volume.target,
            source=None if volume.source is None else (top.name if top else volume.source),
            read_only=volume.read_only,
            nocopy=volume.volume.nocopy if volume.volume else False,
            consistency=volume.consistency,
        )
    if volume.type == "tmpfs":
        return Mount(
            type="tmpfs",
            target=volume.target,
            read_only=volume.read_only,
            tmpfs_size=volume.tmpfs.size if volume.tmpfs else None,
            tmpfs_mode=volume.tmpfs.mode if volume.tmpfs else None,
        )
    return Mount(
        type=volume.type,
        target=volume.target,
        source=volume.source,
        read_only=volume.read_only,
        propagation=volume.bind.propagation if volume.bind else None,
        consistency=volume.consistency,
    )


def tmpfs_mount(entry: str) -> Mount:
    """A ``tmpfs:`` entry (``/run`` or ``/run:size=64m,mode=1777``) as a tmpfs mount; options
    other than size and mode have no field in the API and are warned about by the check."""
    target, _, options = entry.partition(":")
    size = mode = None
    for option in filter(None, options.split(",")):
        name, _, value = option.partition("=")
        if name == "size":
            size = parse_size(value)
        elif name == "mode":
            mode = int(value, 8)
    return Mount(type="tmpfs", target=target, tmpfs_size=size, tmpfs_mode=mode)


def mount_volumes(project: Project, service: Service) -> tuple[VolumeSpec, ...]:
    """The project volumes ``service`` mounts, with the labels and driver each node creates them
    with (external ones as they are: no labels, no driver)."""
    keys = sorted({v.source for v in service.volumes if v.type == "volume" and v.source})
    found = []
    for key in keys:
        volume = project.volumes.get(key)
        if volume is None:
            continue
        if volume.external:
            found.append(VolumeSpec(name=volume.name, labels={}))
            continue
        found.append(
            VolumeSpec(
                name=volume.name,
                labels={
                    **volume.labels,
                    STACK_NAMESPACE: project.name,
                    lbl.PROJECT: project.name,
                    lbl.VOLUME: key,
                },
                driver=volume.driver,
                driver_opts=dict(volume.driver_opts),
            )
        )
    return tuple(found)


def attachments(project: Project, service: Service) -> tuple[ServiceAttachment, ...]:
    """Every network the service joins, by engine name (sorted, as stack deploy sorts them);
    aliases are the file's, ``container_name`` (kept as a name others may use), then the
    service name. ``network_mode: host|none`` joins that network; ``bridge`` joins none (a
    task without networks uses its node's bridge)."""
    if service.network_mode in _NODE_NETWORKS:
        return (ServiceAttachment(network=service.network_mode or ""),)
    if service.network_mode is not None:
        return ()
    found = []
    for key, joined in service.networks.items():
        network = project.networks.get(key)
        name = network.name if network is not None else f"{project.name}_{key}"
        if name in _NODE_NETWORKS:
            found.append(ServiceAttachment(network=name))
            continue
        # container_name stays reachable: other services may use it as a host name.
        named = (service.container_name,) if service.container_name else ()
        aliases = tuple(dict.fromkeys((*joined.aliases, *named, service.name)))
        found.append(ServiceAttachment(network=name, aliases=aliases))
    return tuple(sorted(found, key=lambda a: a.network))


def restart_policy(service: Service) -> RestartPolicy | None:
    """``deploy.restart_policy``, else ``restart:`` (always/unless-stopped → any, on-failure[:N]
    → on-failure with N attempts, "no" → none); None leaves Swarm's default (any)."""
    policy = service.deploy.restart_policy if service.deploy else None
    if policy is not None:
        return RestartPolicy(
            condition=policy.condition,
            delay=policy.delay,
            max_attempts=policy.max_attempts,
            window=policy.window,
        )
    if service.restart is None:
        return None
    name, _, count = service.restart.partition(":")
    if name in ("always", "unless-stopped"):
        return RestartPolicy(condition="any")
    if name == "on-failure":
        return RestartPolicy(condition="on-failure", max_attempts=int(count or 0))
    return RestartPolicy(condition="none")


def service_resources(service: Service) -> ServiceResources:
    """Limits and reservations in engine units; ``deploy.resources`` wins over ``mem_limit``,
    ``cpus``, ``pids_limit`` and ``mem_reservation``, as on the container backend."""
    merged = resources(service)
    reserved_cpus = deploy_reservations(service).cpus
    return ServiceResources(
        limit_nano_cpus=merged.nano_cpus or None,
        limit_memory=merged.memory or None,
        limit_pids=merged.pids_limit or None,
        reservation_nano_cpus=None if not reserved_cpus else round(reserved_cpus * 1e9),
        reservation_memory=merged.memory_reservation or None,
    )


def placement(deploy: Deploy | None) -> Placement:
    """``deploy.placement``; a zero ``max_replicas_per_node`` means no cap, as in Compose."""
    written = deploy.placement if deploy is not None else None
    if written is None:
        return Placement()
    return Placement(
        constraints=written.constraints,
        preferences=written.preferences,
        max_replicas_per_node=written.max_replicas_per_node or None,
    )


def update_policy(config: UpdateConfig | None) -> UpdatePolicy | None:
    """``deploy.update_config`` or ``rollback_config``, field for field."""
    if config is None:
        return None
    return UpdatePolicy(
        parallelism=config.parallelism,
        delay=config.delay,
        failure_action=config.failure_action,
        monitor=config.monitor,
        max_failure_ratio=config.max_failure_ratio,
        order=config.order,
    )
