"""Which services a run uses: profiles, explicitly named services, and the resources they need.

A service without ``profiles`` is always enabled; one with profiles is enabled when one of them
is active (``*`` activates all). Naming a service (``orchestra up web``) activates its profiles,
as Compose does. An enabled service may not rely on a disabled one (unless the ``depends_on``
entry says ``required: false``). A project keeps only the networks, volumes, secrets and
configs its enabled services use, the way ``docker compose`` builds its project.

Imports only ``orchestra.errors``, ``orchestra.spec.model``, ``validate_core`` and
``validate_refs``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace

from orchestra.errors import UsageError
from orchestra.spec.model import Project, Service, frozen_map
from orchestra.spec.validate_core import Checker, Loc
from orchestra.spec.validate_refs import reference_loc, report_reference, service_references

__all__ = [
    "active_profiles",
    "check_enabled_dependencies",
    "is_enabled",
    "prune_resources",
    "select_services",
    "split_by_profiles",
]


def is_enabled(service: Service, active: Collection[str]) -> bool:
    """Whether ``service`` runs with the ``active`` profiles."""
    if not service.profiles or "*" in active:
        return True
    return any(profile in active for profile in service.profiles)


def active_profiles(
    given: Iterable[str], services: Mapping[str, Service], named: Iterable[str] = ()
) -> tuple[str, ...]:
    """The ``given`` profiles plus those of the explicitly ``named`` services, in order."""
    active = dict.fromkeys(given)
    for name in named:
        if name in services:
            active.update(dict.fromkeys(services[name].profiles))
    return tuple(active)


def split_by_profiles(
    services: Mapping[str, Service], active: Collection[str]
) -> tuple[dict[str, Service], dict[str, Service]]:
    """``(enabled, disabled)`` services under the ``active`` profiles."""
    enabled = {n: s for n, s in services.items() if is_enabled(s, active)}
    disabled = {n: s for n, s in services.items() if n not in enabled}
    return enabled, disabled


def check_enabled_dependencies(
    ck: Checker, services: Loc, enabled: Mapping[str, Service], disabled: Mapping[str, Service]
) -> None:
    """Report every enabled service that relies on a service its profiles leave out."""
    for name, service in enabled.items():
        for attribute, target, _ in service_references(service):
            if target not in disabled or attribute != "depends_on":
                continue
            if not service.depends_on[target].required:
                continue
            profiles = ", ".join(disabled[target].profiles)
            where = reference_loc(services.child(name), service, target)
            report_reference(
                ck,
                where,
                f'service "{name}" depends on service "{target}", which is disabled '
                f"(its profiles: {profiles}; enable one with --profile)",
            )


def select_services(project: Project, names: Iterable[str]) -> Project:
    """``project`` reduced to the ``names`` services and what they depend on (UsageError)."""
    wanted = list(names)
    unknown = [n for n in wanted if n not in project.services]
    if unknown:
        hint = " (disabled by its profiles)" if unknown[0] in project.disabled_services else ""
        raise UsageError(f"no such service: {unknown[0]}{hint}")
    keep: dict[str, None] = {}
    while wanted:
        name = wanted.pop()
        if name in keep or name not in project.services:
            continue
        keep[name] = None
        wanted.extend(project.services[name].depends_on)
    services = {n: s for n, s in project.services.items() if n in keep}
    return prune_resources(replace(project, services=frozen_map(services)))


def prune_resources(project: Project) -> Project:
    """``project`` without the networks, volumes, secrets and configs no service uses."""
    services = project.services.values()
    networks = {n for s in services for n in s.networks}
    volumes = {v.source for s in services for v in s.volumes if v.type == "volume"}
    secrets = {r.source for s in services for r in s.secrets}
    configs = {r.source for s in services for r in s.configs}
    return replace(
        project,
        networks=frozen_map({k: v for k, v in project.networks.items() if k in networks}),
        volumes=frozen_map({k: v for k, v in project.volumes.items() if k in volumes}),
        secrets=frozen_map({k: v for k, v in project.secrets.items() if k in secrets}),
        configs=frozen_map({k: v for k, v in project.configs.items() if k in configs}),
    )
