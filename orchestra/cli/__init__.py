"""The ``orchestra`` command line (typer). Composition root: the only place that wires the loader,
the planner, the executor and the engine together, and maps errors to exit codes.

``main`` offers the command line to ``cli.quick`` first, which answers the commands that change
nothing without importing typer; everything else runs in the typer app (``cli.app``).
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with orchestra's exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        from orchestra.cli.quick import answer

        handoff = answer(args)
        if handoff.done:
            return
        from orchestra.cli.app import main as run_app
    except KeyboardInterrupt:
        # Ctrl-C before the typer app runs (while importing typer, click, ...): end as an
        # interrupted command does later on, with 130 and no traceback.
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    run_app(args, handoff)
