"""Secrets and configs on Swarm: the objects to create and the files a service's tasks see.

An object's engine name is versioned, ``<project>_<key>-<10 hex digits>`` of the value's digest
(``secret_values.value_digest``, the one the container backend already hashes), so a changed
value is a new object and every service using it rolls; ``docker stack deploy`` names it
``<project>_<key>`` and cannot change a value in use (a documented difference). External ones
keep their name and are never created. Only objects an enabled service uses are created (their
values are read per reference by the loader). File targets are as stack deploy sends them: the
``target`` as written, else the key; the engine puts a relative secret under ``/run/secrets/``
and a relative config under ``/``. A value that could not be read is a SpecError raised while
planning (``secret_files``), so nothing has been changed yet. Pure; never imports ``docker``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping

from orchestra import labels as lbl
from orchestra.engine.swarm_base import FileMount, SwarmObjectSpec
from orchestra.plan.secret_files import DEFAULT_MODE, SECRETS_DIR, injected_files
from orchestra.plan.swarm_spec_parts import STACK_NAMESPACE
from orchestra.spec.model import FileReference, Project, Service
from orchestra.spec.model_resources import Config, Secret
from orchestra.spec.secret_values import ResolvedReference

__all__ = [
    "KEY_LABELS",
    "file_mounts",
    "object_key",
    "object_name",
    "swarm_object_specs",
]

# The Compose key of a created object, beside the project label (as networks carry theirs).
KEY_LABELS: Mapping[str, str] = {
    "secret": "com.docker.compose.secret",
    "config": "com.docker.compose.config",
}
_DIGITS = 10


def object_key(kind: str, key: str) -> str:
    """The key of ``swarm_object_specs``' result: ``secret:<key>`` or ``config:<key>``."""
    return f"{kind}:{key}"


def object_name(project_name: str, key: str, digest: str) -> str:
    """The versioned engine name of a created secret or config."""
    return f"{project_name}_{key}-{digest[:_DIGITS]}"


def swarm_object_specs(
    project: Project, services: Iterable[Service] | None = None
) -> dict[str, SwarmObjectSpec]:
    """Every non-external secret and config the services use (all enabled ones by default);
    raises SpecError naming each value that could not be read."""
    chosen = list(project.services.values() if services is None else services)
    for service in chosen:
        injected_files(project, service)  # raises SpecError for every unreadable value
    found: dict[str, SwarmObjectSpec] = {}
    for service in chosen:
        for kind, refs in (("secret", service.secrets), ("config", service.configs)):
            for ref in refs:
                spec = _object(project, kind, ref)
                if spec is not None:
                    found.setdefault(object_key(kind, ref.source), spec)
    return dict(sorted(found.items()))


def _object(project: Project, kind: str, ref: FileReference) -> SwarmObjectSpec | None:
    top = _top(project, kind, ref.source)
    if top is None or top.external or not isinstance(ref, ResolvedReference):
        return None
    if ref.value is None or ref.digest is None:
        return None
    return SwarmObjectSpec(
        kind=kind,
        key=ref.source,
        name=object_name(project.name, ref.source, ref.digest),
        labels={
            **top.labels,
            lbl.PROJECT: project.name,
            STACK_NAMESPACE: project.name,
            KEY_LABELS[kind]: ref.source,
        },
        data=base64.b64encode(ref.value).decode("ascii"),
    )


def _top(project: Project, kind: str, key: str) -> Secret | Config | None:
    return project.secrets.get(key) if kind == "secret" else project.configs.get(key)


def file_mounts(project: Project, service: Service, kind: str) -> tuple[FileMount, ...]:
    """The service's ``secrets`` or ``configs`` (``kind`` "secret"/"config") as file mounts."""
    refs = service.secrets if kind == "secret" else service.configs
    mounts = []
    for ref in refs:
        top = _top(project, kind, ref.source)
        if top is None:
            continue  # an undefined name is a load error
        if top.external:
            source = top.name
        elif isinstance(ref, ResolvedReference) and ref.digest is not None:
            source = object_name(project.name, ref.source, ref.digest)
        else:
            continue  # unreadable: swarm_object_specs raises for it
        mounts.append(
            FileMount(
                kind=kind,
                source=source,
                target=_target(ref, kind),
                uid=ref.uid or "0",
                gid=ref.gid or "0",
                mode=DEFAULT_MODE if ref.mode is None else ref.mode,
            )
        )
    return tuple(mounts)


def _target(ref: FileReference, kind: str) -> str:
    """The file name as stack deploy sends it; a secret's ``/run/secrets/<name>`` (the loader
    writes the default out in full) becomes ``<name>``, the same file to the engine."""
    target = ref.target or ref.source
    name = target.removeprefix(SECRETS_DIR)
    if kind == "secret" and name != target and name and "/" not in name:
        return name
    return target
