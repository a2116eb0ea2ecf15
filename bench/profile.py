"""Where orchestra's time goes on one ``up`` (or ``--down``): ``python -m bench.profile -p NAME
-f FILE [--wait|--down]``.

Runs orchestra's own ``converge`` (or ``tear_down``) in-process, timing its phases
(imports, loading the files, connecting, observe + plan + execute), profiling the event-loop
thread with cProfile, and recording every HTTP request the docker SDK sends (with the
engine's response time) through a ``requests`` hook. Prints the phases, the requests per
endpoint, and the top functions. A diagnostic for developers; imports orchestra (the
driver does not).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

__all__ = ["main"]

_ID = re.compile(r"/[0-9a-f]{64}|/bench-[^/]+")


def _endpoint(method: str, url: str) -> str:
    return f"{method} {_ID.sub('/{id}', urlparse(url).path)}"


def _requests_table(requests: list[tuple[str, float]]) -> str:
    rows: dict[str, list[float]] = defaultdict(list)
    for endpoint, elapsed in requests:
        rows[endpoint].append(elapsed)
    lines = [f"{'count':>6} {'total s':>8} {'max s':>7}  endpoint"]
    for endpoint, times in sorted(rows.items(), key=lambda kv: -sum(kv[1])):
        lines.append(f"{len(times):6d} {sum(times):8.2f} {max(times):7.2f}  {endpoint}")
    return "\n".join(lines)


def _run(args: argparse.Namespace, phases: dict[str, float]) -> tuple[Any, list[Any], str]:
    start = time.perf_counter()
    import anyio
    import docker

    from orchestra.engine.docker import DockerEngine
    from orchestra.plan.options import DownOptions, UpOptions
    from orchestra.reconcile import RunSettings, converge, tear_down
    from orchestra.spec.files import LoadOptions
    from orchestra.spec.load import load_project

    phases["import docker, anyio, orchestra"] = time.perf_counter() - start
    start = time.perf_counter()
    project = load_project(LoadOptions(files=(str(args.file),), project_name=args.project))
    phases["load the compose file"] = time.perf_counter() - start
    requests: list[tuple[str, float]] = []

    def record(response: Any, *_: Any, **__: Any) -> None:
        endpoint = _endpoint(response.request.method, response.request.url)
        requests.append((endpoint, response.elapsed.total_seconds()))

    async def main() -> Any:
        begin = time.perf_counter()
        client = docker.DockerClient.from_env(max_pool_size=16, timeout=300)
        client.api.hooks["response"].append(record)
        engine = DockerEngine(client, max_concurrency=8)
        phases["connect"] = time.perf_counter() - begin
        begin = time.perf_counter()
        try:
            if args.down:
                down = DownOptions(volumes=True)
                return await tear_down(project.name, project, engine, down, RunSettings())
            return await converge(project, engine, UpOptions(wait=args.wait), RunSettings())
        finally:
            phases["observe, plan, execute"] = time.perf_counter() - begin
            await engine.close()

    profiler = cProfile.Profile()
    outcome = profiler.runcall(anyio.run, main)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats(args.sort).print_stats(args.top)
    return outcome, requests, text.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Profile one ``up`` (or ``down -v``) of FILE as project NAME; prints the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("-p", dest="project", required=True)
    parser.add_argument("-f", dest="file", required=True, type=Path)
    parser.add_argument("--wait", action="store_true")
    parser.add_argument("--down", action="store_true", help="profile `down -v` instead of `up`")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    phases: dict[str, float] = {}
    cpu = time.process_time()
    outcome, requests, profile = _run(args, phases)
    print(f"plan: {len(outcome.plan)} ops; report: {outcome.report is not None}")
    for phase, seconds in phases.items():
        print(f"{seconds:8.3f} s  {phase}")
    print(f"{time.process_time() - cpu:8.3f} s  CPU of this process (all threads)")
    print(f"\n{len(requests)} engine requests\n{_requests_table(requests)}\n")
    print(profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
