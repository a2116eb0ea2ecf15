"""What a Compose project asks for that Swarm cannot do: refused, or warned about and ignored.

``check_swarm`` runs before anything touches the engine. It raises one ``SpecError`` listing
every setting that would silently change meaning on Swarm: a reference to another service's
container (``network_mode``/``ipc``/``pid: service:x``, ``volumes_from``, aliased ``links``), a
service with nothing to run on other nodes (build only, no ``image``), a dependency on a
completion (a replicated service never completes), a host address, a port range or a fixed IP
(Swarm publishes on every node, from the overlay's pool), a network driver Swarm services
cannot join, a mount the API cannot express. It returns one warning per setting Swarm ignores
harmlessly, where ``docker stack deploy`` ignores it too (``build``, ``privileged``, ``devices``,
``security_opt``, the cgroup knobs without a Swarm field, ...). ``container_name`` is a warning,
not an error: tasks cannot share a name, but the name stays reachable as a network alias, which
is what other services rely on (stack deploy drops it). Pure; never imports ``docker``.
"""

from __future__ import annotations

from collections.abc import Iterator

from orchestra.errors import Problem, SpecError
from orchestra.spec.model import Project, Service

__all__ = ["MAX_NAME", "check_swarm"]

MAX_NAME = 63  # Swarm refuses longer service names (a DNS label)
_REFERENCE_PREFIXES = ("service:", "container:")
_OVERLAY_DRIVERS = frozenset({"overlay"})
# Attributes with no field in the Swarm API (1.41), ignored as stack deploy ignores them.
_IGNORED = (
    ("privileged", "privileged"),
    ("devices", "devices"),
    ("security_opt", "security_opt"),
    ("cpu_shares", "cpu_shares"),
    ("cpu_quota", "cpu_quota"),
    ("cpu_period", "cpu_period"),
    ("cpuset", "cpuset"),
    ("memswap_limit", "memswap_limit"),
    ("mem_swappiness", "mem_swappiness"),
    ("oom_kill_disable", "oom_kill_disable"),
    ("oom_score_adj", "oom_score_adj"),
    ("shm_size", "shm_size"),
    ("cgroup_parent", "cgroup_parent"),
    ("domainname", "domainname"),
    ("platform", "platform"),
    ("annotations", "annotations"),
    ("expose", "expose (services on a shared network reach every port)"),
    ("pull_policy", "pull_policy (each node pulls the image when it starts a task)"),
)


def check_swarm(project: Project) -> list[str]:
    """Warnings for what Swarm ignores; raises SpecError listing everything it cannot keep."""
    where = ", ".join(path.name for path in project.files) or "the Compose file"
    problems: list[Problem] = []
    warnings: list[str] = []
    for name, service in sorted(project.services.items()):
        for key, message in _refusals(project, service):
            problems.append(Problem(f"{where}: services.{name}.{key}", message))
        warnings += [f"service {name}: {message}" for message in _ignored(service)]
    for key, network in sorted(project.networks.items()):
        if not network.external and network.driver not in (None, *_OVERLAY_DRIVERS):
            problems.append(
                Problem(
                    f"{where}: networks.{key}.driver",
                    f"{network.driver!r}: Swarm services join only overlay networks "
                    "(leave driver unset or write overlay)",
                )
            )
    if problems:
        raise SpecError(problems)
    return warnings


def _refusals(project: Project, service: Service) -> Iterator[tuple[str, str]]:
    """(key, why) for each setting of ``service`` that cannot keep its meaning on Swarm."""
    yield from _references(service)
    yield from _dependencies(service)
    yield from _ports_and_addresses(service)
    yield from _mounts(service)
    if service.image is None:
        yield (
            "image",
            (
                "a Swarm service needs an image every node can pull: build and push it "
                "(orchestra build, orchestra push), then name it in image:"
            ),
        )
    if len(f"{project.name}_{service.name}") > MAX_NAME:
        yield "name", f"{project.name}_{service.name} is longer than {MAX_NAME} characters"


def _references(service: Service) -> Iterator[tuple[str, str]]:
    for key in ("network_mode", "ipc", "pid"):
        value = getattr(service, key)
        if value is not None and value.startswith(_REFERENCE_PREFIXES):
            yield (
                key,
                (
                    f"{value}: a service's tasks run on any node, so they cannot share another "
                    "container's namespace"
                ),
            )
    if service.network_mode not in (None, "host", "none", "bridge") and not str(
        service.network_mode
    ).startswith(_REFERENCE_PREFIXES):
        yield "network_mode", f"{service.network_mode}: use networks: on Swarm"
    if service.volumes_from:
        yield "volumes_from", "tasks on different nodes cannot mount another container's volumes"
    for link in service.links:
        target, _, alias = link.partition(":")
        if alias and alias != target:
            yield (
                "links",
                (f"{link}: Swarm has no link aliases; add {alias!r} to {target}'s network aliases"),
            )
    if service.external_links:
        yield "external_links", "Swarm tasks cannot link to containers outside the swarm"


def _dependencies(service: Service) -> Iterator[tuple[str, str]]:
    for name, dep in sorted(service.depends_on.items()):
        if dep.condition == "service_completed_successfully":
            yield (
                f"depends_on.{name}.condition",
                (
                    "service_completed_successfully: a Swarm service never completes (its tasks "
                    "are restarted); run the one-off job before deploying"
                ),
            )


def _ports_and_addresses(service: Service) -> Iterator[tuple[str, str]]:
    for index, port in enumerate(service.ports):
        if port.host_ip:
            yield (
                f"ports[{index}].host_ip",
                (
                    f"{port.host_ip}: Swarm publishes on every interface of every node, "
                    "so binding to one address cannot be kept"
                ),
            )
        if port.published and not port.published.isdigit():
            yield (
                f"ports[{index}].published",
                (f"{port.published}: Swarm publishes one port per entry, not a range"),
            )
    for key, joined in sorted(service.networks.items()):
        for field in ("ipv4_address", "ipv6_address"):
            if getattr(joined, field) is not None:
                yield (
                    f"networks.{key}.{field}",
                    (
                        "Swarm gives each task an address from the overlay's pool: a fixed "
                        "address cannot be kept"
                    ),
                )


def _mounts(service: Service) -> Iterator[tuple[str, str]]:
    for index, volume in enumerate(service.volumes):
        if volume.type not in ("bind", "volume", "tmpfs"):
            yield f"volumes[{index}].type", f"{volume.type}: Swarm mounts bind, volume or tmpfs"
        if volume.volume is not None and volume.volume.subpath:
            yield f"volumes[{index}].volume.subpath", "needs Docker Engine API 1.45 (Swarm)"


def _ignored(service: Service) -> Iterator[str]:
    """What Swarm ignores, one message each (as ``docker stack deploy`` ignores it)."""
    for attribute, text in _IGNORED:
        if getattr(service, attribute):
            yield f"{text} is ignored on Swarm"
    if service.build is not None and service.image is not None:
        yield (
            f"build is ignored on Swarm: nodes run {service.image} (push it where they can pull)"
        )
    if service.container_name:
        yield (
            f"container_name {service.container_name} is not a task name on Swarm: it is kept "
            "as a network alias"
        )
    yield from _ignored_modes(service)
    yield from _ignored_details(service)
    yield from _shared_files(service)


def _ignored_modes(service: Service) -> Iterator[str]:
    for key in ("ipc", "pid"):
        value = getattr(service, key)
        if value is not None and not value.startswith(_REFERENCE_PREFIXES):
            yield f"{key}: {value} is ignored on Swarm"
    if service.links:
        yield "links are not needed on Swarm: services reach each other by name"
    deploy = service.deploy
    if deploy is not None and deploy.restart_policy is not None and service.restart:
        yield "restart is ignored: deploy.restart_policy applies"
    if deploy is not None and deploy.mode == "global" and (deploy.replicas or service.scale):
        yield "replicas are ignored: a global service runs one task per node"
    reserved = deploy.resources.reservations if deploy is not None else None
    if reserved is not None and reserved.pids is not None:
        yield "deploy.resources.reservations.pids is ignored (pids is only a limit)"


def _ignored_details(service: Service) -> Iterator[str]:
    check = service.healthcheck
    if check is not None and check.start_interval is not None:
        yield "healthcheck.start_interval needs Docker Engine API 1.44: ignored"
    for entry in service.tmpfs:
        options = entry.partition(":")[2].split(",")
        extra = [o for o in options if o and o.partition("=")[0] not in ("size", "mode")]
        if extra:
            yield f"tmpfs {entry}: only size and mode are kept on Swarm"
    for key, joined in sorted(service.networks.items()):
        if joined.driver_opts or joined.mac_address or joined.link_local_ips:
            yield f"networks.{key}: driver_opts, mac_address and link_local_ips are ignored"
    for volume in service.volumes:
        if volume.type == "bind":
            yield (
                f"bind mount {volume.source}: the path must exist on every node that may run "
                "the task (Swarm does not create it)"
            )
        if volume.bind is not None and volume.bind.selinux:
            yield f"volume {volume.target}: bind selinux option is ignored on Swarm"


def _shared_files(service: Service) -> Iterator[str]:
    """Engine 20.10 keeps one file per secret/config and task, whatever the targets: when one
    object is referenced twice, the last reference's owner and mode apply to both (checked on
    the test swarm)."""
    for kind, refs in (("secret", service.secrets), ("config", service.configs)):
        seen: dict[str, tuple[str | None, str | None, int | None]] = {}
        for ref in refs:
            access = (ref.uid, ref.gid, ref.mode)
            if seen.setdefault(ref.source, access) != access:
                yield (
                    f"{kind} {ref.source} is mounted twice with different uid/gid/mode: on "
                    "Swarm both files get the last one's"
                )
                seen[ref.source] = access
