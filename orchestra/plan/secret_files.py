"""A service's secrets and configs → the files copied into its container before it starts.

Compose binds file secrets read-only, which cannot set an owner or a mode; orchestra copies every
secret and config (``file``, ``environment`` or ``content``) into the created container instead,
as compose does for environment secrets: ``/run/secrets/<name>`` (or ``target``; a relative
secret target is under ``/run/secrets/``, a config's under ``/``), owner ``uid:gid`` (default
``0:0``), mode default ``0444``. A value that could not be read, or a non-numeric uid/gid, is a
SpecError raised while planning, so nothing has been changed yet. Messages name the secret,
never its value. Pure: the values were read by the loader; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

from orchestra.engine.base import InjectedFile
from orchestra.errors import Problem, SpecError
from orchestra.spec.model import FileReference, Project, Service
from orchestra.spec.secret_values import ResolvedReference

__all__ = ["DEFAULT_MODE", "SECRETS_DIR", "file_target", "injected_files"]

DEFAULT_MODE = 0o444
SECRETS_DIR = "/run/secrets/"


def file_target(ref: FileReference, *, secret: bool) -> str:
    """The absolute path of a secret or config reference in the container."""
    target = ref.target or ref.source
    if target.startswith("/"):
        return target
    return (SECRETS_DIR if secret else "/") + target


def injected_files(project: Project, service: Service) -> tuple[InjectedFile, ...]:
    """Every secret and config of ``service`` as a file to copy; raises SpecError (all problems)."""
    files: list[InjectedFile] = []
    problems: list[Problem] = []
    for kind, refs in (("secrets", service.secrets), ("configs", service.configs)):
        for index, ref in enumerate(refs):
            where = f"services.{service.name}.{kind}[{index}]"
            messages = list(_problems(project, ref, kind))
            problems += [Problem(where, message) for message in messages]
            if not messages and isinstance(ref, ResolvedReference) and ref.value is not None:
                files.append(_file(ref, secret=kind == "secrets"))
    if problems:
        raise SpecError(problems)
    return tuple(files)


def _problems(project: Project, ref: FileReference, kind: str) -> Iterator[str]:
    defined = project.secrets if kind == "secrets" else project.configs
    top = defined.get(ref.source)
    if top is None or top.external:
        return  # an undefined name is a load error; external ones are warned about
    label = f"{kind[:-1]} {ref.source}"
    if not isinstance(ref, ResolvedReference):
        yield f"{label}: its value was not loaded"
    elif ref.value is None:
        yield f"{label}: {ref.problem or 'no value'}"
    for key in ("uid", "gid"):
        value = getattr(ref, key)
        if value is not None and not value.isdigit():
            yield f"{label}: {key} must be a number, not {value!r}"


def _file(ref: ResolvedReference, *, secret: bool) -> InjectedFile:
    assert ref.value is not None
    return InjectedFile(
        path=file_target(ref, secret=secret),
        content=base64.b64encode(ref.value).decode("ascii"),
        uid=int(ref.uid or 0),
        gid=int(ref.gid or 0),
        mode=DEFAULT_MODE if ref.mode is None else ref.mode,
    )
