"""Structured execution events: what the executor tells progress renderers and other listeners.

An ``OpEvent`` is a fact about one op (started, waiting, progress, done, failed, skipped), with
enough context to render it without the plan. Sinks are plain callables, called synchronously in
the event loop; they must be quick and must not raise.

Imports only ``plan.ops`` and ``engine.base`` types; never ``anyio``, ``rich`` or ``docker``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from orchestra.engine.base import ReadyCondition
from orchestra.plan.ops import Op, OpKind

__all__ = ["EventSink", "OpEvent", "Phase"]


class Phase(enum.StrEnum):
    """Where an op is in its life."""

    STARTED = "started"  # a mutating engine call began
    WAITING = "waiting"  # a readiness wait began
    PROGRESS = "progress"  # a running build or pull reported a step or layer (in ``message``)
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # an upstream op failed; this op never ran


@dataclass(frozen=True)
class OpEvent:
    """One thing that happened to one op; ``elapsed`` counts from the op's own start."""

    phase: Phase
    op_id: int
    kind: OpKind
    target: str
    cause: str
    elapsed: float = 0.0
    message: str = ""  # the error for FAILED, the upstream reason for SKIPPED, the PROGRESS line
    condition: ReadyCondition | None = None  # for WAIT_READY ops

    @classmethod
    def of(cls, op: Op, phase: Phase, elapsed: float = 0.0, message: str = "") -> OpEvent:
        """The event ``phase`` of ``op``."""
        return cls(
            phase=phase,
            op_id=op.id,
            kind=op.kind,
            target=op.target,
            cause=op.cause,
            elapsed=elapsed,
            message=message,
            condition=op.condition,
        )

    @property
    def terminal(self) -> bool:
        """Whether the op has finished (done, failed or skipped)."""
        return self.phase in (Phase.DONE, Phase.FAILED, Phase.SKIPPED)


EventSink = Callable[[OpEvent], None]
