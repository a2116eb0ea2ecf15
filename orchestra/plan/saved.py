"""Saved plans: ``orchestra plan -o FILE`` writes one, ``orchestra up --plan FILE`` applies it.

A saved plan is JSON text::

    {"kind": "orchestra-plan", "version": 1, "orchestra": "0.1.0",
     "plan": <the plan in the ops.py schema>, "fingerprint": <fingerprint.Fingerprint>}

``loads`` rebuilds the exact ``Plan``, every ContainerSpec / NetworkSpec / VolumeSpec /
BuildSpec field typed as the dataclasses declare it (a field left out is at its default). Unknown
keys are refused rather than dropped: a plan written by a newer orchestra must not be applied
half-understood. ``check_fresh`` refuses a plan whose engine state moved since it was made.

Pure text ↔ data (the CLI reads and writes the file); never imports ``docker``/``anyio``.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestra.engine.base import (
    BuildSpec,
    ContainerSpec,
    NetworkSpec,
    ReadyCondition,
    VolumeSpec,
)
from orchestra.errors import OrchestraError, UsageError
from orchestra.plan.diff import FieldChange
from orchestra.plan.fingerprint import Fingerprint, changes
from orchestra.plan.ops import SCHEMA_VERSION, OpKind, Plan, ResourceSpec

__all__ = ["FILE_KIND", "SavedPlan", "StalePlanError", "check_fresh", "dumps", "loads"]

FILE_KIND = "orchestra-plan"
_SPECS: Mapping[str, type[Any]] = types.MappingProxyType(
    {
        OpKind.CREATE_CONTAINER.value: ContainerSpec,
        OpKind.START_CONTAINER.value: ContainerSpec,  # the stale-task fallback (ops.py)
        OpKind.CREATE_NETWORK.value: NetworkSpec,
        OpKind.CREATE_VOLUME.value: VolumeSpec,
        OpKind.BUILD_IMAGE.value: BuildSpec,
    }
)
_PARAMS = frozenset(
    {"spec", "engine_id", "image", "timeout", "force", "volumes", "condition", "service"}
    | {"diff", "name", "rollback"}
)
_SHOWN = 5  # changes named in the staleness error before "+N more"


class StalePlanError(OrchestraError):
    """The engine state moved since the saved plan was made (exit 1): plan again."""


@dataclass(frozen=True)
class SavedPlan:
    """A plan and the fingerprint of the state it was made against."""

    plan: Plan
    fingerprint: Fingerprint
    orchestra: str = ""  # the version that wrote it


def dumps(saved: SavedPlan) -> str:
    """The saved plan as JSON text (sorted keys, indented, newline at the end)."""
    data = {
        "kind": FILE_KIND,
        "version": SCHEMA_VERSION,
        "orchestra": saved.orchestra,
        "plan": saved.plan.to_dict(),
        "fingerprint": saved.fingerprint.to_dict(),
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def loads(text: str, source: str = "plan file") -> SavedPlan:
    """Parse ``dumps`` output; UsageError naming ``source`` when it is not a saved plan."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") != FILE_KIND:
            raise ValueError('not an orchestra plan (no "kind": "orchestra-plan")')
        if data.get("version") != SCHEMA_VERSION:
            raise ValueError(f"plan schema version {data.get('version')!r} is not supported")
        plan = plan_from_dict(data["plan"])
        state = Fingerprint.from_dict(data["fingerprint"])
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{source} is not a valid saved plan: {exc}") from exc
    return SavedPlan(plan, state, str(data.get("orchestra", "")))


def check_fresh(saved: SavedPlan, now: Fingerprint) -> None:
    """StalePlanError, naming what moved, unless ``now`` is the state the plan was made for."""
    moved = changes(saved.fingerprint, now)
    if not moved:
        return
    shown = ", ".join(moved[:_SHOWN])
    if len(moved) > _SHOWN:
        shown += f" +{len(moved) - _SHOWN} more"
    raise StalePlanError(
        f"the engine changed since the plan was made: {shown}; run orchestra plan again"
    )


def plan_from_dict(data: Mapping[str, Any]) -> Plan:
    """The Plan of ``Plan.to_dict()`` output; ValueError (or KeyError) when malformed."""
    if data.get("version") != SCHEMA_VERSION:
        raise ValueError(f"plan schema version {data.get('version')!r} is not supported")
    plan = Plan(project=str(data["project"]), warnings=[str(w) for w in data["warnings"]])
    for entry in data["ops"]:
        op_id = _add_op(plan, entry)
        if op_id != entry["id"]:
            raise ValueError(f"op ids must count from 1 in order; found {entry['id']!r}")
    return plan


def _add_op(plan: Plan, entry: Mapping[str, Any]) -> int:
    params = dict(entry.get("params") or {})
    unknown = sorted(set(params) - _PARAMS)
    if unknown:
        raise ValueError(f"op {entry.get('id')!r} has unknown parameters {unknown}")
    kind = OpKind(entry["kind"])
    spec_type = _SPECS.get(kind.value)
    spec: ResourceSpec | None = None
    if "spec" in params:
        if spec_type is None:
            raise ValueError(f"op {entry.get('id')!r}: {kind.value} takes no spec")
        spec = _build(spec_type, params["spec"], "spec")
    condition = params.get("condition")
    return plan.add(
        kind,
        str(entry["target"]),
        str(entry["cause"]),
        [int(d) for d in entry["deps"]],
        spec=spec,
        engine_id=_optional_str(params, "engine_id"),
        image=_optional_str(params, "image"),
        timeout=_optional_number(params, "timeout"),
        force=bool(params.get("force", False)),
        volumes=bool(params.get("volumes", False)),
        condition=None if condition is None else ReadyCondition(condition),
        service=_optional_str(params, "service"),
        diff=tuple(FieldChange.from_dict(d) for d in params.get("diff", ())),
        name=_optional_str(params, "name"),
        rollback=bool(params.get("rollback", False)),
    )


def _optional_number(params: Mapping[str, Any], key: str) -> float | None:
    value = params.get(key)
    if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise ValueError(f"{key} must be a number, not {value!r}")
    return value


def _optional_str(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string, not {value!r}")
    return value


def _build(cls: type[Any], data: Any, where: str) -> Any:
    """An instance of dataclass ``cls`` from ``_jsonable`` output (defaults left out)."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected an object, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{where}: unknown fields {unknown}")
    values = {key: _decode(hints[key], value, f"{where}.{key}") for key, value in data.items()}
    return cls(**values)


def _decode(hint: Any, value: Any, where: str) -> Any:
    """``value`` (JSON data) as the type ``hint`` describes."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        choices = [a for a in args if a is not type(None)]
        if len(choices) != 1:
            raise ValueError(f"{where}: cannot decode a {hint}")
        return _decode(choices[0], value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected a list, got {value!r}")
        return tuple(_decode(args[0], item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin in (Mapping, dict):
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected an object, got {value!r}")
        return {str(k): _decode(args[1], v, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _build(hint, value, where)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    return _scalar(hint, value, where)


def _scalar(hint: Any, value: Any, where: str) -> Any:
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint in (str, int, bool) and type(value) is hint:
        return value
    raise ValueError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")
