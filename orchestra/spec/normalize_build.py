"""``build:`` of a service: a context path, or a mapping, to ``Build``.

A string is the context. Without ``context`` the project directory is the context, as Compose
does; ``dockerfile`` defaults to ``Dockerfile`` unless ``dockerfile_inline`` is given. A bare
build arg takes its value from the project environment and is dropped when that has none.

Imports only ``orchestra.spec.model``, ``validate_core`` and ``normalize_env``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from orchestra.spec.model import Build, frozen_map
from orchestra.spec.normalize_env import read_extra_hosts, read_labels
from orchestra.spec.validate_core import (
    Checker,
    Loc,
    read_bool,
    read_opt,
    read_size,
    read_str,
    read_str_list,
    read_str_map,
)

__all__ = ["BUILD_KEYS", "BUILD_UNSUPPORTED", "read_build"]

BUILD_KEYS = frozenset(
    {
        "context",
        "dockerfile",
        "dockerfile_inline",
        "args",
        "target",
        "labels",
        "network",
        "no_cache",
        "pull",
        "cache_from",
        "cache_to",
        "extra_hosts",
        "shm_size",
        "tags",
        "platforms",
    }
)
BUILD_UNSUPPORTED = frozenset(
    {
        "additional_contexts",
        "entitlements",
        "isolation",
        "privileged",
        "provenance",
        "sbom",
        "secrets",
        "ssh",
        "ulimits",
    }
)


def read_build(
    ck: Checker, loc: Loc, directory: Path, environment: Mapping[str, str]
) -> Build | None:
    """The build at ``loc``: a context string or a mapping."""
    if isinstance(loc.value, str):
        return Build(context=loc.value)
    if not isinstance(loc.value, dict):
        ck.add(loc, "must be a context path or a mapping")
        return None
    ck.keys(loc, BUILD_KEYS, BUILD_UNSUPPORTED)
    inline = read_opt(ck, loc, "dockerfile_inline", read_str)
    dockerfile = read_opt(ck, loc, "dockerfile", read_str)
    return Build(
        context=read_opt(ck, loc, "context", read_str) or str(directory),
        dockerfile=dockerfile or (None if inline is not None else "Dockerfile"),
        dockerfile_inline=inline,
        args=frozen_map(_read_args(ck, loc.get("args"), environment)),
        target=read_opt(ck, loc, "target", read_str),
        labels=frozen_map(read_opt(ck, loc, "labels", read_labels)),
        network=read_opt(ck, loc, "network", read_str),
        no_cache=read_opt(ck, loc, "no_cache", read_bool) or False,
        pull=read_opt(ck, loc, "pull", read_bool) or False,
        cache_from=read_opt(ck, loc, "cache_from", read_str_list) or (),
        cache_to=read_opt(ck, loc, "cache_to", read_str_list) or (),
        extra_hosts=read_opt(ck, loc, "extra_hosts", read_extra_hosts) or (),
        shm_size=read_opt(ck, loc, "shm_size", read_size),
        tags=read_opt(ck, loc, "tags", read_str_list) or (),
        platforms=read_opt(ck, loc, "platforms", read_str_list) or (),
    )


def _read_args(ck: Checker, loc: Loc | None, environment: Mapping[str, str]) -> dict[str, str]:
    if loc is None or loc.value is None:
        return {}
    found = read_str_map(ck, loc) or {}
    resolved = {k: environment.get(k) if v is None else v for k, v in found.items()}
    return {k: v for k, v in resolved.items() if v is not None}
