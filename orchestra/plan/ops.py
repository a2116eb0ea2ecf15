"""Plan operations: one engine call (or one readiness wait) each, with a cause and dependencies.

A ``Plan`` is built op by op with ``Plan.add``; ids are assigned in insertion order and an op may
only depend on ops added before it, so every plan is a DAG by construction and its order is the
order the planner chose (deterministic when the planner is).

How ops find the engine id they act on: an op that acts on an existing resource either carries the
observed ``engine_id`` (a container seen by ``observe``) or refers, through its ``target`` key, to
a CREATE of the same target among its (transitive) dependencies; the executor keeps target ->
engine id for everything it creates. So ``START container:web:1`` after ``CREATE container:web:1``
needs no id, while ``STOP container:web:1`` of the old container carries the observed id.

JSON schema (``Plan.to_dict``/``to_json``), version 1::

    {"version": 1, "project": str, "warnings": [str],
     "ops": [{"id": int, "kind": "create_container" | ..., "target": str, "cause": str,
              "deps": [int], "params": {...}}]}

``params`` holds only the parameters that are set: ``spec`` (the ContainerSpec / NetworkSpec /
VolumeSpec / BuildSpec as an object whose fields at their default value are left out),
``engine_id``, ``image``, ``timeout``, ``force``, ``volumes`` (a REMOVE_CONTAINER that also
removes the container's anonymous volumes), ``condition`` ("started" | "healthy" | "completed"),
``service``, and (added within version 1):

- ``diff``: on the CREATE of a replaced container, the fields that changed, as
  ``[{"path": "environment.DB_HOST", "desired": "db2", "observed": "db"}]`` in path order; a side
  the field is absent from is left out (``desired`` only: added; ``observed`` only: removed).
  Absent when the old container carries no ``io.orchestra.config`` label.
- ``name``: the new name a ``rename_container`` op gives its container.
- ``rollback``: true on an op that runs only when one of its dependencies failed or was skipped
  (it undoes a start-first update); when every dependency succeeded it does nothing.
- ``spec`` on a ``start_container`` of an existing container (``engine_id`` set): the
  ContainerSpec to create it from again when the engine refuses to start it over a stale runtime
  task (Engine 20.10 after a daemon restart); the executor then replaces the container. Not shown
  in the text rendering.

Keys are sorted. A new field or op kind may be added within a version; renaming or removing one
bumps the version.

Imports only ``engine.base`` types, ``records`` and the stdlib; never docker, anyio or rich.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeAlias

from orchestra.engine.base import (
    BuildSpec,
    ContainerSpec,
    NetworkSpec,
    ReadyCondition,
    VolumeSpec,
)
from orchestra.plan.diff import FieldChange
from orchestra.records import record

if TYPE_CHECKING:  # a container-engine command need not import the Swarm backend
    from orchestra.engine.swarm_base import SwarmObjectSpec, SwarmServiceSpec

__all__ = ["SCHEMA_VERSION", "Op", "OpKind", "Plan", "ResourceSpec"]

SCHEMA_VERSION = 1

ResourceSpec: TypeAlias = (
    "ContainerSpec | NetworkSpec | VolumeSpec | BuildSpec | SwarmServiceSpec | SwarmObjectSpec"
)


class OpKind(enum.StrEnum):
    """What one operation does; the value is the JSON name."""

    PULL_IMAGE = "pull_image"
    BUILD_IMAGE = "build_image"
    CREATE_NETWORK = "create_network"
    REMOVE_NETWORK = "remove_network"
    CREATE_VOLUME = "create_volume"
    REMOVE_VOLUME = "remove_volume"
    CREATE_CONTAINER = "create_container"
    START_CONTAINER = "start_container"
    STOP_CONTAINER = "stop_container"
    REMOVE_CONTAINER = "remove_container"
    RESTART_CONTAINER = "restart_container"
    RENAME_CONTAINER = "rename_container"
    WAIT_READY = "wait_ready"
    CREATE_SERVICE = "create_service"  # the Swarm backend's kinds (plan.swarm_up, swarm_down)
    UPDATE_SERVICE = "update_service"
    SCALE_SERVICE = "scale_service"
    REMOVE_SERVICE = "remove_service"
    WAIT_SERVICE = "wait_service"
    CREATE_SECRET = "create_secret"
    REMOVE_SECRET = "remove_secret"
    CREATE_CONFIG = "create_config"
    REMOVE_CONFIG = "remove_config"

    @property
    def verb(self) -> str:
        """The short word used in rendered plans: CREATE, START, WAIT, ..."""
        return self.name.split("_", 1)[0]

    @property
    def resource(self) -> str:
        """The target key prefix this kind acts on."""
        if self.name.endswith(("_SERVICE", "_SECRET", "_CONFIG")):
            return self.name.rsplit("_", 1)[1].lower()
        return _RESOURCE.get(self, "container")

    @property
    def mutating(self) -> bool:
        """Whether the op changes the engine (a readiness wait does not)."""
        return self not in (OpKind.WAIT_READY, OpKind.WAIT_SERVICE)


_RESOURCE: Mapping[OpKind, str] = MappingProxyType(
    {
        OpKind.PULL_IMAGE: "image",
        OpKind.BUILD_IMAGE: "image",
        OpKind.CREATE_NETWORK: "network",
        OpKind.REMOVE_NETWORK: "network",
        OpKind.CREATE_VOLUME: "volume",
        OpKind.REMOVE_VOLUME: "volume",
    }
)

# Kinds that act on a resource which must already exist: they need an engine id.
_NEEDS_ID = frozenset(
    {
        OpKind.REMOVE_NETWORK,
        OpKind.REMOVE_VOLUME,
        OpKind.START_CONTAINER,
        OpKind.STOP_CONTAINER,
        OpKind.REMOVE_CONTAINER,
        OpKind.RESTART_CONTAINER,
        OpKind.RENAME_CONTAINER,
        OpKind.WAIT_READY,
    }
)
_CREATES: Mapping[str, OpKind] = MappingProxyType(
    {
        "container": OpKind.CREATE_CONTAINER,
        "network": OpKind.CREATE_NETWORK,
        "volume": OpKind.CREATE_VOLUME,
    }
)
_SPEC_TYPE: Mapping[OpKind, type[Any]] = MappingProxyType(
    {
        OpKind.CREATE_CONTAINER: ContainerSpec,
        OpKind.CREATE_NETWORK: NetworkSpec,
        OpKind.CREATE_VOLUME: VolumeSpec,
        OpKind.BUILD_IMAGE: BuildSpec,
    }
)


@record
class Op:
    """One node of a plan. Parameters not relevant to ``kind`` stay at their defaults."""

    id: int
    kind: OpKind
    target: str  # "container:web:1", "network:default", "volume:data", "image:busybox"
    cause: str  # why: "not found", "config changed: environment.DB_HOST", "orphaned", ...
    deps: tuple[int, ...] = ()
    spec: ResourceSpec | None = None  # what CREATE_* creates
    engine_id: str | None = None  # observed id (volume name for volumes) of an existing resource
    image: str | None = None  # the reference PULL_IMAGE pulls
    timeout: float | None = None  # stop timeout for STOP / RESTART, seconds
    force: bool = False  # REMOVE_CONTAINER of a running container
    volumes: bool = False  # REMOVE_CONTAINER also removes its anonymous volumes (down -v)
    condition: ReadyCondition | None = None  # WAIT_READY: what ready means
    service: str | None = None  # WAIT_READY, rollback: the service named in messages
    diff: tuple[FieldChange, ...] = ()  # CREATE of a replacement: what changed
    name: str | None = None  # RENAME_CONTAINER: the new name
    rollback: bool = False  # runs only when a dependency failed or was skipped

    def render(self) -> str:
        """One line: ``[3,4] -> #7 container:web:1 START (new container)``."""
        head = f"[{','.join(str(d) for d in self.deps)}] -> " if self.deps else ""
        verb = self.kind.verb
        if self.condition is not None:
            verb = f"{verb} {self.condition.value}"
        if self.name is not None:
            verb = f"{verb} to {self.name}"
        if self.rollback:
            verb = f"{verb} on failure"
        return f"{head}#{self.id} {self.target} {verb} ({self.cause})"

    def render_lines(self) -> list[str]:
        """``render()`` then one indented line per changed field."""
        return [self.render(), *(f"    {change.render()}" for change in self.diff)]

    def to_dict(self) -> dict[str, Any]:
        """The op in the JSON schema of the module docstring."""
        params: dict[str, Any] = {}
        if self.spec is not None:
            params["spec"] = _jsonable(self.spec)
        for name in ("engine_id", "image", "timeout", "service", "name"):
            value = getattr(self, name)
            if value is not None:
                params[name] = value
        if self.force:
            params["force"] = True
        if self.volumes:
            params["volumes"] = True
        if self.rollback:
            params["rollback"] = True
        if self.condition is not None:
            params["condition"] = self.condition.value
        if self.diff:
            params["diff"] = [change.to_dict() for change in self.diff]
        return {
            "id": self.id,
            "kind": self.kind.value,
            "target": self.target,
            "cause": self.cause,
            "deps": list(self.deps),
            "params": params,
        }


@dataclass
class Plan:
    """An ordered DAG of ops for one project, plus warnings for the user."""

    project: str = ""
    warnings: list[str] = field(default_factory=list)
    _ops: list[Op] = field(default_factory=list, repr=False)

    @property
    def ops(self) -> tuple[Op, ...]:
        return tuple(self._ops)

    def __len__(self) -> int:
        return len(self._ops)

    def op(self, op_id: int) -> Op:
        """The op with ``op_id``; KeyError when there is none."""
        if not 1 <= op_id <= len(self._ops):
            raise KeyError(op_id)
        return self._ops[op_id - 1]

    def add(
        self,
        kind: OpKind,
        target: str,
        cause: str,
        deps: Iterable[int] = (),
        *,
        spec: ResourceSpec | None = None,
        engine_id: str | None = None,
        image: str | None = None,
        timeout: float | None = None,
        force: bool = False,
        volumes: bool = False,
        condition: ReadyCondition | None = None,
        service: str | None = None,
        diff: tuple[FieldChange, ...] = (),
        name: str | None = None,
        rollback: bool = False,
    ) -> int:
        """Append an op and return its id; ValueError when the op is malformed."""
        op = Op(
            id=len(self._ops) + 1,
            kind=kind,
            target=target,
            cause=cause,
            deps=tuple(sorted(set(deps))),
            spec=spec,
            engine_id=engine_id,
            image=image,
            timeout=timeout,
            force=force,
            volumes=volumes,
            condition=condition,
            service=service,
            diff=diff,
            name=name,
            rollback=rollback,
        )
        self._check(op)
        self._ops.append(op)
        return op.id

    def warn(self, message: str) -> None:
        """Record something the user should know that does not stop the plan."""
        self.warnings.append(message)

    def give_fallback(self, op_id: int, spec: ContainerSpec) -> None:
        """Let the START ``op_id`` of an existing container recreate it from ``spec`` if the
        engine refuses the start over a stale task; ValueError for any other op."""
        op = self.op(op_id)
        if op.kind is not OpKind.START_CONTAINER or op.engine_id is None:
            raise ValueError(f"op #{op_id}: only the start of an existing container has a fallback")
        self._ops[op_id - 1] = dataclasses.replace(op, spec=spec)

    @property
    def is_empty(self) -> bool:
        """True when no op changes the engine (readiness waits alone are not a change)."""
        return not any(op.kind.mutating for op in self._ops)

    def render_lines(self) -> list[str]:
        """Warnings (``warning: ...``) then each op's lines (its diff indented), in id order."""
        lines = [f"warning: {w}" for w in self.warnings]
        for op in self._ops:
            lines += op.render_lines()
        return lines

    def render(self) -> str:
        """The plan as text, for humans and golden tests."""
        return "\n".join(self.render_lines())

    def to_dict(self) -> dict[str, Any]:
        """The plan in the versioned JSON schema of the module docstring."""
        return {
            "version": SCHEMA_VERSION,
            "project": self.project,
            "warnings": list(self.warnings),
            "ops": [op.to_dict() for op in self._ops],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """``to_dict`` as JSON text with sorted keys (stable across runs)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True, ensure_ascii=False)

    def ancestors(self, op_id: int) -> set[int]:
        """Every op ``op_id`` depends on, directly or transitively."""
        seen: set[int] = set()
        stack = list(self.op(op_id).deps)
        while stack:
            dep = stack.pop()
            if dep not in seen:
                seen.add(dep)
                stack.extend(self._ops[dep - 1].deps)
        return seen

    def _check(self, op: Op) -> None:
        bad = [d for d in op.deps if not 1 <= d < op.id]
        if bad:
            raise ValueError(f"op #{op.id} depends on unknown or later ops {bad}")
        prefix = op.target.split(":", 1)[0]
        if prefix != op.kind.resource or ":" not in op.target:
            raise ValueError(f"op #{op.id}: target {op.target!r} is not a {op.kind.resource}")
        wanted = _SPEC_TYPE.get(op.kind)
        if wanted is not None and not isinstance(op.spec, wanted):
            raise ValueError(f"op #{op.id}: {op.kind.value} needs a {wanted.__name__}")
        if op.kind is OpKind.PULL_IMAGE and not op.image:
            raise ValueError(f"op #{op.id}: pull_image needs an image reference")
        if op.kind is OpKind.WAIT_READY and (op.condition is None or not op.service):
            raise ValueError(f"op #{op.id}: wait_ready needs a condition and a service")
        if (op.kind is OpKind.RENAME_CONTAINER) != (op.name is not None):
            raise ValueError(f"op #{op.id}: a name is for rename_container, which needs one")
        if op.kind in _NEEDS_ID and op.engine_id is None and not self._created_before(op):
            raise ValueError(
                f"op #{op.id}: {op.target} has no engine id and no CREATE among its dependencies"
            )

    def _created_before(self, op: Op) -> bool:
        create = _CREATES.get(op.kind.resource)
        seen: set[int] = set()
        stack = list(op.deps)
        while stack:
            dep = self._ops[stack.pop() - 1]
            if dep.id in seen:
                continue
            if dep.kind is create and dep.target == op.target:
                return True
            seen.add(dep.id)
            stack.extend(dep.deps)
        return False


def _jsonable(value: Any) -> Any:
    """Dataclasses (non-default fields only), mappings, tuples and enums as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if not _is_default(f, item):
                out[f.name] = _jsonable(item)
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default)
    if f.default_factory is not dataclasses.MISSING:
        return bool(value == f.default_factory())
    return False
