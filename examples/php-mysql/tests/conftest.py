"""Fixtures of the example's own tests: the stack, run by orchestra's pytest plugin.

The plugin (installed with orchestra) gives the ``orchestra_stack`` factory. The stack is
started once per session with a unique project name, on a free host port, with the passwords
from a copy of ``.env.example``, and removed (volumes too) when the session ends.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from orchestra import EngineUnavailableError, SyncStack
from orchestra.pytest_plugin import StackFactory

EXAMPLE = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def example_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A copy of ``.env.example`` and a free port for the app, shared by the session."""
    env_file = tmp_path_factory.mktemp("php-mysql") / "example.env"
    shutil.copy(EXAMPLE / ".env.example", env_file)
    return env_file, _free_port()


@pytest.fixture
def stack(orchestra_stack: StackFactory, example_env: tuple[Path, int]) -> SyncStack:
    """The example stack, up and healthy; started by the first test, shared by the session."""
    env_file, port = example_env
    try:
        return orchestra_stack(
            EXAMPLE / "compose.yaml",
            scope="session",
            env={"APP_PORT": str(port)},
            env_files=[env_file],
        )
    except EngineUnavailableError as exc:
        if os.environ.get("CI"):  # under CI a missing engine is a failure, never a skip
            raise
        pytest.skip(f"no Docker Engine: {exc}")
