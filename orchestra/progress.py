"""Render execution events for people: a live table on a TTY, plain lines otherwise, or quiet.

All three modes share one notion of a resource row (``Container web-1  Started 0.4s``), named
from the op's target as compose names them, with compose's words: Creating/Created,
Recreate/Recreated (a create after a remove of the same target), Starting/Started, Waiting then
Healthy/Running/Exited, Stopping/Stopped, Removing/Removed, Error, Skipped. Quiet mode prints
errors only. A running build or pull also reports progress (the current build step, finished
layers, bytes moved): the live view shows the latest as the row's detail, plain mode prints
each as a line. ``rich`` is imported only when a live view is actually opened (startup time).

Imports ``events``, ``plan.ops`` and ``engine.base`` types (and ``rich`` lazily); never ``anyio``
or ``docker``.
"""

from __future__ import annotations

import enum
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, TextIO

from orchestra.engine.base import ReadyCondition
from orchestra.events import EventSink, OpEvent, Phase

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["ProgressMode", "Row", "RowBook", "describe_target", "plain_line", "progress_sink"]

_ACTIVE: Mapping[str, str] = MappingProxyType(
    {
        "PULL": "Pulling",
        "BUILD": "Building",
        "CREATE": "Creating",
        "REMOVE": "Removing",
        "START": "Starting",
        "STOP": "Stopping",
        "RESTART": "Restarting",
        "WAIT": "Waiting",
    }
)
_FINISHED: Mapping[str, str] = MappingProxyType(
    {
        "PULL": "Pulled",
        "BUILD": "Built",
        "CREATE": "Created",
        "REMOVE": "Removed",
        "START": "Started",
        "STOP": "Stopped",
        "RESTART": "Restarted",
    }
)
_READY: Mapping[ReadyCondition, str] = MappingProxyType(
    {
        ReadyCondition.STARTED: "Running",
        ReadyCondition.HEALTHY: "Healthy",
        ReadyCondition.COMPLETED: "Exited",
    }
)


class ProgressMode(enum.StrEnum):
    AUTO = "auto"  # TTY when the stream is a terminal, else PLAIN
    TTY = "tty"
    PLAIN = "plain"
    QUIET = "quiet"


def describe_target(target: str) -> str:
    """``container:web:1`` -> ``Container web-1``; ``network:default`` -> ``Network default``."""
    kind, _, rest = target.partition(":")
    if kind == "container" and rest.rpartition(":")[2].isdigit():
        service, _, number = rest.rpartition(":")
        rest = f"{service}-{number}"
    return f"{kind.capitalize()} {rest}" if rest else kind.capitalize()


@dataclass
class Row:
    """The latest state of one resource, as the user sees it."""

    label: str
    status: str
    cause: str = ""
    elapsed: float | None = None  # set once the latest op on this row finished
    since: float = 0.0  # monotonic time the latest op began (for the live clock)
    error: str = ""
    active: bool = True
    detail: str = ""  # the latest progress line of the running op


class RowBook:
    """Turns events into per-resource rows and status words; shared by every mode."""

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self._removed: set[str] = set()

    def update(self, event: OpEvent) -> Row:
        """Apply ``event`` to its resource's row and return the row."""
        row = self.rows.setdefault(
            event.target, Row(describe_target(event.target), "", since=time.monotonic())
        )
        row.status = self._word(event)
        if event.phase is Phase.PROGRESS:
            row.detail = event.message
        elif event.phase in (Phase.STARTED, Phase.WAITING):
            row.active, row.elapsed, row.since = True, None, time.monotonic()
            row.cause, row.detail = event.cause or row.cause, ""
        else:
            row.active, row.elapsed, row.detail = False, event.elapsed, ""
            row.error = event.message if event.phase in (Phase.FAILED, Phase.SKIPPED) else ""
        if event.phase is Phase.DONE and event.kind.verb == "REMOVE":
            self._removed.add(event.target)
        return row

    def _word(self, event: OpEvent) -> str:
        verb = event.kind.verb
        if event.phase is Phase.FAILED:
            return "Error"
        if event.phase is Phase.SKIPPED:
            return "Skipped"
        if verb == "CREATE" and event.target in self._removed:
            return "Recreated" if event.phase is Phase.DONE else "Recreate"
        if event.phase is Phase.DONE:
            if verb == "WAIT" and event.condition is not None:
                return _READY[event.condition]
            return _FINISHED.get(verb, "Done")
        return _ACTIVE.get(verb, "Working")


def plain_line(row: Row, event: OpEvent) -> str:
    """One line for ``event`` after it updated ``row``."""
    line = f"{row.label}  {row.status}"
    if event.phase is Phase.PROGRESS:
        return f"{line}: {event.message}"
    if event.phase in (Phase.STARTED, Phase.WAITING):
        return f"{line} ({event.cause})" if event.cause else line
    if event.phase is Phase.DONE:
        return f"{line} {event.elapsed:.1f}s"
    # A multi-line error (a build's output) is printed in full once, by the final report.
    return f"{line}: {event.message.splitlines()[0]}" if event.message else line


class _Printer:
    """Plain mode: one line per event; quiet mode: only failures."""

    def __init__(self, out: TextIO, quiet: bool) -> None:
        self._out = out
        self._quiet = quiet
        self._book = RowBook()

    def __call__(self, event: OpEvent) -> None:
        row = self._book.update(event)
        if self._quiet and event.phase is not Phase.FAILED:
            return
        self._out.write(plain_line(row, event) + "\n")
        self._out.flush()


class _LiveView:
    """The rich renderable of the live table; events arrive from the loop, refreshes from rich."""

    def __init__(self) -> None:
        self._book = RowBook()
        self._lock = threading.Lock()  # rich refreshes from its own thread

    def __call__(self, event: OpEvent) -> None:
        with self._lock:
            self._book.update(event)

    def __rich__(self) -> RenderableType:
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        table = Table.grid(padding=(0, 1))
        for justify in ("left", "left", "left", "right"):
            table.add_column(justify=justify)
        # A long build step must not wrap the table: cut it at the terminal's edge.
        table.add_column(justify="left", no_wrap=True, overflow="ellipsis")
        now = time.monotonic()
        with self._lock:
            for row in self._book.rows.values():
                if row.active:
                    icon: RenderableType = Spinner("dots", style="blue")
                else:
                    icon = Text("✘", "red") if row.error else Text("✔", "green")
                elapsed = row.elapsed if row.elapsed is not None else now - row.since
                status = Text(row.status, "red" if row.error else "")
                error = row.error.splitlines()[0] if row.error else ""
                detail = error or row.detail or (f"({row.cause})" if row.cause else "")
                table.add_row(icon, row.label, status, f"{elapsed:.1f}s", Text(detail, "dim"))
        return table


@contextmanager
def progress_sink(
    mode: ProgressMode | str = ProgressMode.AUTO, stream: TextIO | None = None
) -> Iterator[EventSink]:
    """An event sink rendering to ``stream`` (stderr by default) for the duration of the block.

    ValueError for an unknown mode.
    """
    out = stream if stream is not None else sys.stderr
    chosen = ProgressMode(mode)
    if chosen is ProgressMode.AUTO:
        chosen = ProgressMode.TTY if out.isatty() else ProgressMode.PLAIN
    if chosen is not ProgressMode.TTY:
        yield _Printer(out, quiet=chosen is ProgressMode.QUIET)
        return
    from rich.console import Console
    from rich.live import Live

    view = _LiveView()
    console = Console(file=out, force_terminal=True)
    with Live(view, console=console, refresh_per_second=8, transient=False):
        yield view
