"""The blocking pieces of the no-op ``up`` and ``ps``: ``lock_if_free`` across processes, and
``EngineReader``'s calls and error mapping over a scripted transport (no engine)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from orchestra.engine.base import ContainerStatus
from orchestra.engine.docker_http import EngineConnectError, EngineHttpError
from orchestra.engine.docker_read import EngineReader, together
from orchestra.errors import EngineError, EngineUnavailableError
from orchestra.lock import ProjectLockedError, lock_if_free, lock_path, project_lock
from tests.unit.test_lock import HOST, holder  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.anyio


def test_a_free_lock_is_taken_recorded_and_removed(tmp_path: Path) -> None:
    path = lock_path("demo", HOST, tmp_path)
    with lock_if_free("demo", HOST, "orchestra up", directory=tmp_path) as held:
        assert held is not None and (held.pid, held.command) == (os.getpid(), "orchestra up")
        assert path.exists()
    assert not path.exists()


@pytest.mark.usefixtures("holder")
def test_a_held_lock_yields_none_at_once(tmp_path: Path) -> None:
    with lock_if_free("demo", HOST, "orchestra up", directory=tmp_path) as held:
        assert held is None
    assert lock_path("demo", HOST, tmp_path).exists()  # the holder's file is left alone


async def test_while_held_so_others_cannot_take_it(tmp_path: Path) -> None:
    with lock_if_free("demo", HOST, "orchestra up", directory=tmp_path) as held:
        assert held is not None
        with pytest.raises(ProjectLockedError, match="orchestra up"):
            async with project_lock("demo", HOST, "orchestra down", wait=False, directory=tmp_path):
                pytest.fail("took a held lock")


class Scripted:
    """A ``Transport`` answering from a table of path -> answer (or exception)."""

    api_version = "1.41"
    timeout = 5.0

    def __init__(self, answers: Mapping[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.observers: list[Callable[[str, str], None]] = []
        self.closed = False

    def call(self, method: str, path: str, *, params: Any = None, **_: Any) -> Any:
        self.calls.append((path, dict(params or {})))
        answer = self.answers[path]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def call_bytes(self, method: str, path: str, **_: Any) -> bytes:
        raise AssertionError("not used")

    def close(self) -> None:
        self.closed = True


def _row(name: str, state: str = "running", status: str = "Up 2 seconds") -> dict[str, Any]:
    return {"Id": f"id-{name}", "Names": [f"/{name}"], "State": state, "Status": status}


def test_observe_is_three_filtered_lists_sorted_by_name() -> None:
    transport = Scripted(
        {
            "/containers/json": [_row("p-b-1"), _row("p-a-1", "exited", "Exited (3) 1 second ago")],
            "/networks": [{"Id": "n1", "Name": "p_default"}],
            "/volumes": {"Volumes": None},
        }
    )
    with EngineReader(transport) as reader:  # type: ignore[arg-type]
        observed = reader.observe("p")
    assert transport.closed
    assert [c.name for c in observed.containers] == ["p-a-1", "p-b-1"]
    assert observed.containers[0].status is ContainerStatus.EXITED
    assert observed.containers[0].exit_code == 3
    assert [n.name for n in observed.networks] == ["p_default"] and observed.volumes == ()
    # The three lists run at the same time: any order.
    assert sorted(path for path, _ in transport.calls) == [
        "/containers/json",
        "/networks",
        "/volumes",
    ]
    listing = dict(transport.calls)["/containers/json"]
    assert listing["all"] == "1" and "com.docker.compose.project=p" in listing["filters"]


def test_a_missing_image_is_none_and_other_refusals_are_errors() -> None:
    transport = Scripted(
        {
            "/images/there:1/json": {"Id": "sha256:abc"},
            "/images/gone:1/json": EngineHttpError(404, "No such image: gone:1"),
            "/images/bad:1/json": EngineHttpError(500, "storage broke"),
            "/containers/json": EngineConnectError("no socket"),
        }
    )
    reader = EngineReader(transport)  # type: ignore[arg-type]
    assert reader.image_ids({"there:1", "gone:1"}) == {"there:1": "sha256:abc", "gone:1": None}
    with pytest.raises(EngineError, match="inspect image bad:1: storage broke"):
        reader.image_id("bad:1")
    with pytest.raises(EngineUnavailableError, match="cannot reach the Docker Engine"):
        reader.containers("p")


def test_no_engine_at_docker_host_is_engine_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    with pytest.raises(EngineUnavailableError, match=f"Engine at unix://{tmp_path}/none.sock"):
        EngineReader.from_env()


def test_together_reads_at_the_same_time_and_raises_the_first_failure() -> None:
    def slow(value: str) -> str:
        time.sleep(0.3)
        return value

    started = time.monotonic()
    assert together(lambda: slow("a"), lambda: slow("b")) == ["a", "b"]
    assert time.monotonic() - started < 0.55  # one after the other would take 0.6 s

    def fail(message: str) -> Any:
        raise EngineConnectError(message)

    with pytest.raises(EngineConnectError, match="second"):
        together(lambda: 1, lambda: fail("second"), lambda: fail("third"))
