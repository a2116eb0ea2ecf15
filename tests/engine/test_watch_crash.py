"""A crash-looping service under ``orchestra watch``: restarts spaced by growing delays, fewer
than 10 in 60 s, said so in the output; the other services are not touched meanwhile."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, Stack
from test_watch_heal import QUICK, EventLog, Watching, healthy_or_running

pytestmark = [pytest.mark.engine, pytest.mark.slow]

WATCHED_FOR = 60.0


@pytest.fixture
def event_log(docker_client: Any, project_name: str) -> Iterator[EventLog]:
    log = EventLog(docker_client, project_name)
    yield log
    log.close()


def test_a_crash_loop_backs_off_and_leaves_other_services_alone(
    docker_client: Any, project_name: str, tmp_path: Path, event_log: EventLog
) -> None:
    stack = Stack(docker_client, project_name, tmp_path)
    stack.write(f"""
        services:
          crash:
            image: {IMAGE}
            command: sh -c 'exit 1'
            restart: "no"
          steady:
            {QUICK}
    """)
    watch = Watching(stack)
    try:
        watch.wait_for_pass(1)
        steady = stack.inspect(stack.name("steady"))
        time.sleep(WATCHED_FOR)
        assert healthy_or_running(stack, "steady", health=False)
    finally:
        assert watch.stop() == 130
    starts = event_log.of("start", stack.name("crash"))
    gaps = [round(b - a, 1) for a, b in itertools.pairwise(starts)]
    print(f"crash started {len(starts)} times in {WATCHED_FOR:g} s; gaps {gaps}")
    assert 4 <= len(starts) < 10, gaps
    # The holds are 1, 2, 4, 8 … s; each gap adds the time a start takes on this engine.
    assert all(shorter < longer for shorter, longer in itertools.pairwise(gaps)), gaps
    assert all(gap >= 2**n for n, gap in enumerate(gaps)), gaps
    assert "crash is crash-looping" in watch.output()
    assert "next start in 8 s" in watch.output()
    now = stack.inspect(stack.name("steady"))
    assert (now["Id"], now["State"]["StartedAt"]) == (steady["Id"], steady["State"]["StartedAt"])
