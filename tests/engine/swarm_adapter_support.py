"""Helpers of the ``DockerSwarmEngine`` tests: labelled service specs and polling waits."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio

from orchestra import labels
from orchestra.engine.docker_swarm import DockerSwarmEngine
from orchestra.engine.swarm_base import ObservedTask, SwarmObserved, SwarmServiceSpec

TEST_IMAGE = "orchestra-test/busybox:1"
T = TypeVar("T")


def service_spec(project: str, service: str, **fields: Any) -> SwarmServiceSpec:
    """A labelled busybox service of ``project``: ``sleep 300`` under init unless told."""
    fields.setdefault("args", ("sleep", "300"))
    fields.setdefault("init", True)
    # Quick rolls: a stop-first update of one task at a time with no delay.
    fields.setdefault("stop_grace_period", 2.0)
    extra = fields.pop("labels", {})
    return SwarmServiceSpec(
        name=f"{project}_{service}",
        image=fields.pop("image", TEST_IMAGE),
        labels={labels.PROJECT: project, "com.docker.stack.namespace": project} | extra,
        container_labels={labels.PROJECT: project, labels.SERVICE: service},
        **fields,
    )


def running(observed: SwarmObserved, service_id: str) -> list[ObservedTask]:
    """The service's tasks that run and should (healthy, where there is a healthcheck)."""
    return [
        t
        for t in observed.tasks
        if t.service_id == service_id and t.state == "running" and t.desired_state == "running"
    ]


async def wait_for(check: Callable[[], Awaitable[T | None]], what: str, timeout: float = 90) -> T:
    """Poll ``check`` until it returns something other than None (every 0.3 s)."""
    with anyio.move_on_after(timeout):
        while True:
            found = await check()
            if found is not None:
                return found
            await anyio.sleep(0.3)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def wait_running(
    engine: DockerSwarmEngine, project: str, service_id: str, count: int, timeout: float = 90
) -> SwarmObserved:
    """Wait until exactly ``count`` tasks of the service run; the observation that showed it."""

    async def check() -> SwarmObserved | None:
        observed = await engine.observe_swarm(project)
        return observed if len(running(observed, service_id)) == count else None

    return await wait_for(check, f"{count} running task(s) of {service_id}", timeout)


@contextmanager
def docker_host(host: str) -> Iterator[None]:
    """DOCKER_HOST set to ``host`` for the block (``from_env`` reads it)."""
    before = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = host
    try:
        yield
    finally:
        if before is None:
            del os.environ["DOCKER_HOST"]
        else:
            os.environ["DOCKER_HOST"] = before
