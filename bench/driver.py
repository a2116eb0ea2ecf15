"""The benchmark driver: runs orchestra, ``docker compose`` and the raw client alternately.

For every stack shape (N services x health) and repetition, each tool in turn (the order
rotates every repetition, so none always runs on the quieter engine) goes through
``--help``, ``config``, a cold ``up`` (``-d --wait`` for health stacks), a no-op ``up -d``,
``ps --format json`` and ``down -v``, each measured as a child process (``bench.measure``).
Leftovers of earlier runs are swept by label first, and after every tool's cycle. Results
go to a JSON file after every step, then ``bench.report`` writes the markdown and the chart.

Never imports ``docker`` (the engine is reached through the tools and ``bench.raw``): this
process's own memory would count in every child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.generate import StackShape, write_stack
from bench.machine import describe_machine, load_average
from bench.measure import Measurement, measure
from bench.ps_large import run_ps_large
from bench.tools import TOOLS, Step, Tool, installed_bytecode

__all__ = ["Settings", "main", "run_bench"]

PREFIX = "bench-"
_SLOW_STEPS = (Step.COLD_UP, Step.COLD_UP_WAIT, Step.DOWN)


@dataclass(frozen=True)
class Settings:
    """What to run and where to write it."""

    sizes: tuple[int, ...] = (10, 50, 100)
    health: tuple[bool, ...] = (False, True)
    reps: int = 3
    layers: int = 5
    seed: int = 1
    tools: tuple[Tool, ...] = TOOLS
    both_cold: bool = True  # health stacks: also a cold `up -d` without --wait
    timeout: float = 600.0
    settle: float = 1.0
    workdir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "orchestra-bench")
    results: Path = Path("bench/results/latest.json")
    report: Path = Path("docs/benchmarks.md")
    ps_sizes: tuple[int, ...] = (500,)  # ps on a large stack brought up once (bench.ps_large)


@dataclass
class Results:
    """Everything measured so far, saved after every step so a broken run keeps its data."""

    path: Path
    machine: dict[str, str]
    settings: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, tool: Tool, shape: StackShape, step: Step, rep: int, m: Measurement) -> None:
        record = {"tool": tool.name, "services": shape.services, "health": shape.health}
        self.records.append(record | {"step": step.value, "rep": rep} | m.to_json())
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"machine": self.machine, "settings": self.settings, "records": self.records}
        self.path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _project(tool: Tool, shape: StackShape) -> str:
    return f"{PREFIX}{tool.name}-{shape.tag}"


def _sweep(settings: Settings, projects: list[str]) -> None:
    argv = [sys.executable, "-m", "bench.raw", "sweep", *projects]
    done = measure(argv, log=settings.workdir / "bench.log", timeout=300)
    if not done.ok:
        print(f"warning: sweep failed (rc={done.rc}); see {settings.workdir / 'bench.log'}")


def _steps(shape: StackShape, settings: Settings) -> list[Step]:
    cold = Step.COLD_UP_WAIT if shape.health else Step.COLD_UP
    steps = [Step.HELP, Step.CONFIG, cold, Step.NOOP_UP, Step.PS, Step.DOWN]
    if shape.health and settings.both_cold:
        steps += [Step.COLD_UP, Step.DOWN]
    return steps


def _cycle(tool: Tool, shape: StackShape, rep: int, settings: Settings, out: Results) -> None:
    project = _project(tool, shape)
    file = settings.workdir / shape.tag / "compose.yaml"
    broken = False  # after a failed cold up, the no-op up and ps would measure nonsense
    for step in _steps(shape, settings):
        argv = tool.argv(step, project, file)
        if argv is None or (broken and step in (Step.NOOP_UP, Step.PS)):
            continue
        log = settings.workdir / "logs" / f"{project}.log"
        m = measure(argv, log=log, timeout=settings.timeout)
        out.add(tool, shape, step, rep, m)
        status = "ok" if m.ok else f"FAILED rc={m.rc}{' (timeout)' if m.timed_out else ''}"
        print(
            f"  {tool.name:9} {shape.tag:6} {step.value:18} {m.wall:8.2f} s wall "
            f"{m.cpu:6.2f} s cpu {m.rss_mb:6.1f} MB  {status}",
            flush=True,
        )
        if step in (Step.COLD_UP, Step.COLD_UP_WAIT):
            broken = not m.ok
        if step in _SLOW_STEPS:
            time.sleep(settings.settle)  # let the engine finish its own clean-up
    _sweep(settings, [project])


def run_bench(settings: Settings) -> Results:
    """Run the whole matrix; returns (and keeps saving) the results."""
    settings.workdir.mkdir(parents=True, exist_ok=True)
    machine = describe_machine()
    knobs = {
        "sizes": list(settings.sizes),
        "health": list(settings.health),
        "reps": settings.reps,
        "layers": settings.layers,
        "seed": settings.seed,
        "tools": [t.name for t in settings.tools],
        "ps_sizes": list(settings.ps_sizes),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    results = Results(settings.results, machine, knobs)
    shapes = [
        StackShape(size, settings.layers, health, settings.seed)
        for size in settings.sizes
        for health in settings.health
    ]
    _sweep(settings, [_project(tool, shape) for shape in shapes for tool in settings.tools])
    for shape in shapes:
        write_stack(shape, settings.workdir / shape.tag)
        for rep in range(settings.reps):
            print(f"[{shape.tag} rep {rep + 1}/{settings.reps}] load {load_average()}")
            shift = rep % len(settings.tools)
            for tool in settings.tools[shift:] + settings.tools[:shift]:
                _cycle(tool, shape, rep, settings, results)
    for size in settings.ps_sizes:
        print(f"[ps-{size}] load {load_average()}")
        run_ps_large(size, settings.reps, settings.workdir, settings.timeout, results)
    results.machine["load average at end"] = load_average()
    results.settings["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    results.save()
    return results


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.driver", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="N=10,50 without health, 2 reps")
    parser.add_argument("--sizes", help="comma-separated service counts (default 10,50,100)")
    parser.add_argument("--health", choices=("no", "yes", "both"), default=None)
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--tools", help="comma-separated: orchestra,compose,raw")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--ps-sizes",
        help="comma-separated sizes for `ps` on a stack brought up once (default 500; '' none)",
    )
    parser.add_argument(
        "--both-cold",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="health stacks: also a cold `up -d` without --wait (default: on unless --quick)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="per command, seconds")
    parser.add_argument("--results", type=Path, default=Settings.results)
    parser.add_argument("--report", type=Path, default=Settings.report)
    parser.add_argument("--workdir", type=Path, default=None)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from parsed command-line arguments (``--quick`` sets the defaults it can)."""
    quick = bool(args.quick)
    sizes = (10, 50) if quick else Settings.sizes
    if args.sizes:
        sizes = tuple(int(x) for x in args.sizes.split(","))
    health_arg = args.health or ("no" if quick else "both")
    health = {"no": (False,), "yes": (True,), "both": (False, True)}[health_arg]
    tools: tuple[Tool, ...] = TOOLS
    if args.tools:
        tools = tuple(Tool(name) for name in args.tools.split(","))
    extra = {"workdir": args.workdir} if args.workdir else {}
    ps_sizes = () if quick else Settings.ps_sizes
    if args.ps_sizes is not None:
        ps_sizes = tuple(int(x) for x in args.ps_sizes.split(",") if x)
    return Settings(
        sizes=sizes,
        health=health,
        reps=args.reps or (2 if quick else 3),
        seed=args.seed,
        tools=tools,
        both_cold=(not quick) if args.both_cold is None else args.both_cold,
        timeout=args.timeout,
        results=args.results,
        report=args.report,
        ps_sizes=ps_sizes,
        **extra,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, then write the report and the chart next to it."""
    settings = settings_from(_parser().parse_args(argv))
    os.environ.setdefault("NO_COLOR", "1")
    installed_bytecode()
    results = run_bench(settings)
    from bench.report import write_report

    write_report(settings.results, settings.report)
    failed = sum(1 for r in results.records if r["rc"] != 0)
    print(f"wrote {settings.report} ({len(results.records)} measurements, {failed} failed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
