"""Fixtures for unit tests (no engine): the anyio backend for ``@pytest.mark.anyio`` tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
