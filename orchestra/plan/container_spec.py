"""One replica of a Compose service → the engine-neutral ``ContainerSpec`` that creates it.

Names and labels follow ``docker compose`` (design §3) so its tools recognise our containers;
mounts, ports, networks and references to other services' containers (``network_mode:
service:x``, ``volumes_from``, ``links``) are resolved to engine names here, so the engine never
sees the Compose model. cgroup limits and the other host settings are in
``container_resources``; secrets and configs are files copied in (``secret_files``). Pure: no
I/O, no clock, no environment; never imports ``docker``, ``anyio`` or the engine adapter.
"""

from __future__ import annotations

from orchestra import labels as lbl
from orchestra.engine.base import ContainerSpec, Mount, NetworkAttachment, PortBinding
from orchestra.hashing import digest_of, hash_input
from orchestra.plan.container_resources import (
    healthcheck,
    log_config,
    resources,
    restart_policy,
    stop_timeout,
)
from orchestra.plan.secret_files import injected_files
from orchestra.spec.model import Port, Project, Service, ServiceVolume

__all__ = [
    "container_name",
    "container_networks",
    "container_spec",
    "default_image",
    "expose_bindings",
    "image_ref",
    "service_container_name",
]

_NO_ALIAS_NETWORKS = frozenset({"bridge", "host", "none"})  # the engine refuses aliases there


def container_name(project_name: str, service: Service, number: int) -> str:
    """``container_name`` when set, else ``<project>-<service>-<number>``."""
    if service.container_name:
        return service.container_name
    return f"{project_name}-{service.name}-{number}"


def service_container_name(project: Project, name: str, number: int = 1) -> str:
    """The container name of replica ``number`` of service ``name`` (even if not enabled)."""
    service = project.services.get(name) or project.disabled_services.get(name)
    if service is None or not service.container_name:
        return f"{project.name}-{name}-{number}"
    return service.container_name


def default_image(project_name: str, service_name: str) -> str:
    """The tag compose gives a built image when the service names none."""
    return f"{project_name}-{service_name}"


def image_ref(project_name: str, service: Service) -> str:
    """The image reference a service's containers run."""
    return service.image or default_image(project_name, service.name)


def container_spec(
    project: Project, service: Service, number: int, image_id: str | None, version: str
) -> ContainerSpec:
    """The create request of replica ``number`` of ``service``; ``image_id`` None when unknown."""
    name = container_name(project.name, service, number)
    return ContainerSpec(
        name=name,
        image=image_ref(project.name, service),
        labels=_labels(project.name, service, number, image_id, version),
        command=service.command,
        entrypoint=service.entrypoint,
        environment={k: v for k, v in service.environment.items() if v is not None},
        working_dir=service.working_dir,
        user=service.user,
        hostname=service.hostname,
        domainname=service.domainname,
        ports=_ports(service),
        mounts=_mounts(project, service),
        tmpfs=dict(entry.partition(":")[::2] for entry in service.tmpfs),
        read_only=service.read_only,
        networks=container_networks(project, service, name),
        network_mode=_network_mode(project, service.network_mode),
        restart_policy=restart_policy(service),
        healthcheck=healthcheck(service.healthcheck),
        init=service.init,
        stop_signal=service.stop_signal,
        stop_timeout=stop_timeout(service.stop_grace_period),
        extra_hosts=service.extra_hosts,
        dns=service.dns,
        dns_search=service.dns_search,
        dns_opt=service.dns_opt,
        cap_add=service.cap_add,
        cap_drop=service.cap_drop,
        security_opt=service.security_opt,
        privileged=service.privileged,
        devices=tuple(f"{d.source}:{d.target}:{d.permissions or 'rwm'}" for d in service.devices),
        sysctls=dict(service.sysctls),
        log_config=log_config(service.logging),
        resources=resources(service),
        tty=service.tty,
        stdin_open=service.stdin_open,
        ipc_mode=service.ipc,
        pid_mode=service.pid,
        volumes_from=tuple(_volumes_from(project, entry) for entry in service.volumes_from),
        links=_links(project, service),
        group_add=service.group_add,
        platform=service.platform,
        annotations=dict(service.annotations),
        files=injected_files(project, service),
    )


def _labels(
    project_name: str, service: Service, number: int, image_id: str | None, version: str
) -> dict[str, str]:
    """The service's own labels, then compose's and orchestra's (which a user cannot override).

    CONFIG keeps the hash input itself, so a later plan can show which fields changed.
    """
    hashed = hash_input(service)
    digest = digest_of(hashed)
    return {
        **service.labels,
        lbl.PROJECT: project_name,
        lbl.SERVICE: service.name,
        lbl.CONTAINER_NUMBER: str(number),
        lbl.ONEOFF: "False",
        "com.docker.compose.config-hash": digest,
        lbl.CONFIG_HASH: digest,
        lbl.CONFIG: lbl.encode_config(hashed),
        lbl.IMAGE_ID: image_id or "",
        lbl.ORCHESTRA_VERSION: version,
    }


def _ports(service: Service) -> tuple[PortBinding, ...]:
    published = tuple(_port_binding(port) for port in service.ports)
    seen = {(p.container_port, p.protocol) for p in published}
    exposed = [
        b
        for entry in service.expose
        for b in expose_bindings(entry)
        if (b.container_port, b.protocol) not in seen
    ]
    return published + tuple(dict.fromkeys(exposed))


def _port_binding(port: Port) -> PortBinding:
    # An unpublished entry of ``ports:`` still publishes: on an ephemeral host port ("").
    return PortBinding(port.target, port.protocol, port.host_ip, port.published or "")


def expose_bindings(entry: str) -> list[PortBinding]:
    """``"80"``, ``"5000-5002"`` or ``"6000/udp"`` as expose-only bindings, one per port."""
    ports, _, protocol = entry.partition("/")
    low, _, high = ports.partition("-")
    first = int(low)
    last = int(high) if high else first
    return [PortBinding(p, protocol or "tcp") for p in range(first, last + 1)]


def _mounts(project: Project, service: Service) -> tuple[Mount, ...]:
    return tuple(_mount(project, volume) for volume in service.volumes)


def _mount(project: Project, volume: ServiceVolume) -> Mount:
    if volume.type == "volume":
        options = volume.volume
        top = project.volumes.get(volume.source or "")
        return Mount(
            type="volume",
            target=volume.target,
            # No source is an anonymous volume; a key of ``volumes:`` is its engine name.
            source=None if volume.source is None else (top.name if top else volume.source),
            read_only=volume.read_only,
            nocopy=options.nocopy if options else False,
            subpath=options.subpath if options else None,
            consistency=volume.consistency,
        )
    if volume.type == "tmpfs":
        tmpfs = volume.tmpfs
        return Mount(
            type="tmpfs",
            target=volume.target,
            read_only=volume.read_only,
            tmpfs_size=tmpfs.size if tmpfs else None,
            tmpfs_mode=tmpfs.mode if tmpfs else None,
        )
    bind = volume.bind
    return Mount(
        type=volume.type,
        target=volume.target,
        source=volume.source,
        read_only=volume.read_only,
        propagation=bind.propagation if bind else None,
        # Only an explicit ``create_host_path: false`` leaves a missing host path missing:
        # compose v2 creates it for the short and the long syntax alike (checked with 2.40.3).
        create_host_path=bind is None or bind.create_host_path is not False,
        consistency=volume.consistency,
    )


def container_networks(
    project: Project, service: Service, name: str
) -> tuple[NetworkAttachment, ...]:
    """Every network the service joins, highest priority first, then by key."""
    ordered = sorted(service.networks.items(), key=lambda kv: (-(kv[1].priority or 0), kv[0]))
    attachments = []
    for key, joined in ordered:
        network = project.networks.get(key)
        engine_name = network.name if network is not None else f"{project.name}_{key}"
        # Compose makes every container reachable by its own name and its service's name.
        aliases = (name, service.name, *joined.aliases)
        attachments.append(
            NetworkAttachment(
                network=engine_name,
                aliases=() if engine_name in _NO_ALIAS_NETWORKS else tuple(dict.fromkeys(aliases)),
                ipv4_address=joined.ipv4_address,
                ipv6_address=joined.ipv6_address,
                link_local_ips=joined.link_local_ips,
                mac_address=joined.mac_address,
                driver_opts=dict(joined.driver_opts),
                priority=joined.priority or 0,
            )
        )
    return tuple(attachments)


def _network_mode(project: Project, mode: str | None) -> str | None:
    # The engine resolves container names, so the dependency's id is not needed at plan time.
    if mode is not None and mode.startswith("service:"):
        return "container:" + service_container_name(project, mode.removeprefix("service:"))
    return mode


def _volumes_from(project: Project, entry: str) -> str:
    """A ``volumes_from`` entry as the engine takes it: a container name and optional mode."""
    if entry.startswith("container:"):
        return entry.removeprefix("container:")
    source, sep, mode = entry.partition(":")
    return service_container_name(project, source) + sep + mode


def _links(project: Project, service: Service) -> tuple[str, ...]:
    links = []
    for link in service.links:
        target, _, alias = link.partition(":")
        links.append(f"{service_container_name(project, target)}:{alias or target}")
    for link in service.external_links:
        target, _, alias = link.partition(":")
        links.append(f"{target}:{alias or target}")
    return tuple(links)
