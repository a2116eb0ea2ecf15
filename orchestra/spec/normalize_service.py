"""One raw service mapping to a ``Service``: the attribute table and service-wide checks.

Every supported attribute has a reader in ``_READERS`` (the table is also the list of known
keys); attributes Compose has but orchestra does not implement are reported as "not supported
by orchestra", anything else as "unknown attribute" with a suggestion. A null value means the
attribute is not written. Checks that need other services (references, cycles) live in
``validate_refs``.

Imports only ``orchestra.spec.*`` readers and the model.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from orchestra.spec.model import Service, ServiceNetwork, frozen_map
from orchestra.spec.normalize_build import read_build
from orchestra.spec.normalize_env import (
    EnvSource,
    read_environment,
    read_extra_hosts,
    read_labels,
    read_options,
)
from orchestra.spec.normalize_health import read_healthcheck
from orchestra.spec.normalize_links import (
    read_depends_on,
    read_file_references,
    read_network_mode,
    read_service_networks,
)
from orchestra.spec.normalize_ports import read_expose, read_ports
from orchestra.spec.normalize_resources import (
    read_count,
    read_cpus,
    read_deploy,
    read_logging,
    read_ulimits,
)
from orchestra.spec.normalize_volumes import read_devices, read_tmpfs, read_volumes
from orchestra.spec.validate_core import (
    Checker,
    Loc,
    Reader,
    read_bool,
    read_duration,
    read_int,
    read_map,
    read_size,
    read_str,
    read_str_list,
)

__all__ = ["SERVICE_KEYS", "SERVICE_UNSUPPORTED", "read_service"]

SERVICE_NAME = re.compile(r"[a-zA-Z0-9._-]+")
CONTAINER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
RESTART_POLICY = re.compile(r"no|always|unless-stopped|on-failure(:\d+)?")
PULL_POLICY = re.compile(r"always|never|missing|build|if_not_present|daily|weekly|every_\w+")
HEAL_POLICY = re.compile(r"unhealthy")


def _read_command(ck: Checker, loc: Loc) -> tuple[str, ...] | None:
    if isinstance(loc.value, str):
        try:
            return tuple(shlex.split(loc.value))
        except ValueError as exc:
            ck.add(loc, f"cannot split into words: {exc}")
            return None
    return read_str_list(ck, loc, numbers=True)


def _matching(pattern: re.Pattern[str], what: str, hint: str = "") -> Reader[str]:
    def read(ck: Checker, loc: Loc) -> str | None:
        text = read_str(ck, loc)
        if text is not None and pattern.fullmatch(text) is None:
            ck.add(loc, f"invalid {what} {text!r}{hint}")
            return None
        return text

    return read


def _bounded(read: Reader[int], low: int | None, high: int | None) -> Reader[int]:
    def check(ck: Checker, loc: Loc) -> int | None:
        number = read(ck, loc)
        if number is None:
            return None
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = f"{low if low is not None else ''}..{high if high is not None else ''}"
            ck.add(loc, f"must be in {bounds}, not {loc.value!r}")
            return None
        return number

    return check


def _read_pull_policy(ck: Checker, loc: Loc) -> str | None:
    policy = _matching(PULL_POLICY, "pull policy")(ck, loc)
    return "missing" if policy == "if_not_present" else policy  # Compose's spelling of both


def _strings(ck: Checker, loc: Loc) -> tuple[str, ...] | None:
    return read_str_list(ck, loc)


def _one_or_more(ck: Checker, loc: Loc) -> tuple[str, ...] | None:
    return read_str_list(ck, loc, single=True)


def _unique(ck: Checker, loc: Loc) -> tuple[str, ...] | None:
    found = read_str_list(ck, loc)
    return tuple(dict.fromkeys(found)) if found is not None else None


_READERS: Mapping[str, Reader[Any]] = MappingProxyType(
    {
        "image": read_str,
        "pull_policy": _read_pull_policy,
        "platform": read_str,
        "command": _read_command,
        "entrypoint": _read_command,
        "labels": read_labels,
        "annotations": read_labels,
        "profiles": _strings,
        "container_name": _matching(CONTAINER_NAME, "container name"),
        "hostname": read_str,
        "domainname": read_str,
        "ports": read_ports,
        "expose": read_expose,
        "networks": read_service_networks,
        "network_mode": read_network_mode,
        "dns": _one_or_more,
        "dns_search": _one_or_more,
        "dns_opt": _strings,
        "extra_hosts": read_extra_hosts,
        "links": _strings,
        "external_links": _strings,
        "depends_on": read_depends_on,
        "volumes_from": _strings,
        "volumes": read_volumes,
        "tmpfs": read_tmpfs,
        "read_only": read_bool,
        "devices": read_devices,
        "secrets": read_file_references(secret=True),
        "configs": read_file_references(secret=False),
        "user": read_str,
        "group_add": lambda ck, loc: read_str_list(ck, loc, numbers=True),
        "working_dir": read_str,
        "init": read_bool,
        "tty": read_bool,
        "stdin_open": read_bool,
        "privileged": read_bool,
        "cap_add": _unique,
        "cap_drop": _unique,
        "security_opt": _strings,
        "ipc": read_str,
        "pid": read_str,
        "sysctls": read_options,
        "ulimits": read_ulimits,
        "stop_signal": read_str,
        "stop_grace_period": read_duration,
        "restart": _matching(
            RESTART_POLICY, "restart policy", " (no, always, on-failure[:N], unless-stopped)"
        ),
        "healthcheck": read_healthcheck,
        "logging": read_logging,
        "deploy": read_deploy,
        "scale": read_count,
        "mem_limit": _bounded(read_size, 0, None),
        "memswap_limit": _bounded(read_size, -1, None),
        "mem_reservation": _bounded(read_size, 0, None),
        "mem_swappiness": _bounded(read_int, 0, 100),
        "oom_kill_disable": read_bool,
        "oom_score_adj": _bounded(read_int, -1000, 1000),
        "shm_size": _bounded(read_size, 0, None),
        "cpus": read_cpus,
        "cpu_shares": _bounded(read_int, 0, None),
        "cpu_quota": read_int,
        "cpu_period": _bounded(read_int, 0, None),
        "cpuset": read_str,
        "pids_limit": _bounded(read_int, -1, None),
        "cgroup_parent": read_str,
    }
)
# Read with more context than one value (see read_service); extends is resolved upstream.
_SPECIAL = frozenset({"build", "environment", "env_file", "extends"})
SERVICE_KEYS = frozenset(_READERS) | _SPECIAL
_SOURCES = ("image", "build")
SERVICE_UNSUPPORTED = frozenset(
    {
        "attach",
        "blkio_config",
        "cgroup",
        "cpu_count",
        "cpu_percent",
        "cpu_rt_period",
        "cpu_rt_runtime",
        "credential_spec",
        "develop",
        "device_cgroup_rules",
        "gpus",
        "isolation",
        "label_file",
        "mac_address",
        "models",
        "post_start",
        "pre_stop",
        "provider",
        "pull_refresh_after",
        "runtime",
        "storage_opt",
        "use_api_socket",
        "userns_mode",
        "uts",
    }
)


def read_service(ck: Checker, loc: Loc, directory: Path, env: EnvSource) -> Service | None:
    """The service at ``loc`` (``services.<name>``), or None when it is not a mapping."""
    name = str(loc.key)
    if SERVICE_NAME.fullmatch(name) is None:
        ck.add(loc, f"invalid service name {name!r} (letters, digits, '.', '_', '-')", at_key=True)
    if not isinstance(loc.value, dict):
        ck.add(loc, "a service must be a mapping")
        return None
    ck.keys(loc, SERVICE_KEYS, SERVICE_UNSUPPORTED)
    fields: dict[str, Any] = {}
    written = loc.value
    for key, reader in _READERS.items():
        # A service sets a handful of the ~75 keys: test the dict before making a Loc.
        if written.get(key) is None:
            continue
        value = reader(ck, loc.child(key))
        if value is not None:
            fields[key] = frozen_map(value) if isinstance(value, dict) else value
    build_loc = loc.get("build")
    if build_loc is not None and build_loc.value is not None:
        fields["build"] = read_build(ck, build_loc, directory, env.environment)
    fields["environment"] = frozen_map(read_environment(ck, loc, env))
    heal = _read_orchestra_extension(ck, loc.get("x-orchestra"))
    if heal is not None:
        fields["heal"] = heal
    _default_network(fields)
    service = Service(name=name, **fields)
    _check_service(ck, loc, service)
    return service


def _read_orchestra_extension(ck: Checker, loc: Loc | None) -> str | None:
    """``x-orchestra: {heal: unhealthy}``, orchestra's own service settings (only ``heal``)."""
    if loc is None or loc.value is None or read_map(ck, loc) is None:
        return None
    ck.keys(loc, {"heal"})
    heal = loc.get("heal")
    if heal is None or heal.value is None:
        return None
    return _matching(HEAL_POLICY, "heal policy", " (unhealthy)")(ck, heal)


def _default_network(fields: dict[str, Any]) -> None:
    if "networks" not in fields and "network_mode" not in fields:
        fields["networks"] = frozen_map({"default": ServiceNetwork()})


def _check_service(ck: Checker, loc: Loc, service: Service) -> None:
    written = set(loc.value)
    # A bad or misspelt image/build is reported on its own; "neither" would only add noise.
    typos = {k for k in written - SERVICE_KEYS if difflib.get_close_matches(k, _SOURCES)}
    if not written & set(_SOURCES) and not typos:
        ck.add(loc, "has neither an image nor a build context specified", at_key=True)
    if service.network_mode is not None and loc.get("networks") is not None:
        ck.add(loc.child("network_mode"), "cannot be combined with 'networks'")
    if service.container_name is not None and service.replicas > 1:
        ck.add(
            loc.child("container_name"),
            f"cannot be used with {service.replicas} replicas (container names must be unique)",
        )
    limits = service.deploy.resources.limits if service.deploy else None
    if limits is not None:
        for attr, limit in (("mem_limit", "memory"), ("cpus", "cpus"), ("pids_limit", "pids")):
            own, other = getattr(service, attr), getattr(limits, limit)
            if own is not None and other is not None and own != other:
                ck.add(loc.child(attr), f"differs from deploy.resources.limits.{limit}")
