"""The ``orchestra`` command line (typer). Composition root: the only place that wires the loader,
the planner, the executor and the engine together, and maps errors to exit codes."""

from __future__ import annotations

from orchestra.cli.main import main

__all__ = ["main"]
