"""Running async work from the CLI: the event loop, and Ctrl-C as a graceful cancel.

The first Ctrl-C sets the cancel event (the executor stops starting new operations and lets
running engine calls finish); a second one interrupts at once. ``anyio`` is imported only when
a loop runs: command modules import this one, and a no-op ``up`` or ``ps`` runs none.
"""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from orchestra.errors import Interrupted

if TYPE_CHECKING:
    import anyio

__all__ = ["cancel_when_set", "run_async"]

T = TypeVar("T")


async def cancel_when_set(cancel: anyio.Event, scope: anyio.CancelScope) -> None:
    """Cancel ``scope`` once ``cancel`` is set (a command that runs until Ctrl-C)."""
    await cancel.wait()
    scope.cancel()


async def _watch_interrupts(cancel: anyio.Event, scope: anyio.CancelScope) -> None:
    import anyio

    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            if cancel.is_set():
                scope.cancel()
                return
            cancel.set()


def run_async(work: Callable[[anyio.Event], Awaitable[T]]) -> T:
    """Run ``work(cancel_event)`` on an event loop; Interrupted when Ctrl-C ended it early."""
    import anyio

    async def main() -> T:
        cancel = anyio.Event()
        results: list[T] = []
        failures: list[Exception] = []
        async with anyio.create_task_group() as group:
            group.start_soon(_watch_interrupts, cancel, group.cancel_scope)
            try:
                results.append(await work(cancel))
            except Exception as exc:
                # Raised inside the group it would reach main() wrapped in an ExceptionGroup,
                # which the CLI's OrchestraError handler does not catch (traceback, wrong code).
                failures.append(exc)
            group.cancel_scope.cancel()
        if cancel.is_set() or not (results or failures):
            raise Interrupted("interrupted; run the command again to converge from here")
        if failures:
            raise failures[0]
        return results[0]

    try:
        return anyio.run(main)
    except KeyboardInterrupt as exc:
        raise Interrupted("interrupted") from exc
