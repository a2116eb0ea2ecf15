"""Engine 20.10's refusals to start a container whose runtime task outlived a daemon restart are
StaleTaskError (the executor replaces such a container); look-alike messages are not.

The two texts are the ones the engine gave in tests/engine/test_faults_daemon.py (a SIGTERM of
the daemon mid-``up``) and its test that leaves the shim's directory behind on purpose.
"""

from __future__ import annotations

import pytest

from orchestra.engine.docker_faults import refusal
from orchestra.errors import ConflictError, EngineError, StaleTaskError

ID = "3dfc7ecd929874e5dda32302bcee30210d9cc3d0d421b2cb7261efbd0148a3b5"
SHIM = (
    "failed to start shim: mkdir /tmp/od-892ec40c-7u6nb7g5/exec/containerd/daemon/"
    f"io.containerd.runtime.v2.task/orchtest-892ec40c/{ID}: file exists: unknown"
)


@pytest.mark.parametrize("status", [409, 500])
@pytest.mark.parametrize(
    "text", [f"task {ID}: already exists", SHIM, f"start container {ID}: id already in use"]
)
def test_a_kept_task_or_shim_directory_is_a_stale_task(status: int, text: str) -> None:
    error = refusal(status, text, f"start container {ID}", None)
    assert isinstance(error, StaleTaskError) and isinstance(error, ConflictError)
    assert str(error).startswith(f"start container {ID}: the engine kept a stale task")
    assert text in str(error) and "orchestra up replaces" in str(error)


@pytest.mark.parametrize(
    ("status", "text", "kind"),
    [
        (409, 'Conflict. The container name "/p-web-1" is already in use', ConflictError),
        (409, "network with name p_default already exists", ConflictError),
        (500, "mkdir /var/lib/app: file exists", EngineError),
        (500, "task web: already exists", EngineError),  # not a container id
        (500, 'OCI runtime create failed: exec: "/no/such": no such file', EngineError),
    ],
)
def test_look_alikes_keep_their_own_error(status: int, text: str, kind: type[Exception]) -> None:
    error = refusal(status, text, "start container abc", None)
    assert type(error) is kind


def test_a_missing_container_stays_not_found() -> None:
    error = refusal(404, f"No such container: {ID}", "start container x", None)
    assert not isinstance(error, StaleTaskError)
