"""Speed regression guards for CI that count instead of timing, so a loaded machine can't
make them flake: the engine API calls of a no-op ``up`` (observation must stay O(1) per
resource kind, whatever the stack size) and the work the CLI does at start-up.

The call count uses orchestra's own ``converge`` in-process on a real ``DockerEngine`` whose
SDK client records every HTTP request it sends (a ``requests`` response hook), so nothing
is faked. The start-up guards read which modules ``--help`` and a no-op ``up`` import, how many
dataclass methods the no-op compiles, which engine requests it and ``ps`` send (all
deterministic), and the child's CPU time from ``wait4`` (far steadier than wall time on a
shared machine). Children
run with a private bytecode cache (warmed first), as an installed orchestra would, so the guards
hold also where ``PYTHONDONTWRITEBYTECODE`` is set.
"""

from __future__ import annotations

import json
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
from orchestra import labels
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
# What a no-op `up` has no use for: the graph is plain dicts (networkx is only for
# `ServiceGraph.to_networkx`), nothing is drawn (rich) and no plan runs (the executor).
NOOP_UNUSED_MODULES = (
    *("networkx", "rich", "orchestra.execute", "orchestra.plan.down", "orchestra.preflight"),
    # Only `plan -o`/`up --plan` save plans; only wait_healthy and the executor wait.
    *("orchestra.plan.fingerprint", "orchestra.plan.saved", "orchestra.readiness"),
    # The engine's HTTP is orchestra.engine.docker_wire: http.client parses headers with email.
    *("http.client", "email"),
    # Only the command being run is built (cli.lazy_group); no Swarm backend for containers.
    *("orchestra.cli.run_command", "orchestra.cli.image_commands", "orchestra.cli.build_commands"),
    *("orchestra.cli.watch_commands", "orchestra.engine.swarm_base"),
    # A no-op `up` (and `ps`) read the engine without an event loop (orchestra.api_quick):
    # anyio, asyncio and the ssl it imports were a fifth of a no-op's instructions.
    *("anyio", "asyncio", "ssl", "orchestra.api", "orchestra.engine.docker"),
    *("orchestra.engine.docker_core", "orchestra.reconcile_swarm"),
    # Nor typer: orchestra.cli.quick reads the command line of a no-op `up` and of `ps`
    # (typer and the click it vendors were a third of a no-op `up`).
    *("typer", "orchestra.cli.app", "orchestra.cli.lazy_group"),
    # Nor PyYAML: the cold `up` before it stored the file's parse (orchestra.spec.parse_cache).
    *("yaml", "orchestra.spec.yamlload"),
)
# What `ps` (without --limits) has no use for beyond that: the planner.
PS_UNUSED_MODULES = (*NOOP_UNUSED_MODULES, "orchestra.plan.up", "orchestra.reconcile")
# Methods that dataclasses compile from generated source while a no-op `up` of 10 services
# runs (Python 3.11 compiles ~6 per frozen dataclass, ~0.2 ms each): 570 before
# orchestra.records, 203 once records compiled only their __init__, 116 once the no-op skipped
# the async engine and API (orchestra.api_quick), 49 once records compiled nothing (the rest are
# plain dataclasses); this leaves room for a few classes.
MAX_NOOP_GENERATED_METHODS = 60
# A no-op `up` of 10 services may cost this much CPU beyond a bare interpreter's start (about
# 0.4 s measured on a 2-core machine at load 30; importing networkx alone added 0.2-0.4 s), and
# this much wall time however loaded the machine is.
MAX_NOOP_CPU_OVER_PYTHON = 0.7
MAX_NOOP_WALL = 15.0


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


def _child_env(tmp_path: Path) -> dict[str, str]:
    """The environment with a private, writable bytecode cache under ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache"), "NO_COLOR": "1"}


def _min_cpu(argv: list[str], tmp_path: Path, runs: int = 5) -> float:
    # The minimum of a few runs: CPU time only grows under contention, never shrinks. The
    # first run (not counted) fills the bytecode cache.
    samples = []
    env = _child_env(tmp_path)
    for _ in range(runs + 1):
        result = measure(argv, log=tmp_path / "log", env=env, timeout=60)
        assert result.ok, result.tail
        samples.append(result.cpu)
    return min(samples[1:])


def test_help_costs_little_cpu_beyond_a_bare_python(tmp_path: Path) -> None:
    bare = _min_cpu([sys.executable, "-c", "pass"], tmp_path)
    helped = _min_cpu([orchestra_binary(), "--help"], tmp_path)
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


_PROBE = """
import dataclasses, json, sys
from orchestra.engine import docker_http

generated, calls = [0], []
create_fn = dataclasses._create_fn
def counting(*args, **kwargs):
    generated[0] += 1
    return create_fn(*args, **kwargs)
dataclasses._create_fn = counting
send = docker_http.EngineHttp._send
def recording(self, method, url, *rest):
    calls.append(f"{method} {url.partition('?')[0]}")
    return send(self, method, url, *rest)
docker_http.EngineHttp._send = recording
args, watched = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["orchestra", *args]
from orchestra.cli import main
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
imported = [m for m in watched if m in sys.modules]
print(json.dumps({"imported": imported, "generated": generated[0], "calls": calls}))
"""


NOOP_CALLS = [
    "GET /_ping",
    "GET /containers/json",
    "GET /networks",
    "GET /volumes",
    "GET /images/orchestra-test/busybox:1/json",
]
PS_CALLS = ["GET /_ping", "GET /containers/json"]


def _unversioned(calls: list[str]) -> list[str]:
    """``GET /v1.41/containers/json`` as ``GET /containers/json``."""
    return [re.sub(r" /v[0-9.]+/", " /", call) for call in calls]


def _cli_probe(
    args: list[str], cwd: Path, tmp_path: Path, watched: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Run ``orchestra ARGS`` in a child: which ``watched`` modules it imported, how many
    dataclass methods were compiled (``generated``), and its engine requests (``calls``)."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(watched)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=_child_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.mark.engine
def test_noop_up_pays_only_for_what_it_does(
    docker_client: Any, project_name: str, tmp_path: Path
) -> None:
    stack = write_stack(StackShape(10), tmp_path / "stack")
    up = ["-p", project_name, "up", "-d", "--progress", "quiet"]
    # A cold `up` in the common grammar runs without typer too (cli.quick): a sixth of its CPU.
    cold = _cli_probe(["-f", str(stack), *up], stack.parent, tmp_path, ("typer",))
    assert cold["imported"] == []
    mine = {"label": f"{labels.PROJECT}={project_name}"}
    before = {c.id for c in docker_client.containers.list(all=True, filters=mine)}

    # Run from the stack's directory, so compose.yaml is found as a user's `up -d` finds it.
    probe = _cli_probe(up, stack.parent, tmp_path, NOOP_UNUSED_MODULES)
    assert probe["imported"] == []
    assert probe["generated"] <= MAX_NOOP_GENERATED_METHODS, probe["generated"]
    # One ping, the three label-filtered lists, one inspect of the stack's one image (the four
    # reads at the same time, so in any order).
    calls = _unversioned(probe["calls"])
    assert calls[0] == NOOP_CALLS[0] and sorted(calls) == sorted(NOOP_CALLS), probe["calls"]
    # `ps` (table and json) reads the one list call: no inspect per container, no planner.
    for fmt in ("table", "json"):
        args = ["-p", project_name, "ps", "--format", fmt]
        listing = _cli_probe(args, stack.parent, tmp_path, PS_UNUSED_MODULES)
        assert listing["imported"] == []
        assert _unversioned(listing["calls"]) == PS_CALLS, listing["calls"]

    bare = _min_cpu([sys.executable, "-c", "pass"], tmp_path, runs=3)
    noop = [orchestra_binary(), "-f", str(stack), *up]
    env = _child_env(tmp_path)
    samples = [measure(noop, log=tmp_path / "log", env=env, timeout=120) for _ in range(3)]
    assert all(s.ok for s in samples), [s.tail for s in samples]
    cpu = min(s.cpu for s in samples)
    assert cpu - bare < MAX_NOOP_CPU_OVER_PYTHON, f"no-op up {cpu:.3f} s CPU, python {bare:.3f} s"
    assert min(s.wall for s in samples) < MAX_NOOP_WALL, [round(s.wall, 2) for s in samples]
    # The no-ops really were no-ops: nothing added or replaced.
    assert {c.id for c in docker_client.containers.list(all=True, filters=mine)} == before
    assert len(before) == 10
