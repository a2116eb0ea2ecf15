"""Shared fixtures: the real engine (fail, never skip, under CI), unique project names, sweeps."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from labelled import sweep_project

TEST_IMAGE = "orchestra-test/busybox:1"
PROJECT_LABEL = "com.docker.compose.project"


def _engine_missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and the Docker Engine is required: {reason}")
    pytest.skip(f"no Docker Engine: {reason}")


@pytest.fixture(scope="session", autouse=True)
def private_parse_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests' parses (thousands of small files) stay out of the user's parse cache; the
    orchestra processes the tests start inherit it."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if saved is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = saved


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A docker SDK client for test set-up and assertions (orchestra has its own)."""
    try:
        import docker

        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as exc:  # any failure to reach the engine counts as missing
        _engine_missing(str(exc))
        raise
    try:
        client.images.get(TEST_IMAGE)
    except Exception as exc:
        _engine_missing(f"test image {TEST_IMAGE} missing (make test-image): {exc}")
    yield client
    client.close()


@pytest.fixture
def project_name(request: pytest.FixtureRequest) -> Iterator[str]:
    """A project name unique to this test; everything labelled with it is swept afterwards."""
    base = "".join(ch for ch in request.node.name.lower() if ch.isalnum())[:20]
    name = f"ot-{base}-{uuid.uuid4().hex[:6]}"
    yield name
    if "docker_client" in request.fixturenames:
        sweep_project(request.getfixturevalue("docker_client"), name)
