"""Load: a 200-service stack through ``up -d``, a no-op ``up -d`` and ``down``.

The stack comes from bench/generate.py (200 services in 5 layers, 40 named volumes, two
networks). Each command must succeed without an engine timeout, without the HTTP client's
"connection pool is full" warning (the pool must be sized to the concurrency limit) and without
a traceback, and stay under 200 MB of peak RSS, measured from ``wait4``'s rusage of the command
alone (bench/measure.py). The effects are read from the engine: 200 running containers, one per
service; nothing changed by the no-op ``up``; nothing left after ``down`` but the volumes.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from stacks import SERVICE_LABEL, Stack, events_between, mutations, orchestra_binary

from bench.generate import StackShape, write_stack
from bench.measure import Measurement, measure_isolated

pytestmark = [pytest.mark.engine, pytest.mark.slow]

SERVICES = 200
PEAK_RSS_MB = 200
# What must never show in the output of a command under load.
TROUBLE = re.compile(
    r"connection pool is full|timed? ?out|Traceback|discarding connection", re.IGNORECASE
)


def run(stack: Stack, log: Path, *args: str) -> tuple[Measurement, str]:
    """Measure ``orchestra -p P -f F ARGS``; the measurement and the command's output."""
    start = log.stat().st_size if log.exists() else 0
    argv = [orchestra_binary(), "-p", stack.project, "-f", str(stack.file), *args]
    env = {**os.environ, "NO_COLOR": "1"}
    # Isolated: measured from this long pytest run, the child would report pytest's own peak.
    measured = measure_isolated(argv, log=log, env=env, timeout=900)
    with log.open("rb") as handle:
        handle.seek(start)
        output = handle.read().decode("utf-8", "replace")
    print(
        f"{' '.join(args)}: {measured.wall:.1f}s wall, {measured.cpu:.1f}s cpu, "
        f"{measured.rss_mb:.0f} MB peak RSS, rc {measured.rc}"
    )
    return measured, output


def check(measured: Measurement, output: str, step: str) -> None:
    assert measured.ok, f"{step} failed (rc {measured.rc}):\n{output[-4000:]}"
    trouble = sorted({m.group(0) for m in TROUBLE.finditer(output)})
    assert not trouble, f"{step} printed {trouble}:\n{output[-4000:]}"
    assert measured.rss_mb < PEAK_RSS_MB, f"{step}: peak RSS {measured.rss_mb:.0f} MB"


def test_200_services_up_noop_up_and_down(
    docker_client: Any, project_name: str, tmp_path: Path
) -> None:
    write_stack(StackShape(SERVICES, layers=5, seed=3), tmp_path)
    stack = Stack(docker_client, project_name, tmp_path)
    log = tmp_path / "commands.log"

    measured, output = run(stack, log, "up", "-d", "--progress", "plain")
    check(measured, output, "up -d")
    containers = stack.containers()
    per_service = Counter(c["Labels"][SERVICE_LABEL] for c in containers.values())
    assert len(per_service) == SERVICES and set(per_service.values()) == {1}
    assert stack.running() == set(containers)

    since = time.time()
    measured, output = run(stack, log, "up", "-d", "--progress", "plain")
    check(measured, output, "no-op up -d")
    changed = mutations(events_between(docker_client, project_name, since, time.time() + 0.3))
    assert changed == [], changed[:10]

    measured, output = run(stack, log, "down")
    check(measured, output, "down")
    flt = {"label": f"com.docker.compose.project={project_name}"}
    assert stack.containers() == {}
    assert len(docker_client.volumes.list(filters=flt)) == SERVICES // 5  # kept without -v
    for network in docker_client.networks.list(filters=flt):
        # Engine 20.10 sometimes keeps a stale endpoint count on a network that many containers
        # left at once and refuses to remove it with nothing attached. Issue 6: `down` still
        # exits 0 (checked above) with a warning naming the network, and leaves nothing else.
        assert not docker_client.api.inspect_network(network.id)["Containers"], network.name
        assert f"({network.id[:12]}) was left in place" in output, output[-4000:]
