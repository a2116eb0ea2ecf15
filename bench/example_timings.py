"""Time the flagship example with orchestra and with ``docker compose``, on the same files, in the
same run, alternating the two tools, and print a markdown table of medians.

Steps, per repetition and tool: cold build (both images, ``--no-cache``), cold ``up --wait``
(empty volume: the database initialises), no-op ``up --wait`` (all up already), ``down``, warm
``up --wait`` (volume kept, containers new), ``down -v``. Each tool has its own project name,
its own free port and its own image tags (an override file renames the images), so neither
reuses the other's work and the demo's images and port 8080 are left alone.

Usage: ``.venv/bin/python bench/example_timings.py [--reps 3] [--no-build]``. Needs the engine
and ``debian:bookworm-slim`` (``scripts/bootstrap-debian-base.sh``). Imports only the stdlib.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples/php-mysql"
ORACLE = ROOT / ".venv/lib/python3.11/site-packages/compose/docker-compose"
STEPS = ("cold build", "cold up --wait", "no-op up --wait", "down", "warm up --wait", "down -v")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Tool:
    """One tool driving the example: its command line and how each step is spelled."""

    name: str
    argv: list[str]
    project: str
    workdir: Path
    port: int

    def base(self) -> list[str]:
        files = ["-f", str(EXAMPLE / "compose.yaml"), "-f", str(self.workdir / "images.yaml")]
        return [*self.argv, "-p", self.project, *files, "--env-file", str(self.workdir / "env")]

    def command(self, step: str) -> list[str]:
        quiet = ["--progress", "quiet"] if self.name == "orchestra" else []
        up = ["up", "-d", "--wait"] if self.name == "compose" else ["up", "--wait", *quiet]
        words = {
            "cold build": ["build", "--no-cache"],
            "cold up --wait": up,
            "no-op up --wait": up,
            "warm up --wait": up,
            "down": ["down", *quiet],
            "down -v": ["down", "-v", *quiet],
        }
        return [*self.base(), *words[step]]

    def run(self, step: str) -> float:
        """Seconds the step took; exits the script with the tool's output when it fails."""
        env = {**os.environ, "APP_PORT": str(self.port)}
        started = time.monotonic()
        done = subprocess.run(self.command(step), env=env, capture_output=True, text=True)
        took = time.monotonic() - started
        if done.returncode != 0:
            sys.exit(f"{self.name} {step} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return took

    def images(self) -> list[str]:
        return [f"orchestra-bench/php-app:{self.name}", f"orchestra-bench/mariadb:{self.name}"]


def make_tool(name: str, argv: list[str], root: Path) -> Tool:
    workdir = root / name
    workdir.mkdir()
    shutil.copy(EXAMPLE / ".env.example", workdir / "env")
    app, db = f"orchestra-bench/php-app:{name}", f"orchestra-bench/mariadb:{name}"
    (workdir / "images.yaml").write_text(
        f"services:\n  app:\n    image: {app}\n  db:\n    image: {db}\n"
    )
    return Tool(name, argv, f"h9bench-{name}", workdir, free_port())


def repetition(
    tools: list[Tool], steps: tuple[str, ...], times: dict[tuple[str, str], list[float]]
) -> None:
    """One pass over the steps; within each step the tools take turns."""
    for step in steps:
        for tool in tools:
            took = tool.run(step)
            times.setdefault((tool.name, step), []).append(took)
            print(f"  {tool.name:9} {step:16} {took:6.1f} s", file=sys.stderr, flush=True)


def table(
    tools: list[Tool], steps: tuple[str, ...], times: dict[tuple[str, str], list[float]]
) -> str:
    head = "| step | " + " | ".join(t.name for t in tools) + " | orchestra / compose |"
    lines = [head, "|---|" + "---:|" * (len(tools) + 1)]
    for step in steps:
        medians = [statistics.median(times[(t.name, step)]) for t in tools]
        ratio = medians[0] / medians[1] if len(medians) == 2 and medians[1] else float("nan")
        cells = " | ".join(f"{m:.1f} s" for m in medians)
        lines.append(f"| {step} | {cells} | {ratio:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-build", action="store_true", help="Skip the cold builds.")
    args = parser.parse_args()
    steps = STEPS[1:] if args.no_build else STEPS
    with tempfile.TemporaryDirectory(prefix="example-timings-") as tmp:
        tools = [
            make_tool("orchestra", [str(ROOT / ".venv/bin/orchestra")], Path(tmp)),
            make_tool("compose", [str(ORACLE)], Path(tmp)),
        ]
        times: dict[tuple[str, str], list[float]] = {}
        print(f"load average at the start: {os.getloadavg()}", file=sys.stderr)
        try:
            for tool in tools:  # start from nothing: no containers, no volume
                subprocess.run([*tool.base(), "down", "-v"], capture_output=True)
            for rep in range(args.reps):
                print(f"repetition {rep + 1}/{args.reps}", file=sys.stderr, flush=True)
                if args.no_build and rep == 0:
                    for tool in tools:  # the images must exist once, built by the tool itself
                        subprocess.run([*tool.base(), "build"], capture_output=True, check=True)
                repetition(tools, steps, times)
        finally:
            for tool in tools:
                subprocess.run([*tool.base(), "down", "-v"], capture_output=True)
                subprocess.run(["docker", "rmi", "-f", *tool.images()], capture_output=True)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"Medians of {args.reps} repetitions, wall seconds, tools alternating ", end="")
        print(f"(load average at the end: {load}; {os.cpu_count()} CPUs).\n")
        print(table(tools, steps, times))


if __name__ == "__main__":
    main()
