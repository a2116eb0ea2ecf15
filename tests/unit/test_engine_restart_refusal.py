"""A dockerd that is shutting down answers calls in flight with a 500 from its lost containerd:
that means the engine is unavailable (exit 3), not that one request was refused (exit 1).

Seen in tests/engine/test_faults_daemon.py, where a SIGTERM of the daemon mid-``up`` made the
starts in flight fail with "transport is closing: unavailable", or, once the shutdown had
closed libnetwork's store, with "failed to update store for object type *libnetwork.endpoint:
open : no such file or directory" (a CI run of session 3).
"""

from __future__ import annotations

import pytest

from orchestra.engine.docker_faults import refusal
from orchestra.errors import EngineError, EngineUnavailableError


@pytest.mark.parametrize(
    "text",
    [
        "transport is closing: unavailable",
        "rpc error: code = Unavailable desc = transport is closing",
        'connection error: desc = "transport: error while dialing": unavailable',
        "failed to update store for object type *libnetwork.endpoint: open : no such file or "
        "directory",
        "failed to update store for object type *libnetwork.endpointCnt: open : no such file or "
        "directory",
    ],
)
def test_a_runtime_going_away_is_the_engine_unavailable(text: str) -> None:
    error = refusal(500, text, "start container abc", None)
    assert isinstance(error, EngineUnavailableError)
    assert "start container abc" in str(error) and "restarting" in str(error)


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (500, 'OCI runtime create failed: exec: "/no/such": no such file or directory'),
        (400, "transport is closing: unavailable"),  # not a server-side failure
        (500, "driver failed programming external connectivity"),
        # A store file that is named and missing is not the closed store of a shutdown.
        (500, "failed to update store for object type *libnetwork.endpoint: open /x: no such file"),
    ],
)
def test_other_refusals_stay_ordinary_engine_errors(status: int, text: str) -> None:
    error = refusal(status, text, "start container abc", None)
    assert type(error) is EngineError
