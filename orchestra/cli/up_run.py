"""``up`` on containers after its options are read: the no-op answer or the full pass with its
progress display, shared by the typer command (``stack_commands.up``) and ``cli.quick``.

Must not import typer: ``cli.quick`` runs ``up`` without it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING

from orchestra.cli.options import print_warnings, stack_of
from orchestra.cli.runtime import run_async
from orchestra.errors import ExecutionFailed

if TYPE_CHECKING:
    import anyio

    from orchestra.api import Stack
    from orchestra.events import EventSink, OpEvent
    from orchestra.plan.ops import Plan
    from orchestra.plan.options import UpOptions
    from orchestra.spec.model import Project

__all__ = ["LazyProgress", "run_up", "run_with_progress"]


class LazyProgress:
    """An event sink that opens the progress display at the first event: after the project's
    lock is taken (a waiting message is not drawn over), and never for a no-op ``up``."""

    def __init__(self, mode: str) -> None:
        self._mode = mode
        self._exits = ExitStack()
        self._sink: EventSink | None = None

    def __enter__(self) -> LazyProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._exits.close()

    def __call__(self, event: OpEvent) -> None:
        if self._sink is None:
            from orchestra.progress import progress_sink

            self._sink = self._exits.enter_context(progress_sink(self._mode))
        self._sink(event)


def run_up(
    project: Project,
    options: UpOptions,
    timeout: float,
    *,
    dry_run: bool,
    no_wait: bool,
    mode: str,
) -> None:
    """``up`` of ``project``: answered without an event loop when nothing changes (or for a dry
    run; the lock taken if free), else the full pass with progress.

    Raises what ``Stack.up`` raises (ExecutionFailed after printing the plan's warnings).
    """
    from orchestra.api_quick import quick_up

    plan = quick_up(project, options, dry_run=dry_run, command="orchestra up")
    if plan is None:
        plan = _converge(stack_of(project, project.name), options, timeout, dry_run, no_wait, mode)
    if dry_run:
        print(plan.render() or "nothing to do")
    print_warnings(plan.warnings)


def _converge(
    stack: Stack, options: UpOptions, timeout: float, dry_run: bool, no_wait: bool, mode: str
) -> Plan:
    """The full ``up`` pass: ``Stack.up`` with ``options`` on the event loop, with progress."""
    run = functools.partial(
        stack.up,
        options.services,
        wait=options.wait,
        timeout=timeout,
        build=options.build,
        pull=options.pull,
        force_recreate=options.force_recreate,
        no_recreate=options.no_recreate,
        no_deps=options.no_deps,
        scale=options.scale,
        remove_orphans=options.remove_orphans,
        dry_run=dry_run,
        no_wait=no_wait,
    )
    return run_with_progress(stack, run, mode)


def run_with_progress(stack: Stack, run: Callable[..., Awaitable[Plan]], mode: str) -> Plan:
    """``run(progress=, cancel=, on_plan=)`` on the event loop, then close the stack.

    When the run fails, the plan's warnings are printed before the error.
    """
    plans: list[Plan] = []

    async def work(cancel: anyio.Event) -> Plan:
        try:
            with LazyProgress(mode) as sink:
                return await run(progress=sink, cancel=cancel, on_plan=plans.append)
        finally:
            await stack.close()

    try:
        return run_async(work)
    except ExecutionFailed:
        print_warnings(plans[-1].warnings if plans else [])
        raise
