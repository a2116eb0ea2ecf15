"""The commands that change nothing, side by side: ``python -m bench.noop [--sizes 10,50]``.

Each tool brings its own copy of a stack up once (a no-op ``up`` on the other tool's
containers would recreate them), then the no-op ``up -d`` and ``ps --format json`` of
orchestra and compose run alternately, many times, so both see the same machine load. Prints
medians and minima of CPU (user + sys, steady under load) and wall time, and the ratios;
``--health`` uses the stacks with healthchecks. Tears everything down by label at the end.
For working on the no-op paths; the full matrix is ``bench.driver``. Never imports ``docker``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench.generate import StackShape, write_stack
from bench.measure import Measurement, measure
from bench.tools import Step, Tool, installed_bytecode

__all__ = ["main"]

_TOOLS = (Tool("orchestra"), Tool("compose"))
_STEPS = (Step.NOOP_UP, Step.PS, Step.HELP)


def _run(tool: Tool, step: Step, project: str, file: Path, log: Path) -> Measurement:
    argv = tool.argv(step, project, file)
    assert argv is not None
    return measure(argv, log=log, timeout=600)


def _sweep(project: str, log: Path) -> None:
    measure([sys.executable, "-m", "bench.raw", "sweep", project], log=log, timeout=600)


def _line(label: str, samples: dict[str, list[Measurement]]) -> str:
    cells = []
    for name in ("orchestra", "compose"):
        got = [m for m in samples[name] if m.ok]
        if not got:
            cells.append(f"{name}: failed")
            continue
        cpu = [m.cpu for m in got]
        wall = [m.wall for m in got]
        cells.append(
            f"{name}: cpu {statistics.median(cpu):.3f} (min {min(cpu):.3f}) "
            f"wall {statistics.median(wall):.3f} (min {min(wall):.3f})"
        )
    mine, theirs = samples["orchestra"], samples["compose"]
    if all(m.ok for m in mine + theirs) and mine and theirs:
        wall_ratio = statistics.median(m.wall for m in mine) / statistics.median(
            m.wall for m in theirs
        )
        cells.append(f"wall ratio {wall_ratio:.2f}")
    return f"{label:24} " + " | ".join(cells)


def run(sizes: list[int], reps: int, health: bool, workdir: Path, keep: bool) -> None:
    """Bring each stack up per tool, time the no-op steps alternately, tear down (unless
    ``keep``: a later run then finds the stacks up)."""
    log = workdir / "noop.log"
    for size in sizes:
        shape = StackShape(size, health=health)
        file = write_stack(shape, workdir / shape.tag)
        projects = {t.name: f"bench-noop-{t.name}-{shape.tag}" for t in _TOOLS}
        try:
            for tool in _TOOLS:
                if not keep:
                    _sweep(projects[tool.name], log)
                cold = _run(tool, Step.COLD_UP_WAIT, projects[tool.name], file, log)
                print(f"{tool.name} cold up of {shape.tag}: {cold.wall:.1f} s rc={cold.rc}")
            for step in _STEPS:
                samples: dict[str, list[Measurement]] = {t.name: [] for t in _TOOLS}
                for rep in range(reps):
                    for tool in _TOOLS[rep % 2 :] + _TOOLS[: rep % 2]:
                        m = _run(tool, step, projects[tool.name], file, log)
                        samples[tool.name].append(m)
                print(_line(f"{step.value} {shape.tag}", samples), flush=True)
        finally:
            for project in projects.values() if not keep else ():
                _sweep(project, log)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.noop", description=__doc__)
    parser.add_argument("--sizes", default="10,50")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--health", action="store_true")
    parser.add_argument("--keep", action="store_true", help="leave the stacks up")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.gettempdir()) / "orchestra-bench-noop"
    sizes = [int(s) for s in args.sizes.split(",") if s]
    installed_bytecode()
    run(sizes, args.reps, args.health, workdir, args.keep)


if __name__ == "__main__":
    main()
