"""How a run of a plan ended: each op's outcome (``OpResult``) and the run's ``Report``.

Shared by the container executor (``execute``) and the Swarm one (``execute_swarm``), with the
small helpers both runs need. Imports ``plan.ops``, ``events``, ``errors``, ``engine.base`` and
anyio; never ``docker``, ``spec`` or ``cli``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

import anyio

from orchestra.errors import EngineUnavailableError, ExecutionFailed, OrchestraError
from orchestra.events import Phase
from orchestra.plan.ops import Op, Plan

__all__ = ["PHASE_OF", "OpResult", "Outcome", "Report", "cancel_when_set", "typed_spec"]

_S = TypeVar("_S")


class Outcome(enum.StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # an upstream op failed
    CANCELLED = "cancelled"  # interrupted before it finished


@dataclass(frozen=True)
class OpResult:
    """How one op ended; ``duration`` in seconds from its start (0 when it never started)."""

    op: Op
    outcome: Outcome
    message: str = ""
    duration: float = 0.0

    def line(self) -> str:
        """``service web: start container:web:1 failed: <message>``, for failure lists."""
        op = self.op
        service = op.service
        if service is None and op.target.startswith("container:"):
            service = op.target.split(":")[1]
        prefix = f"service {service}: " if service else ""
        return f"{prefix}{op.kind.verb.lower()} {op.target} failed: {self.message}"


@dataclass(frozen=True)
class Report:
    """Every op's outcome in id order, and the engine ids of what the run created."""

    results: tuple[OpResult, ...]
    ids: Mapping[str, str] = field(default_factory=dict)
    cancelled: bool = False
    engine_lost: str | None = None  # why the engine stopped answering, which ended the run
    warnings: tuple[str, ...] = ()  # e.g. a container replaced over a stale task

    @classmethod
    def of_run(
        cls,
        plan: Plan,
        results: Mapping[int, OpResult],
        ids: Mapping[str, str],
        cancelled: bool,
        lost: BaseException | None,
        warnings: tuple[str, ...] = (),
    ) -> Report:
        """The report of a run of ``plan``: ops without a result were interrupted."""
        ordered = tuple(
            results.get(op.id) or OpResult(op, Outcome.CANCELLED, "interrupted") for op in plan.ops
        )
        return cls(ordered, dict(ids), cancelled, None if lost is None else str(lost), warnings)

    def _having(self, outcome: Outcome) -> tuple[OpResult, ...]:
        return tuple(r for r in self.results if r.outcome is outcome)

    @property
    def done(self) -> tuple[OpResult, ...]:
        return self._having(Outcome.DONE)

    @property
    def failed(self) -> tuple[OpResult, ...]:
        return self._having(Outcome.FAILED)

    @property
    def skipped(self) -> tuple[OpResult, ...]:
        return self._having(Outcome.SKIPPED)

    @property
    def not_run(self) -> tuple[OpResult, ...]:
        return self._having(Outcome.CANCELLED)

    @property
    def ok(self) -> bool:
        """Whether every op is done."""
        return all(r.outcome is Outcome.DONE for r in self.results)

    @property
    def rolled_back(self) -> tuple[OpResult, ...]:
        """Rollback ops that ran; each message says which update was rolled back and why."""
        return tuple(r for r in self.done if r.op.rollback and r.message)

    def failure_lines(self) -> list[str]:
        """One line per failed op, in id order, then one per rolled-back update."""
        return [r.line() for r in self.failed] + [r.message for r in self.rolled_back]

    def raise_for_failures(self) -> None:
        """Raise EngineUnavailableError if the engine was lost, else ExecutionFailed listing the
        failed ops, if any failed."""
        if self.engine_lost is not None:
            raise EngineUnavailableError(self.engine_lost)
        if self.failed:
            raise ExecutionFailed(self.failure_lines())


PHASE_OF: Mapping[Outcome, Phase] = MappingProxyType(
    {Outcome.DONE: Phase.DONE, Outcome.FAILED: Phase.FAILED, Outcome.SKIPPED: Phase.SKIPPED}
)


def typed_spec(op: Op, kind: type[_S]) -> _S:
    """``op``'s spec, which the op's kind says is a ``kind``; OrchestraError when it is not."""
    if not isinstance(op.spec, kind):
        raise OrchestraError(f"op #{op.id} {op.target} has no {kind.__name__}")
    return op.spec


async def cancel_when_set(event: anyio.Event, scope: anyio.CancelScope) -> None:
    """Cancel ``scope`` once ``event`` is set."""
    await event.wait()
    scope.cancel()
