"""Two changing commands on one project at once are serialised by the project lock.

Two ``up -d`` with different compose files (same project), and ``up`` with ``down``, started
together or one just after the other: exactly one of the two waits for the lock (it says so on
stderr), both succeed, and the final state is what the one that ran last asked for: its config
hashes on one container per replica, or nothing left after a ``down``. The lock tests with a
holder script are in test_lock_engine.py; this file races real commands against each other.
Every process shares ``XDG_RUNTIME_DIR=tmp_path``, so the locks are the test's own.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, NUMBER_LABEL, SERVICE_LABEL, Result, Stack, orchestra_binary, run_cli

pytestmark = pytest.mark.engine

WAITED = "waiting for the lock of project"
SCALES = {"a": 2, "b": 3, "c": 1}  # web's replicas in each variant of the file

# db takes ~2 s to become healthy and web waits for it: an ``up`` holds the lock a while.
TEMPLATE = """
services:
  db:
    image: @IMAGE@
    command: sh -c "sleep 2 && touch /tmp/ok && exec sleep 600"
    init: true
    environment: {VARIANT: "@VARIANT@"}
    healthcheck: {test: [CMD, test, -f, /tmp/ok], interval: 500ms, retries: 40}
    volumes: [data:/data]
  web:
    image: @IMAGE@
    command: sleep 600
    init: true
    environment: {VARIANT: "@VARIANT@"}
    depends_on: {db: {condition: service_healthy}}
    scale: @SCALE@
  worker:
    image: @IMAGE@
    command: sleep 600
    init: true
    environment: {VARIANT: "@VARIANT@"}
volumes:
  data: {}
"""


@dataclass
class Finished:
    """One command of a race: its arguments and how it ended."""

    args: tuple[str, ...]
    rc: int
    out: str
    err: str

    @property
    def waited(self) -> bool:
        return WAITED in self.err


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    made = Stack(docker_client, project_name, tmp_path, env={"XDG_RUNTIME_DIR": str(tmp_path)})
    for variant, scale in SCALES.items():
        text = TEMPLATE.replace("@IMAGE@", IMAGE).replace("@VARIANT@", variant)
        text = text.replace("@SCALE@", str(scale))
        (tmp_path / f"{variant}.yaml").write_text(text)
    return made


def cli(stack: Stack, variant: str, *args: str) -> Result:
    """``orchestra -p PROJECT -f VARIANT.yaml ARGS`` (``Stack.run`` would add compose.yaml)."""
    return run_cli(
        ["-p", stack.project, "-f", f"{variant}.yaml", *args], stack.directory, stack.env
    )


def spawn(stack: Stack, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [orchestra_binary(), "-p", stack.project, *args],
        cwd=stack.directory,
        env={**os.environ, **stack.env, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def race(
    stack: Stack, first: tuple[str, ...], second: tuple[str, ...], gap: float
) -> list[Finished]:
    """Start ``first``, then ``second`` ``gap`` seconds later; both results, in start order."""
    processes = [spawn(stack, *first)]
    time.sleep(gap)
    processes.append(spawn(stack, *second))
    done = []
    for args, process in zip((first, second), processes, strict=True):
        out, err = process.communicate(timeout=240)
        done.append(Finished(args, process.returncode, out, err))
    assert [d.rc for d in done] == [0, 0], done
    waited = [d for d in done if d.waited]
    assert len(waited) == 1, f"exactly one command should have waited for the other: {done}"
    return done


def last(done: list[Finished]) -> Finished:
    """The command that ran last: the one that waited for the lock."""
    return next(d for d in done if d.waited)


def up(variant: str) -> tuple[str, ...]:
    return ("-f", f"{variant}.yaml", "up", "-d", "--progress", "plain")


def assert_is_up(stack: Stack, variant: str) -> None:
    containers = stack.containers()
    scale = SCALES[variant]
    replicas = Counter(
        (c["Labels"][SERVICE_LABEL], c["Labels"][NUMBER_LABEL]) for c in containers.values()
    )
    assert all(count == 1 for count in replicas.values()), replicas
    per_service = Counter(service for service, _ in replicas)
    assert per_service == {"db": 1, "web": scale, "worker": 1}, per_service
    assert stack.running() == set(containers)
    hashes = cli(stack, variant, "config", "--hash", "*")
    assert hashes.rc == 0, str(hashes)
    wanted = dict(line.split() for line in hashes.out.splitlines() if line.strip())
    for name, container in containers.items():
        service = container["Labels"][SERVICE_LABEL]
        assert container["Labels"]["io.orchestra.config-hash"] == wanted[service], name
    planned = cli(stack, variant, "plan")
    assert planned.rc == 0 and "nothing to do" in planned.out, str(planned)


def assert_is_down(stack: Stack, client: Any) -> None:
    assert stack.containers() == {}
    flt = {"label": f"com.docker.compose.project={stack.project}"}
    assert client.networks.list(filters=flt) == []
    assert len(client.volumes.list(filters=flt)) == 1, "down without -v keeps the volume"


@pytest.mark.slow
@pytest.mark.parametrize("gap", [0.0, 0.7])
def test_two_ups_with_different_files_end_in_the_last_ones_state(stack: Stack, gap: float) -> None:
    done = race(stack, up("a"), up("b"), gap)  # from nothing
    assert_is_up(stack, "b" if last(done).args == up("b") else "a")
    # Over a running stack that neither file matches: both have containers to replace.
    assert cli(stack, "c", "up", "-d").rc == 0
    done = race(stack, up("b"), up("a"), gap)
    assert_is_up(stack, "a" if last(done).args == up("a") else "b")


@pytest.mark.slow
def test_up_and_down_at_once_end_in_the_last_ones_state(stack: Stack, docker_client: Any) -> None:
    down = ("-f", "a.yaml", "down")
    ends = []
    for first, second, gap in ((up("b"), down, 0.0), (down, up("b"), 0.3), (up("b"), down, 0.6)):
        # From a running stack of another variant, so both commands have work to do.
        assert cli(stack, "a", "up", "-d").rc == 0
        done = race(stack, first, second, gap)
        if last(done).args == down:
            assert_is_down(stack, docker_client)
        else:
            assert_is_up(stack, "b")
        ends.append("down" if last(done).args == down else "up")
    print("ran last:", ends)
