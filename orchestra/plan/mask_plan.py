"""A plan as ``orchestra plan`` prints it: secret values masked unless ``--show-secrets``.

The plan the executor runs (and ``-o FILE`` saves) keeps every value, or it could not create the
containers. What is printed masks, in each container's create request: secret-looking
environment values (``spec.mask.looks_secret``), the same values inside the
``io.orchestra.config`` label, and the content of every copied secret or config file; in each
recreate's diff: the changed secret-looking environment values. Pure; imports ``ops``,
``saved``, ``labels`` and ``spec.mask``, never ``docker``/``anyio``.
"""

from __future__ import annotations

from typing import Any

from orchestra import labels as lbl
from orchestra.plan.ops import Plan
from orchestra.plan.saved import plan_from_dict
from orchestra.spec.mask import MASK, looks_secret, mask_environment

__all__ = ["masked_plan", "masked_plan_dict"]

_ENVIRONMENT = "environment"


def masked_plan(plan: Plan) -> Plan:
    """A copy of ``plan`` to print: the same ops, secret values masked."""
    return plan_from_dict(masked_plan_dict(plan.to_dict()))


def masked_plan_dict(data: dict[str, Any]) -> dict[str, Any]:
    """``Plan.to_dict`` output with secret values masked (``data`` is not changed)."""
    ops = []
    for op in data["ops"]:
        params = dict(op.get("params") or {})
        spec = params.get("spec")
        if isinstance(spec, dict):
            params["spec"] = _mask_spec(spec)
        if params.get("diff"):
            params["diff"] = [_mask_change(change) for change in params["diff"]]
        ops.append({**op, "params": params})
    return {**data, "ops": ops}


def _mask_spec(spec: dict[str, Any]) -> dict[str, Any]:
    out = dict(spec)
    if isinstance(out.get(_ENVIRONMENT), dict):
        out[_ENVIRONMENT] = mask_environment(out[_ENVIRONMENT])
    if isinstance(out.get("files"), list):
        out["files"] = [{**f, "content": MASK} for f in out["files"]]
    labels = out.get("labels")
    if isinstance(labels, dict) and lbl.CONFIG in labels:
        config = lbl.decode_config(labels[lbl.CONFIG])
        if config is not None and isinstance(config.get(_ENVIRONMENT), dict):
            config[_ENVIRONMENT] = mask_environment(config[_ENVIRONMENT])
            out["labels"] = {**labels, lbl.CONFIG: lbl.encode_config(config)}
    return out


def _mask_change(change: dict[str, Any]) -> dict[str, Any]:
    path = str(change.get("path", ""))
    if path == _ENVIRONMENT:  # the whole mapping was added or removed
        return {
            key: mask_environment(value) if isinstance(value, dict) else value
            for key, value in change.items()
        }
    if path.startswith(_ENVIRONMENT) and looks_secret(path[len(_ENVIRONMENT) :]):
        return {key: value if key == "path" else MASK for key, value in change.items()}
    return change
