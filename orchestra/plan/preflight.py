"""Pre-flight: what would make a plan fail half-way, found before its first engine mutation.

The engine refuses a container name another container holds, a host port a running container
publishes, and a bind mount whose source is missing (long syntax with ``create_host_path:
false``, file secrets); a build fails on a missing context or Dockerfile. Each refusal would
come after the networks and earlier containers were created. ``plan_problems`` finds them all
on the plan and on facts read beforehand (every container on the engine, which host paths are
missing), so ``up`` reports them together and changes nothing.

Pure and deterministic: the caller gathers the facts (``orchestra.preflight``). Never imports
``docker``, ``anyio`` or ``os``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from orchestra import labels
from orchestra.engine.base import BuildSpec, ContainerSpec, ObservedContainer, PortBinding
from orchestra.errors import Problem, SpecError
from orchestra.plan.ops import Op, OpKind, Plan
from orchestra.spec.model import Project

__all__ = [
    "Facts",
    "PreflightError",
    "needs_facts",
    "paths_to_check",
    "plan_problems",
]

_WILDCARDS = frozenset({"", "0.0.0.0", "::"})  # any address: overlaps every other


@dataclass(frozen=True)
class Facts:
    """What pre-flight read from the world: every container, and host paths that are missing."""

    containers: tuple[ObservedContainer, ...] = ()
    missing_paths: frozenset[str] = frozenset()


class PreflightError(SpecError):
    """Problems found before acting: nothing was changed (exit 2, like any bad input)."""

    def __init__(self, problems: list[Problem], files: Sequence[str] = ()) -> None:
        self.files = tuple(files)
        super().__init__(problems)

    def _render(self) -> str:
        where = f" ({', '.join(self.files)})" if self.files else ""
        count = len(self.problems)
        head = f"{count} problem{'s' if count > 1 else ''} found before acting{where}"
        lines = [f"{head}; nothing was changed:"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Want:
    """A host port a new container of the plan will publish."""

    service: str
    container: str
    ip: str
    port: int
    protocol: str
    text: str


def needs_facts(plan: Plan) -> bool:
    """Whether the plan creates a container or builds an image (else nothing can conflict)."""
    kinds = (OpKind.CREATE_CONTAINER, OpKind.BUILD_IMAGE)
    return any(op.kind in kinds for op in plan.ops)


def paths_to_check(plan: Plan, *, binds: bool = True) -> set[str]:
    """Host paths whose existence decides a problem: build contexts and Dockerfiles, and (when
    ``binds``, i.e. the engine shares this host) bind sources the engine will not create."""
    paths: set[str] = set()
    for op in plan.ops:
        if isinstance(op.spec, BuildSpec) and not _remote(op.spec.context):
            paths.add(op.spec.context)
            if op.spec.dockerfile:
                paths.add(_dockerfile(op.spec))
        elif isinstance(op.spec, ContainerSpec) and binds:
            paths |= {source for source, _ in _strict_binds(op.spec)}
    return paths


def plan_problems(plan: Plan, facts: Facts, project: Project | None = None) -> list[Problem]:
    """Every problem of ``plan`` against ``facts``, in plan order; empty when it can run."""
    problems: list[Problem] = []
    problems += _build_problems(plan, facts)
    problems += _name_problems(plan, facts, project)
    problems += _port_problems(plan, facts)
    problems += _bind_problems(plan, facts, project)
    return problems


def _service(op: Op) -> str:
    return op.service or op.target.split(":")[1]


def _creates(plan: Plan) -> Iterator[tuple[Op, ContainerSpec]]:
    for op in plan.ops:
        if op.kind is OpKind.CREATE_CONTAINER and isinstance(op.spec, ContainerSpec):
            yield op, op.spec


def _remote(context: str) -> bool:
    return "://" in context or context.startswith("git@")


def _dockerfile(spec: BuildSpec) -> str:
    name = spec.dockerfile or "Dockerfile"
    return name if name.startswith("/") else f"{spec.context.rstrip('/')}/{name}"


def _build_problems(plan: Plan, facts: Facts) -> Iterator[Problem]:
    for op in plan.ops:
        if not isinstance(op.spec, BuildSpec) or _remote(op.spec.context):
            continue
        path = f"services.{_service(op)}.build"
        if op.spec.context in facts.missing_paths:
            yield Problem(f"{path}.context", f"build context {op.spec.context} does not exist")
        elif _dockerfile(op.spec) in facts.missing_paths:
            yield Problem(f"{path}.dockerfile", f"Dockerfile {_dockerfile(op.spec)} not found")


def _owner(container: ObservedContainer) -> str:
    project = container.labels.get(labels.PROJECT)
    if project is None:
        return "a container of no compose project"
    service = container.labels.get(labels.SERVICE)
    return f"project {project}" + (f", service {service}" if service else "")


def _name_problems(plan: Plan, facts: Facts, project: Project | None) -> Iterator[Problem]:
    # A name our own project holds is the planner's business (it replaces or renames it).
    foreign = {c.name: c for c in facts.containers if c.labels.get(labels.PROJECT) != plan.project}
    for op, spec in _creates(plan):
        holder = foreign.get(spec.name)
        if holder is None:
            continue
        service = _service(op)
        chosen = project is not None and service in project.services
        explicit = chosen and project is not None and project.services[service].container_name
        path = f"services.{service}" + (".container_name" if explicit else "")
        yield Problem(
            path,
            f"container name {spec.name} is taken by container {holder.id[:12]} "
            f"({_owner(holder)}); remove or rename that container, or choose another name",
        )


def _parse_listed(text: str) -> tuple[str, int, str] | None:
    """``"0.0.0.0:8080->80/tcp"`` (as the list call shows it) → (ip, host port, protocol)."""
    host, arrow, container = text.partition("->")
    ip, _, port = host.rpartition(":")
    protocol = container.rpartition("/")[2] or "tcp"
    if not arrow or not port.isdigit():
        return None
    return ip.strip("[]"), int(port), protocol


def _overlap(a: str, b: str) -> bool:
    return a in _WILDCARDS or b in _WILDCARDS or a == b


def _published(port: PortBinding) -> int | None:
    """The fixed host port of a binding; None for expose-only, ephemeral and ranges."""
    host = port.host_port or ""
    return int(host) if host.isdigit() and int(host) > 0 else None


def _wanted(plan: Plan) -> Iterator[_Want]:
    for op, spec in _creates(plan):
        for port in spec.ports:
            number = _published(port)
            if number is None:
                continue
            ip = port.host_ip or ""
            shown = f"{ip + ':' if ip else ''}{number}:{port.container_port}/{port.protocol}"
            yield _Want(_service(op), spec.name, ip, number, port.protocol, shown)


def _held(plan: Plan, facts: Facts) -> Iterator[tuple[ObservedContainer, str, int, str]]:
    """Host ports held by running containers the plan does not stop or remove first."""
    freed = {
        op.engine_id
        for op in plan.ops
        if op.kind in (OpKind.STOP_CONTAINER, OpKind.REMOVE_CONTAINER) and not op.rollback
    }
    for container in facts.containers:
        if container.id in freed:
            continue
        for text in container.ports:
            parsed = _parse_listed(text)
            if parsed is not None:
                yield container, *parsed


def _port_problems(plan: Plan, facts: Facts) -> Iterator[Problem]:
    held = list(_held(plan, facts))
    earlier: list[_Want] = []
    for want in _wanted(plan):
        path = f"services.{want.service}.ports"
        clash = _first_holder(want, held)
        if clash is not None:
            yield Problem(
                path,
                f"{want.text}: host port {want.port}/{want.protocol} is already published by "
                f"container {clash.name} ({_owner(clash)}); stop it or publish another port",
            )
        for other in earlier:
            if _same_port(want, other.ip, other.port, other.protocol):
                yield Problem(
                    path,
                    f"{want.text}: host port {want.port}/{want.protocol} is also published by "
                    f"{other.container} (service {other.service}); only one can bind it",
                )
                break
        earlier.append(want)


def _same_port(want: _Want, ip: str, port: int, protocol: str) -> bool:
    return want.port == port and want.protocol == protocol and _overlap(want.ip, ip)


def _first_holder(
    want: _Want, held: Iterable[tuple[ObservedContainer, str, int, str]]
) -> ObservedContainer | None:
    for container, ip, port, protocol in held:
        if _same_port(want, ip, port, protocol):
            return container
    return None


def _strict_binds(spec: ContainerSpec) -> Iterator[tuple[str, str]]:
    """(source, target) of bind mounts the engine refuses when the source is missing."""
    for mount in spec.mounts:
        if mount.type == "bind" and mount.source and not mount.create_host_path:
            yield mount.source, mount.target


def _bind_problems(plan: Plan, facts: Facts, project: Project | None) -> Iterator[Problem]:
    for op, spec in _creates(plan):
        service = _service(op)
        for source, target in _strict_binds(spec):
            if source not in facts.missing_paths:
                continue
            key = _bind_key(project, service, source)
            yield Problem(
                f"services.{service}.{key}",
                f"bind source {source} (for {target}) does not exist and is not created "
                f"(create_host_path: false or a file reference); create it first",
            )


def _bind_key(project: Project | None, service: str, source: str) -> str:
    """The key of ``service`` a bind source comes from: volumes, secrets or configs."""
    found = project.services.get(service) if project is not None else None
    if found is None:
        return "volumes"
    if any(volume.source == source for volume in found.volumes):
        return "volumes"
    for key, refs, defined in (
        ("secrets", found.secrets, project.secrets if project else {}),
        ("configs", found.configs, project.configs if project else {}),
    ):
        if any(getattr(defined.get(ref.source), "file", None) == source for ref in refs):
            return key
    return "volumes"
