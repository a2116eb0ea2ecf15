"""The contract suite's backends: the real engine and, when it exists, the fake one.

Every contract test runs once per backend. The real engine's run is marked ``engine`` and
depends on ``docker_client`` (fails under CI without an engine); ``project_name`` sweeps it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from labelled import sweep_project

from orchestra.engine.base import Engine


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=[pytest.param("docker", marks=pytest.mark.engine), "fake"])
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[Engine]:
    backend: Engine
    if request.param == "docker":
        request.getfixturevalue("docker_client")
        from orchestra.engine.docker import DockerEngine

        backend = DockerEngine.from_env()
    else:
        from orchestra.engine.fake import FakeEngine

        backend = FakeEngine()
    yield backend
    await backend.close()


@pytest.fixture
def decoy_project(request: pytest.FixtureRequest, project_name: str) -> Iterator[str]:
    """A second project beside this test's; swept on the real engine afterwards."""
    decoy = f"{project_name}-decoy"
    yield decoy
    if "docker_client" in request.fixturenames:
        sweep_project(request.getfixturevalue("docker_client"), decoy)
