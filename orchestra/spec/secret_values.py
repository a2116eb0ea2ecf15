"""The values of the secrets and configs a service uses, read once when the project is loaded.

A service's ``secrets:``/``configs:`` entries become ``ResolvedReference``s: the value (from the
top-level object's ``file``, ``environment`` variable or ``content``) and a sha256 digest of it.
The digest is part of the config hash (a changed value recreates the container); the value is
never hashed, rendered or shown in a ``repr``, so it cannot leak into labels, plans or logs.
A value that cannot be read (missing file, unset variable) is not an error here, since
``docker compose config`` accepts it too; ``problem`` says why, and planning a container that
needs it fails before anything is changed.

Imports only ``orchestra.spec.model`` and ``orchestra.records``; reads files (the only I/O).
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Mapping
from dataclasses import field, replace
from pathlib import Path
from types import MappingProxyType

from orchestra.records import record
from orchestra.spec.model import Config, FileReference, Project, Secret, Service, frozen_map

__all__ = [
    "HIDDEN",
    "HIDDEN_KEY",
    "MAX_VALUE_BYTES",
    "ResolvedReference",
    "resolve_values",
    "value_digest",
]

# Field metadata: kept out of the config hash and of ``config`` output (hashing.py checks the
# same key; the spec layer may not import it).
HIDDEN_KEY = "orchestra_hidden"
HIDDEN: Mapping[str, bool] = MappingProxyType({HIDDEN_KEY: True})
MAX_VALUE_BYTES = 4 << 20  # a secret is a key or a password, not a data set: refuse > 4 MiB


@record
class ResolvedReference(FileReference):
    """A ``FileReference`` with its value; ``value`` None means ``problem`` says why."""

    digest: str | None = None
    value: bytes | None = field(default=None, repr=False, metadata=HIDDEN)
    problem: str | None = field(default=None, metadata=HIDDEN)


def value_digest(value: bytes) -> str:
    """The hex sha256 of a secret value, with a prefix so it is never a bare sha256(value)."""
    return hashlib.sha256(b"orchestra-secret-v1\0" + value).hexdigest()


def resolve_values(project: Project) -> Project:
    """``project`` with every service's secret and config references resolved."""

    def resolved(services: Mapping[str, Service]) -> Mapping[str, Service]:
        return frozen_map({name: _service(project, s) for name, s in services.items()})

    return replace(
        project,
        services=resolved(project.services),
        disabled_services=resolved(project.disabled_services),
    )


def _service(project: Project, service: Service) -> Service:
    if not service.secrets and not service.configs:
        return service
    return replace(
        service,
        secrets=tuple(
            _reference(project, r, project.secrets.get(r.source)) for r in service.secrets
        ),
        configs=tuple(
            _reference(project, r, project.configs.get(r.source)) for r in service.configs
        ),
    )


def _reference(project: Project, ref: FileReference, top: Secret | Config | None) -> FileReference:
    if top is None or top.external:
        return ref  # external objects are Swarm's; spec_warnings says they are not mounted
    value, problem = _value(project, top)
    base = {f: getattr(ref, f) for f in ("source", "target", "uid", "gid", "mode")}
    digest = value_digest(value) if value is not None else None
    return ResolvedReference(**base, digest=digest, value=value, problem=problem)


def _value(project: Project, top: Secret | Config) -> tuple[bytes | None, str | None]:
    if top.content is not None:
        return _checked(top.content.encode())
    if top.environment is not None:
        text = project.environment.get(top.environment)
        if text is None:
            return None, f"environment variable {top.environment} is not set"
        return _checked(text.encode())
    return _read_file(Path(top.file or ""))


def _read_file(path: Path) -> tuple[bytes | None, str | None]:
    """At most the size limit of a regular file: a FIFO or a device (``/dev/zero``) would block
    or never end."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None, f"file {path} is not a regular file"
        with path.open("rb") as handle:
            return _checked(handle.read(MAX_VALUE_BYTES + 1))
    except FileNotFoundError:
        return None, f"file {path} does not exist"
    except OSError as exc:
        return None, f"file {path} cannot be read: {exc.strerror or exc}"


def _checked(value: bytes) -> tuple[bytes | None, str | None]:
    if len(value) > MAX_VALUE_BYTES:
        return None, f"the value is larger than {MAX_VALUE_BYTES} bytes"
    return value, None
