"""The ``orchestra`` command line (typer). Composition root: the only place that wires the loader,
the planner, the executor and the engine together, and maps errors to exit codes.

``main`` offers the command line to ``cli.quick`` first, which runs the common ``up`` and ``ps``
lines without importing typer; everything else runs in the typer app (``cli.app``). Errors of
both end here: one message and the exit code, no traceback (``--debug`` shows it).
Exit codes: 0 ok, 1 failed at run time, 2 bad input (spec or usage), 3 engine unreachable,
130 interrupted.
"""

from __future__ import annotations

import os
import sys

from orchestra.errors import OrchestraError

__all__ = ["main"]


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or bool(os.environ.get("ORCHESTRA_DEBUG"))


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with orchestra's exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        from orchestra.cli.quick import answer

        handoff = answer(args)
        if handoff.done:
            return
        from orchestra.cli.app import run_app

        run_app(args, handoff)
    except OrchestraError as exc:
        if _debug_requested(args):
            raise
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        # Also Ctrl-C while importing (typer, click, ...): 130 and no traceback.
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
