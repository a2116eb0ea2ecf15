"""Speed regression guards for CI that count instead of timing, so a loaded machine can't
make them flake: the engine API calls of a no-op ``up`` (observation must stay O(1) per
resource kind, whatever the stack size) and the work the CLI does at start-up.

The call count uses orchestra's own ``converge`` in-process on a real ``DockerEngine`` whose
SDK client records every HTTP request it sends (a ``requests`` response hook), so nothing
is faked. The start-up guards read which modules ``--help`` imports (deterministic) and the
child's CPU time from ``wait4`` (far steadier than wall time on a shared machine).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import anyio
import pytest

from bench.generate import StackShape, write_stack
from bench.measure import measure
from bench.tools import orchestra_binary
from orchestra.engine.docker import DockerEngine
from orchestra.plan.options import UpOptions
from orchestra.reconcile import Outcome, RunSettings, converge
from orchestra.spec.files import LoadOptions
from orchestra.spec.load import load_project

# A no-op `up` needs: list containers, networks, volumes (one call each, label-filtered) and
# one image inspect per distinct image. Anything per container (inspects, waits) breaks this.
MAX_NOOP_CALLS = 6
# `orchestra --help` may cost this much CPU beyond a bare interpreter's start (the issue's
# target: --help within 0.25 s).
MAX_HELP_CPU_OVER_PYTHON = 0.25
_INSPECT = re.compile(r"/containers/[^/]+/json$")  # not the list call, /containers/json
HEAVY_MODULES = ("docker", "requests", "urllib3", "networkx", "rich", "yaml", "matplotlib")


def _converge_twice(project_name: str, stack: Path) -> tuple[Outcome, list[str]]:
    """A cold ``up`` (not counted), then a second one whose HTTP requests are returned."""
    import docker

    project = load_project(LoadOptions(files=(str(stack),), project_name=project_name))
    requests: list[str] = []

    def record(response: Any, *args: Any, **kwargs: Any) -> None:
        requests.append(f"{response.request.method} {urlparse(response.request.url).path}")

    async def main() -> Outcome:
        client = docker.DockerClient.from_env(max_pool_size=16, timeout=120)
        client.api.hooks["response"].append(record)
        engine = DockerEngine(client, max_concurrency=8)
        try:
            cold = await converge(project, engine, UpOptions(wait=True), RunSettings())
            assert cold.report is not None
            cold.report.raise_for_failures()
            requests.clear()
            return await converge(project, engine, UpOptions(), RunSettings())
        finally:
            await engine.close()

    return anyio.run(main), requests


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.parametrize(
    "shape", [StackShape(50), StackShape(10, health=True)], ids=lambda s: s.tag
)
def test_noop_up_makes_a_constant_number_of_engine_calls(
    docker_client: Any, project_name: str, tmp_path: Path, shape: StackShape
) -> None:
    stack = write_stack(shape, tmp_path / "stack")
    outcome, requests = _converge_twice(project_name, stack)
    listing = "\n".join(requests)
    # Empty plan: nothing recreated, and no dependency that is already healthy is re-waited.
    assert outcome.plan.is_empty, outcome.plan.render()
    assert len(requests) <= MAX_NOOP_CALLS, f"{len(requests)} engine calls:\n{listing}"
    assert not [r for r in requests if _INSPECT.search(r)], f"inspects in a no-op:\n{listing}"


def _min_cpu(argv: list[str], log: Path, runs: int = 5) -> float:
    # The minimum of a few runs: CPU time only grows under contention, never shrinks.
    samples = []
    for _ in range(runs):
        result = measure(argv, log=log, timeout=60)
        assert result.ok, result.tail
        samples.append(result.cpu)
    return min(samples)


def test_help_costs_little_cpu_beyond_a_bare_python(tmp_path: Path) -> None:
    bare = _min_cpu([sys.executable, "-c", "pass"], tmp_path / "log")
    helped = _min_cpu([orchestra_binary(), "--help"], tmp_path / "log")
    assert helped - bare < MAX_HELP_CPU_OVER_PYTHON, f"--help {helped:.3f} s, python {bare:.3f} s"


def test_help_imports_no_heavy_module() -> None:
    probe = (
        "import sys\n"
        "sys.argv = ['orchestra', '--help']\n"
        "from orchestra.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('heavy:', *(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    *help_text, last = done.stdout.strip().splitlines()
    assert any("Usage" in line for line in help_text), done.stdout
    assert last == "heavy:", f"--help imported {last.removeprefix('heavy:')}"
