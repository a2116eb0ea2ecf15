"""A description of the machine a benchmark ran on (for the report's header).

Imports only the stdlib; asks ``docker`` and the tools for their versions via subprocesses.
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench.tools import compose_binary

__all__ = ["describe_machine", "load_average"]


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except OSError as exc:
        return f"unavailable ({exc})"
    lines = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return lines[0] if lines else "?"


def _proc_value(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


_GIT = ["git", "describe", "--always", "--dirty"]


def _orchestra_version() -> str:
    try:
        return version("orchestra")
    except PackageNotFoundError:
        return "?"


def load_average() -> str:
    """The 1/5/15-minute load averages, e.g. ``1.20 0.80 0.50``."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def describe_machine() -> dict[str, str]:
    """nproc, RAM, CPU, kernel, Python, docker and tool versions, and the load right now."""
    mem_kb = _proc_value("/proc/meminfo", "MemTotal").split()[0]
    ram = f"{int(mem_kb) / 1024 / 1024:.1f} GiB" if mem_kb.isdigit() else "?"
    docker = ["docker", "version", "--format", "{{.Server.Version}}/API{{.Server.APIVersion}}"]
    return {
        "nproc": str(os.cpu_count()),
        "ram": ram,
        "cpu": _proc_value("/proc/cpuinfo", "model name"),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "docker engine": _first_line(docker),
        "compose": _first_line([compose_binary(), "version", "--short"]),
        "orchestra": f"{_orchestra_version()} ({_first_line(_GIT)})",
        "load average at start": load_average(),
    }
