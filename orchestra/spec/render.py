"""A ``Project`` as plain data in the shape of ``docker compose config --format json``.

The rules follow the oracle's output: sizes are strings of bytes (``"524288000"``), durations
Go strings (``"1m30s"``), ``published`` ports strings, secret/config modes octal strings
(``"0440"``); unset, false, zero and empty values are left out except where Compose keeps
them (``command``/``entrypoint`` as null, ``scale``, ``init``, ``deploy.replicas``,
``healthcheck.retries``, ``stop_grace_period``, ``enable_ipv6``); ``deploy`` always carries
``resources`` and ``placement``, networks ``ipam``; ``extra_hosts`` are sorted ``host=ip``;
top-level ``x-`` keys are kept; ``$`` is written ``$$`` so the output can be loaded again.

Secret and config values read by the loader (``secret_values``) and their digests are never
rendered: the output shows where a value comes from, as compose's does. Masking secret-looking
environment values is ``mask``'s job, applied by the CLI.

Imports only ``orchestra.spec.model``, ``orchestra.spec.units`` and ``secret_values``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from orchestra.spec.model import (
    Build,
    Dependency,
    Deploy,
    FileReference,
    Project,
    Service,
    ServiceNetwork,
    Ulimit,
)
from orchestra.spec.model_resources import Ipam
from orchestra.spec.secret_values import HIDDEN_KEY, ResolvedReference
from orchestra.spec.units import format_duration

__all__ = ["project_to_dict", "service_to_dict"]

_SIZES = frozenset({"mem_limit", "memswap_limit", "mem_reservation", "shm_size", "memory", "size"})
_DURATIONS = frozenset(
    {
        "stop_grace_period",
        "interval",
        "timeout",
        "start_period",
        "start_interval",
        "delay",
        "window",
        "monitor",
    }
)
# Compose holds these as pointers, so a written zero or false still shows.
_KEEP_ZERO = frozenset(
    {
        "scale",
        "replicas",
        "retries",
        "parallelism",
        "init",
        "stop_grace_period",
        "enable_ipv6",
        "enable_ipv4",
    }
)
_ALWAYS = frozenset({"command", "entrypoint"})


def project_to_dict(project: Project) -> dict[str, Any]:
    """The project as ``docker compose config --format json`` prints it."""
    out: dict[str, Any] = {"name": project.name}
    sections: dict[str, Mapping[str, Any]] = {
        "networks": project.networks,
        "volumes": project.volumes,
        "secrets": project.secrets,
        "configs": project.configs,
    }
    for key, items in sections.items():
        if items:
            out[key] = {name: _plain(item) for name, item in sorted(items.items())}
    out["services"] = {name: service_to_dict(s) for name, s in sorted(project.services.items())}
    out.update({key: _data(value) for key, value in project.extensions.items()})
    escaped: dict[str, Any] = _escape(dict(sorted(out.items())))
    return escaped


def service_to_dict(service: Service) -> dict[str, Any]:
    """One service as ``docker compose config`` prints it (``$`` not yet escaped)."""
    out = _plain(service)
    del out["name"]
    heal = out.pop("heal", None)
    if heal is not None:  # written as an x- extension, shown the way the file says it
        out["x-orchestra"] = {"heal": heal}
    return out


def _plain(obj: Any) -> dict[str, Any]:
    """A model dataclass as a dict, leaving out what Compose leaves out."""
    special = _SPECIAL.get(type(obj))
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.metadata.get(HIDDEN_KEY):
            continue
        if f.name in _ALWAYS:
            out[f.name] = list(value) if value is not None else None
        elif _omitted(f.name, value):
            continue
        else:
            out[f.name] = _value(f.name, value)
    return special(obj, out) if special is not None else out


def _omitted(name: str, value: Any) -> bool:
    if value is None:
        return True
    if name in _KEEP_ZERO:
        return False
    return value in (False, 0, "") or (isinstance(value, tuple | Mapping) and not value)


def _value(name: str, value: Any) -> Any:
    if name in _SIZES and isinstance(value, int):
        return str(value)
    if name in _DURATIONS and isinstance(value, float):
        return format_duration(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # Go prints 2.0 as 2
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(value)
    if isinstance(value, tuple):
        return [_value(name, item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _value(str(k), v) for k, v in value.items()}
    return value


def _with_host_entries(obj: Service | Build, out: dict[str, Any]) -> dict[str, Any]:
    """``extra_hosts`` as Compose prints them: ``host=ip``, sorted."""
    if obj.extra_hosts:
        out["extra_hosts"] = sorted(h.replace(":", "=", 1) for h in obj.extra_hosts)
    return out


def _network_attachment(attachment: ServiceNetwork, out: dict[str, Any]) -> Any:
    return out or None


def _dependency(dep: Dependency, out: dict[str, Any]) -> dict[str, Any]:
    return {"condition": dep.condition, "required": dep.required, **out}


def _ulimit(limit: Ulimit, out: dict[str, Any]) -> Any:
    if limit.single:
        return limit.soft or {}  # Compose prints a zero single value as an empty mapping
    return {key: value for key, value in (("soft", limit.soft), ("hard", limit.hard)) if value}


def _deploy(deploy: Deploy, out: dict[str, Any]) -> dict[str, Any]:
    out["resources"] = _plain(deploy.resources)
    placement = out.pop("placement", None) or {}
    if "preferences" in placement:  # the model keeps each preference's spread descriptor
        placement["preferences"] = [{"spread": s} for s in placement["preferences"]]
    endpoint_mode = out.pop("endpoint_mode", None)
    out["placement"] = placement
    return out if endpoint_mode is None else {**out, "endpoint_mode": endpoint_mode}


def _reference(ref: FileReference, out: dict[str, Any]) -> dict[str, Any]:
    out.pop("digest", None)  # a ResolvedReference's: not part of the Compose file
    if ref.mode is not None:
        out["mode"] = f"0{ref.mode:o}"
    return out


def _ipam(ipam: Ipam, out: dict[str, Any]) -> dict[str, Any]:
    # Compose reads ipam.options but never prints (nor sends) them; keep the model, match it.
    out.pop("options", None)
    return out


_SPECIAL: Mapping[type, Any] = MappingProxyType(
    {
        Ipam: _ipam,
        ServiceNetwork: _network_attachment,
        Dependency: _dependency,
        Ulimit: _ulimit,
        Deploy: _deploy,
        FileReference: _reference,
        ResolvedReference: _reference,
        Service: _with_host_entries,
        Build: _with_host_entries,
    }
)


def _data(value: Any) -> Any:
    """Plain data (an ``x-`` extension) back to dicts and lists, with no unit rules."""
    if isinstance(value, Mapping):
        return {k: _data(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_data(item) for item in value]
    return value


def _escape(value: Any) -> Any:
    """Every string with ``$`` written as ``$$``, as Compose writes interpolation-safe output."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [_escape(item) for item in value]
    if isinstance(value, dict):
        return {key: _escape(item) for key, item in value.items()}
    return value
