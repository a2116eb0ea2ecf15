"""The commands answered without an event loop (``orchestra.api_quick``) behave as the full pass.

A no-op ``up``, ``up --dry-run`` and ``ps`` read the engine on the calling thread; an ``up``
that has work to do, or finds the project's lock held, goes on to the full async pass. These
tests run the installed CLI against the real engine and check what a user sees: output, exit
codes, the lock, and that nothing on the engine changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from orchestra.api import Stack as ApiStack
from orchestra.api_quick import quick_ps
from orchestra.lock import lock_directory
from tests.engine.stacks import SLEEPER, Stack

pytestmark = pytest.mark.engine

COMPOSE = f"""
        services:
          db:
            {SLEEPER}
          web:
            {SLEEPER}
            depends_on: [db]
            ports: ["127.0.0.1::80"]
        """

_HOLDER = textwrap.dedent("""
    import sys, anyio
    from orchestra.lock import engine_host, project_lock

    async def main() -> None:
        async with project_lock(sys.argv[1], engine_host(), "test holder"):
            print("held", flush=True)
            await anyio.sleep(float(sys.argv[2]))

    anyio.run(main)
""")


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path).write(COMPOSE)


def _ids(stack: Stack) -> dict[str, str]:
    return {name: c["Id"] for name, c in stack.containers().items()}


def test_a_no_op_up_prints_nothing_and_changes_nothing(stack: Stack) -> None:
    stack.up("-d")
    before = _ids(stack)
    since = time.time()
    again = stack.up("-d")
    assert (again.out, again.err) == ("", "")
    assert stack.events_since(since) == []
    assert _ids(stack) == before
    assert not list(lock_directory().glob(f"*-{stack.project}.lock"))  # released, removed


def _full_pass_dry_run(stack: Stack) -> str:
    """The plan ``Stack.up(dry_run=True)`` renders: the async pass the CLI no longer runs."""

    async def plan() -> str:
        api = ApiStack(stack.file, project_name=stack.project)
        try:
            return (await api.up(dry_run=True, wait=False)).render() or "nothing to do"
        finally:
            await api.close()

    return anyio.run(plan)


def test_a_dry_run_prints_the_plan_and_changes_nothing(stack: Stack) -> None:
    dry = stack.ok("up", "-d", "--dry-run")
    assert "container:db:1 CREATE" in dry.out, dry
    assert "container:web:1 START" in dry.out, dry
    assert dry.out.strip() == _full_pass_dry_run(stack)
    assert stack.containers() == {}
    stack.up("-d")
    assert stack.ok("up", "-d", "--dry-run").out.strip() == "nothing to do"


def test_an_up_with_work_goes_on_to_the_full_pass(stack: Stack) -> None:
    stack.up("-d")
    stack.client.api.stop(stack.name("db"), timeout=0)
    result = stack.up("-d")
    assert "Container db-1  Started" in result.err, result  # the executor's plain progress
    assert stack.running() == {stack.name("db"), stack.name("web")}


def test_a_no_op_up_waits_for_a_held_lock_and_no_wait_refuses(stack: Stack) -> None:
    stack.up("-d")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, stack.project, "3"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = stack.run("up", "-d", "--no-wait")
        assert refused.rc != 0 and "is locked by" in refused.err, refused
        started = time.monotonic()
        waited = stack.up("-d")
        assert "waiting for the lock" in waited.err, waited
        assert time.monotonic() - started > 1.0
    finally:
        holder.kill()
        holder.wait()


def test_an_unreachable_engine_is_exit_3_for_up_and_ps(stack: Stack, tmp_path: Path) -> None:
    gone = {"DOCKER_HOST": f"unix://{tmp_path}/no.sock"}
    for args in (("up", "-d"), ("up", "-d", "--dry-run"), ("ps",)):
        result = stack.run(*args, env=gone)
        assert result.rc == 3, result
        assert "cannot reach the Docker Engine" in result.err and "Traceback" not in result.err


def test_ps_without_loop_lists_as_the_async_api(stack: Stack) -> None:
    stack.up("-d")
    stack.client.api.stop(stack.name("db"), timeout=0)

    async def listed(include_stopped: bool) -> list[Any]:
        api = ApiStack(stack.file, project_name=stack.project)
        try:
            return await api.ps(include_stopped=include_stopped, limits=False)
        finally:
            await api.close()

    project = ApiStack(stack.file, project_name=stack.project).project
    for everything in (True, False):
        quick = quick_ps(stack.project, project, None, everything)
        assert quick == anyio.run(listed, everything)
        assert len(quick) == (2 if everything else 1)
    assert quick_ps(stack.project, project, ["web"], True)[0].service == "web"
    shown = json.loads(stack.ok("ps", "-a", "--format", "json").out)
    assert [(row["service"], row["state"]) for row in shown] == [
        ("db", "exited"),
        ("web", "running"),
    ]
