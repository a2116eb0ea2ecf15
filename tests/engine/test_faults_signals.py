"""SIGINT and SIGKILL of ``orchestra up -d`` at random points of a 30-service stack.

One project lives through all the trials (a cold 30-service ``up`` per trial would not fit the
time budget). Each trial, seeded, either changes ``TRIAL`` of a random subset of services (so
``up`` recreates them, stop-first or start-first) or takes the stack ``down`` (volumes kept)
to bring it up cold. It starts ``up -d``, sends SIGINT or SIGKILL after a random number of the
project's lifecycle events (or, for some trials, after a random short delay, before anything
changed), then runs ``up -d`` again and checks: every service running with one container per
replica number, no stray or temporary container, config hashes current (``plan`` is empty),
and the data written into the named volumes before the first trial still there.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from faults import (
    EventCounter,
    FaultStack,
    convergence_problems,
    interrupt,
    start_up,
)
from labelled import sweep_project
from stacks import Stack

from bench.generate import StackShape

pytestmark = [pytest.mark.engine, pytest.mark.slow]

SEEDS = range(701, 723)  # 22 trials
# Lifecycle events of one recreated service: stop-first (kill, stop, die, destroy, create,
# start) or start-first (create, start, kill, stop, die, destroy, rename).
EVENTS_PER_RECREATE = 6
EVENTS_PER_COLD_SERVICE = 2


@pytest.fixture(scope="module")
def fault_stack(
    docker_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultStack]:
    project = f"ot-faultsig-{random.randbytes(3).hex()}"
    directory = tmp_path_factory.mktemp("faults")
    fault = FaultStack(Stack(docker_client, project, directory), StackShape(30, layers=5, seed=7))
    fault.write()
    try:
        fault.stack.ok("up", "-d", "--progress", "plain", timeout=300)
        fault.write_volume_data()
        yield fault
    finally:
        sweep_project(docker_client, project)


def prepare(fault: FaultStack, rng: random.Random, seed: int) -> tuple[str, int]:
    """Set up the trial's change; its kind and how many lifecycle events a full ``up`` makes."""
    services = fault.services
    if rng.random() < 0.1:
        fault.stack.ok("down", timeout=300)
        return "cold", EVENTS_PER_COLD_SERVICE * len(services)
    changed = rng.sample(services, rng.randint(2, 7))
    fault.trial.update({name: str(seed) for name in changed})
    fault.write()
    return f"recreate {len(changed)}", EVENTS_PER_RECREATE * len(changed)


@pytest.mark.parametrize("seed", SEEDS)
def test_interrupted_up_then_up_converges(fault_stack: FaultStack, seed: int) -> None:
    rng = random.Random(seed)
    signum = signal.SIGINT if seed % 2 else signal.SIGKILL
    kind, events = prepare(fault_stack, rng, seed)
    early = rng.random() < 0.15  # before the first mutation: observe or plan
    target = 0 if early else rng.randint(1, int(events * 0.9))
    counter = EventCounter(fault_stack.stack.client, fault_stack.stack.project)
    process = start_up(fault_stack.stack)
    try:
        if early:
            # Not sooner: a SIGINT in the interpreter's own start-up (its first ~70 ms, before
            # any orchestra code runs) ends in Python's KeyboardInterrupt traceback.
            time.sleep(rng.uniform(0.3, 1.5))
            seen = 0
        else:
            seen = counter.wait_for(target, process, timeout=240)
        rc, output = interrupt(process, signum)
    finally:
        counter.close()
    where = f"seed {seed}, {kind}, {signum.name} after {seen}/{target} events"
    assert "Traceback" not in output, f"{where}:\n{output}"
    allowed = {0, 130} if signum == signal.SIGINT else {0, -signal.SIGKILL}
    assert rc in allowed, f"{where}: exit {rc}\n{output}"

    started = time.monotonic()
    again = fault_stack.stack.run("up", "-d", "--progress", "plain", timeout=300)
    assert again.rc == 0, f"{where}: the next up failed\n{again}"
    problems = convergence_problems(fault_stack)
    assert problems == [], f"{where}: " + "\n".join(problems)
    print(f"{where}: exit {rc}, converged in {time.monotonic() - started:.1f}s")


def test_trials_cover_both_signals_and_many_points() -> None:
    kills = [seed for seed in SEEDS if seed % 2 == 0]
    assert len(SEEDS) >= 20 and 0 < len(kills) < len(SEEDS)
