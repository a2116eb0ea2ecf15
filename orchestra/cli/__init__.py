"""The ``orchestra`` command line (typer). Composition root: the only place that wires the loader,
the planner, the executor and the engine together, and maps errors to exit codes."""

from __future__ import annotations

try:
    from orchestra.cli.main import main
except KeyboardInterrupt:
    # Ctrl-C while the CLI is still importing (typer, click, ...): end as an interrupted
    # command does later on, with 130 and no traceback.
    import sys

    print("interrupted", file=sys.stderr)
    raise SystemExit(130) from None

__all__ = ["main"]
