"""What the CLI needs from ``Stack.up``/``down`` and gets through the public API: dry runs,
progress events, the project lock (``no_wait``, ``on_lock_wait``), cancellation, stacks opened
by name, and following the logs of several containers at once.

Checked against the engine with the docker SDK (never through orchestra itself).
"""

from __future__ import annotations

import textwrap
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio
import pytest

from orchestra import (
    Interrupted,
    OpEvent,
    Phase,
    Plan,
    ProjectLockedError,
    Stack,
    UsageError,
)
from orchestra.lock import Holder, engine_host, project_lock
from orchestra.plan.ops import OpKind

pytestmark = [pytest.mark.engine, pytest.mark.anyio, pytest.mark.timeout(300)]

IMAGE = "orchestra-test/busybox:1"
PROJECT_LABEL = "com.docker.compose.project"

# slow: healthy after ~2 s; after: waits for it. Both talk so their logs can be followed.
TWO_LAYERS = f"""
services:
  slow:
    image: {IMAGE}
    command: sh -c "echo slow-1; sleep 2; touch /tmp/ok; while sleep 1; do echo slow-tick; done"
    stop_signal: SIGKILL
    healthcheck: {{test: [CMD, test, -f, /tmp/ok], interval: 500ms, retries: 40}}
  after:
    image: {IMAGE}
    command: sh -c "echo after-1; while sleep 1; do echo after-tick; done"
    stop_signal: SIGKILL
    depends_on: {{slow: {{condition: service_healthy}}}}
"""


@pytest.fixture
def compose(tmp_path: Path) -> Path:
    path = tmp_path / "compose.yaml"
    path.write_text(textwrap.dedent(TWO_LAYERS))
    return path


def names(client: Any, project: str) -> set[str]:
    flt = {"label": f"{PROJECT_LABEL}={project}"}
    return {c.name for c in client.containers.list(all=True, filters=flt)}


async def test_dry_run_then_progress_then_nothing_to_do(
    docker_client: Any, project_name: str, compose: Path
) -> None:
    stack = Stack(compose, project_name=project_name)
    try:
        planned = await stack.up(dry_run=True)
        assert not planned.is_empty and names(docker_client, project_name) == set()
        events: list[OpEvent] = []
        seen: list[Plan] = []
        await stack.up(progress=events.append, on_plan=seen.append)
        started = {e.target for e in events if e.kind is OpKind.START_CONTAINER}
        assert {e.phase for e in events if e.target in started} >= {Phase.STARTED, Phase.DONE}
        assert len(started) == 2 and seen and not seen[0].is_empty
        again: list[OpEvent] = []
        assert (await stack.up(progress=again.append)).is_empty and again == []
    finally:
        await stack.down(volumes=True)
        await stack.close()
    assert names(docker_client, project_name) == set()


async def test_no_wait_fails_on_a_held_lock_and_waiting_is_reported(
    docker_client: Any, project_name: str, compose: Path
) -> None:
    waited: list[Holder | None] = []
    stack = Stack(compose, project_name=project_name, client="test", on_lock_wait=waited.append)
    try:
        async with project_lock(project_name, engine_host(), "holder script"):
            with pytest.raises(ProjectLockedError, match="holder script"):
                await stack.up(["slow"], no_wait=True)
            async with anyio.create_task_group() as group:
                group.start_soon(stack.up, ["slow"])
                with anyio.fail_after(30):
                    while not waited:
                        await anyio.sleep(0.05)
                assert names(docker_client, project_name) == set(), "up ran under a held lock"
                group.cancel_scope.cancel()
        assert waited[0] is not None and waited[0].command == "holder script"
    finally:
        await stack.down(volumes=True)
        await stack.close()


async def test_cancel_stops_before_the_dependent_starts(
    docker_client: Any, project_name: str, compose: Path
) -> None:
    cancel = anyio.Event()

    def on_event(event: OpEvent) -> None:
        if event.kind is OpKind.START_CONTAINER and event.phase is Phase.DONE:
            cancel.set()  # as the CLI's Ctrl-C would: slow runs, after waits for its health

    stack = Stack(compose, project_name=project_name)
    try:
        with pytest.raises(Interrupted):
            await stack.up(progress=on_event, cancel=cancel)
        running = {
            c.name
            for c in docker_client.containers.list(
                filters={"label": f"{PROJECT_LABEL}={project_name}"}
            )
        }
        assert running == {f"{project_name}-slow-1"}
        await stack.up()  # converges from where the cancelled one stopped
        assert names(docker_client, project_name) == {
            f"{project_name}-slow-1",
            f"{project_name}-after-1",
        }
    finally:
        await stack.down(volumes=True)
        await stack.close()


async def test_following_several_containers_and_a_stack_opened_by_name(
    docker_client: Any, project_name: str, compose: Path
) -> None:
    async with Stack(compose, project_name=project_name):
        by_name = Stack.by_name(project_name)
        try:
            infos = await by_name.ps(limits=False)
            assert [i.service for i in infos] == ["after", "slow"]
            with pytest.raises(UsageError, match="opened by name"):
                await by_name.up()
            seen: set[str] = set()
            with anyio.fail_after(60):
                async with aclosing(by_name.logs(follow=True, tail=1)) as lines:
                    async for line in lines:
                        seen.add(line.container)
                        if len(seen) == 2:
                            break
            assert seen == {f"{project_name}-slow-1", f"{project_name}-after-1"}
            assert (await by_name.exec("slow", "echo by-name")).stdout == "by-name\n"
            await by_name.down()
        finally:
            await by_name.close()
        assert names(docker_client, project_name) == set()
