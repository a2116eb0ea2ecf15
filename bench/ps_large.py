"""``ps`` on a large project: one stack brought up once, then each tool's ``ps`` in turn.

A cold ``up`` of 500 services per tool would take most of an hour on 2 cores and measure the
engine, not ``ps``. So the raw client brings the stack up once (it sets the compose labels
both tools read), orchestra and compose list it alternately, and the raw client takes it down.
The records look like the driver's (step ``ps --format json``), so the report and the targets
read them unchanged. Never imports ``docker`` (see ``bench.driver``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Protocol

from bench.generate import StackShape, write_stack
from bench.measure import Measurement, measure
from bench.tools import Step, Tool

__all__ = ["run_ps_large"]

_PROJECT = "bench-ps-{n}"


class Recorder(Protocol):
    def add(self, tool: Tool, shape: StackShape, step: Step, rep: int, m: Measurement) -> None: ...


def _raw(args: list[str], workdir: Path, timeout: float) -> Measurement:
    return measure(
        [sys.executable, "-m", "bench.raw", *args], log=workdir / "bench.log", timeout=timeout
    )


def run_ps_large(
    size: int, reps: int, workdir: Path, timeout: float, out: Recorder, seed: int = 1
) -> None:
    """Bring ``size`` services up with the raw client, time ``ps`` of each tool, tear down."""
    shape = StackShape(size, seed=seed)
    project = _PROJECT.format(n=size)
    file = write_stack(shape, workdir / f"ps-{size}")
    _raw(["sweep", project], workdir, timeout)
    up = _raw(["up", "-p", project, "-f", str(file.resolve())], workdir, timeout)
    if not up.ok:
        print(f"  ps-{size}: raw up failed (rc={up.rc}); skipping", flush=True)
        _raw(["sweep", project], workdir, timeout)
        return
    tools = [Tool("orchestra"), Tool("compose")]
    try:
        for rep in range(reps):
            for tool in tools[rep % 2 :] + tools[: rep % 2]:
                argv = tool.argv(Step.PS, project, file)
                assert argv is not None
                m = measure(argv, log=workdir / "logs" / f"{project}.log", timeout=timeout)
                out.add(tool, shape, Step.PS, rep, m)
                print(
                    f"  {tool.name:9} ps-{size:<4} {m.wall:8.2f} s wall {m.cpu:6.2f} s cpu "
                    f"{m.rss_mb:6.1f} MB  {'ok' if m.ok else f'FAILED rc={m.rc}'}",
                    flush=True,
                )
    finally:
        _raw(["down", "-p", project, "-v"], workdir, timeout)
        _raw(["sweep", project], workdir, timeout)
