"""A Swarm plan as it may be printed: secret and config data, and secret-looking environment
values of service specs, masked (``plan --show-secrets`` prints them in clear).

Pure; imports ``plan.ops``, ``spec.mask`` and engine types. Never ``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from orchestra import labels as lbl
from orchestra.engine.swarm_base import SwarmObjectSpec, SwarmServiceSpec
from orchestra.plan.ops import Plan, ResourceSpec
from orchestra.spec.mask import MASK, looks_secret

__all__ = ["masked_swarm_plan"]


def _masked_env(entry: str) -> str:
    key, sep, _value = entry.partition("=")
    return f"{key}={MASK}" if sep and looks_secret(key) else entry


def _masked(spec: ResourceSpec | None) -> ResourceSpec | None:
    if isinstance(spec, SwarmObjectSpec):
        return replace(spec, data=MASK)
    if isinstance(spec, SwarmServiceSpec):
        environment = tuple(_masked_env(e) for e in spec.environment)
        return replace(spec, environment=environment, labels=_masked_labels(spec.labels))
    return spec


def _masked_labels(labels: Mapping[str, str]) -> Mapping[str, str]:
    """The hash input label holds the environment too."""
    config = lbl.decode_config(labels[lbl.CONFIG]) if lbl.CONFIG in labels else None
    if config is None or not isinstance(config.get("environment"), list):
        return labels
    config["environment"] = [_masked_env(str(e)) for e in config["environment"]]
    return {**labels, lbl.CONFIG: lbl.encode_config(config)}


def masked_swarm_plan(plan: Plan) -> Plan:
    """A copy of ``plan`` with the same ops and warnings, secret values masked."""
    out = Plan(project=plan.project, warnings=list(plan.warnings))
    for op in plan.ops:
        out.add(
            op.kind,
            op.target,
            op.cause,
            op.deps,
            spec=_masked(op.spec),
            engine_id=op.engine_id,
            image=op.image,
            timeout=op.timeout,
            force=op.force,
            volumes=op.volumes,
            condition=op.condition,
            service=op.service,
            diff=op.diff,
            name=op.name,
            rollback=op.rollback,
        )
    return out
