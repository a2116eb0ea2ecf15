"""Checks across services and top-level resources, with the mark of each reference.

A service may only name networks, volumes, secrets and configs that the project defines, and
services that exist. ``links``, ``volumes_from`` and ``service:x`` in ``network_mode``, ``ipc`` or
``pid`` are dependencies too: Compose adds them to ``depends_on`` (all but volumes_from with
``restart: true``), and so do we, so every later stage sees one dependency map. Dependency rings
are reported here because only here do we know where they are written.

Imports only ``orchestra.errors``, ``orchestra.records``, ``orchestra.spec.model`` and
``validate_core``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

from orchestra.errors import DependencyCycleError
from orchestra.records import record
from orchestra.spec.model import Dependency, Service, frozen_map
from orchestra.spec.validate_core import Checker, Loc

__all__ = [
    "Defined",
    "check_cycles",
    "check_references",
    "find_reference",
    "reference_loc",
    "report_reference",
    "service_references",
    "with_implicit_dependencies",
]


@record
class Defined:
    """Names the project defines at the top level, and all its services."""

    services: frozenset[str]
    networks: frozenset[str]
    volumes: frozenset[str]
    secrets: frozenset[str]
    configs: frozenset[str]


def service_references(service: Service) -> Iterator[tuple[str, str, bool]]:
    """``(attribute, service name, restart)`` for every service ``service`` relies on."""
    for name in service.depends_on:
        yield "depends_on", name, service.depends_on[name].restart
    for link in service.links:
        yield "links", link.partition(":")[0], True
    for source in service.volumes_from:
        if not source.startswith("container:"):
            yield "volumes_from", source.partition(":")[0], False
    for attribute in ("network_mode", "ipc", "pid"):
        mode = getattr(service, attribute) or ""
        if mode.startswith("service:"):
            yield attribute, mode.partition(":")[2], True


def with_implicit_dependencies(service: Service) -> Service:
    """``service`` with the services of links, volumes_from, ``service:x`` added to depends_on."""
    deps = dict(service.depends_on)
    for attribute, name, restart in service_references(service):
        if attribute != "depends_on" and name not in deps:
            deps[name] = Dependency(restart=restart)
    if len(deps) == len(service.depends_on):
        return service
    return replace(service, depends_on=frozen_map(deps))


def find_reference(attribute: Loc | None, name: str) -> Loc | None:
    """The entry of ``attribute`` (a map or a list) that names ``name``, for its mark."""
    if attribute is None:
        return None
    for child in attribute.items():
        value = child.value
        if str(child.key) == name and isinstance(attribute.value, dict):
            return child
        if isinstance(value, str) and _names(value, name):
            return child
        if isinstance(value, dict) and name in (value.get("source"), value.get("target")):
            return child
    return attribute


def _names(entry: str, name: str) -> bool:
    return entry == name or entry == f"service:{name}" or entry.split(":")[0] == name


def check_references(
    ck: Checker, services: Loc, found: Mapping[str, Service], defined: Defined
) -> None:
    """Report every reference of every service to something undefined."""
    for name, service in found.items():
        loc = services.child(name)
        for attribute, target, _ in service_references(service):
            if target not in defined.services:
                where = find_reference(loc.get(attribute), target) or loc
                report_reference(
                    ck, where, f'service "{name}" depends on undefined service "{target}"'
                )
            elif target == name:
                where = find_reference(loc.get(attribute), target) or loc
                report_reference(ck, where, f'service "{name}" depends on itself')
        _check_resources(ck, loc, service, defined)


def _check_resources(ck: Checker, loc: Loc, service: Service, defined: Defined) -> None:
    wanted: list[tuple[str, str, frozenset[str]]] = [
        ("networks", n, defined.networks | {"default"}) for n in service.networks
    ]
    wanted += [
        ("volumes", v.source, defined.volumes)
        for v in service.volumes
        if v.type == "volume" and v.source
    ]
    wanted += [("secrets", s.source, defined.secrets) for s in service.secrets]
    wanted += [("configs", c.source, defined.configs) for c in service.configs]
    for attribute, target, names in wanted:
        if target not in names:
            where = find_reference(loc.get(attribute), target) or loc
            kind = attribute.rstrip("s")
            report_reference(
                ck, where, f'service "{loc.key}" refers to undefined {kind} "{target}"'
            )


def report_reference(ck: Checker, where: Loc, message: str) -> None:
    """Mark a map entry at its key (its value may be null or long), anything else at its value."""
    ck.add(where, message, at_key=not isinstance(where.value, str))


def check_cycles(services: Loc, found: Mapping[str, Service]) -> None:
    """Raise DependencyCycleError (marked at the first edge) when services depend in a ring."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for dep in sorted(found[name].depends_on):
            if dep not in found or state.get(dep) == 2 or dep == name:
                continue
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if (ring := visit(dep)) is not None:
                return ring
        state[name] = 2
        path.pop()
        return None

    for name in sorted(found):
        if name not in state and (ring := visit(name)) is not None:
            where = reference_loc(services.child(ring[0]), found[ring[0]], ring[1])
            raise DependencyCycleError(ring, where.key_mark, where.path)


def reference_loc(loc: Loc, service: Service, target: str) -> Loc:
    """Where ``service`` (at ``loc``) names ``target`` in the files."""
    for attribute, name, _ in service_references(service):
        written = loc.get(attribute)
        if name == target and written is not None:
            return find_reference(written, target) or written
    return loc
