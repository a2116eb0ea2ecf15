"""Fixtures for tests against the real Docker Engine: an orchestra ``DockerEngine`` and specs.

The ``engine`` fixture depends on ``docker_client`` (tests/conftest.py), so it fails under CI
and skips locally when no engine answers, and ``project_name`` sweeps what a test created.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from labelled import sweep_project
from swarm_daemon import SwarmDaemon, swarm_daemon

from orchestra import labels
from orchestra.engine.base import ContainerSpec
from orchestra.engine.docker import DockerEngine

TEST_IMAGE = "orchestra-test/busybox:1"

SpecFactory = Callable[..., ContainerSpec]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def engine(docker_client: Any) -> AsyncIterator[DockerEngine]:
    """A fresh adapter per test (its limiter belongs to the test's event loop)."""
    adapter = DockerEngine.from_env(max_concurrency=8)
    yield adapter
    await adapter.close()


def project_labels(project: str, service: str, number: int = 1) -> dict[str, str]:
    return {
        labels.PROJECT: project,
        labels.SERVICE: service,
        labels.CONTAINER_NUMBER: str(number),
        labels.ONEOFF: "False",
    }


@pytest.fixture
def make_spec(project_name: str) -> SpecFactory:
    """``make_spec("web", **fields)``: a labelled busybox container spec of this test's project.

    Defaults: ``sleep 300`` under ``init`` (so a stop is quick: sleep as PID 1 ignores SIGTERM).
    """

    def make(
        service: str, number: int = 1, project: str | None = None, **fields: Any
    ) -> ContainerSpec:
        owner = project or project_name
        fields.setdefault("command", ("sleep", "300"))
        fields.setdefault("init", True)
        extra = fields.pop("labels", {})
        return ContainerSpec(
            name=f"{owner}-{service}-{number}",
            image=fields.pop("image", TEST_IMAGE),
            labels=project_labels(owner, service, number) | extra,
            **fields,
        )

    return make


@pytest.fixture
def decoy_project(project_name: str, docker_client: Any) -> Iterator[str]:
    """A second project name, beside this test's, swept afterwards."""
    decoy = f"{project_name}-decoy"
    yield decoy
    sweep_project(docker_client, decoy)


# The Swarm backend's tests share one private single-node swarm per session (tests/engine/
# swarm_daemon.py): starting one takes ~2 s plus the image copy, and the machine's engine is
# never made a swarm manager. Each test uses its own project name, swept by label afterwards.


@pytest.fixture(scope="session")
def swarm(docker_client: Any) -> Iterator[SwarmDaemon]:
    """A private single-node swarm manager (``swarm.host`` is its ``DOCKER_HOST``)."""
    try:
        with swarm_daemon() as daemon:
            yield daemon
    except (AssertionError, OSError, subprocess.SubprocessError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and a private swarm is required: {exc}")
        pytest.skip(f"cannot start a private swarm: {exc}")


def sweep_swarm_project(daemon: SwarmDaemon, project: str) -> None:
    """Remove the services, then networks, secrets and configs labelled with ``project``."""
    flt = f"label={labels.PROJECT}={project}"
    for kind in ("service", "network", "secret", "config"):
        ids = daemon.docker(kind, "ls", "-q", "--filter", flt).stdout.split()
        if ids:
            daemon.docker(kind, "rm", *ids)


@pytest.fixture
def swarm_project(swarm: SwarmDaemon, project_name: str) -> Iterator[str]:
    """A unique project name on the private swarm; what carries it is swept afterwards."""
    yield project_name
    sweep_swarm_project(swarm, project_name)


@pytest.fixture
def swarm_env(swarm: SwarmDaemon) -> dict[str, str]:
    """The environment for running ``orchestra``/``docker`` against the private swarm."""
    return {**os.environ, "DOCKER_HOST": swarm.host}
