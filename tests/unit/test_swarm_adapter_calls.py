"""Which Engine API calls DockerSwarmEngine makes, on a recording stub transport.

Only call shapes and the adapter's own decisions (retry an out-of-sequence update once, keep the
spec when scaling, look secret ids up in one call, observe in five list calls) are checked here;
that the engine accepts them is proven on the private swarm (tests/engine/test_swarm_adapter*).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from orchestra.engine.docker_http import EngineHttpError
from orchestra.engine.docker_swarm import DockerSwarmEngine
from orchestra.engine.docker_swarm_logs import TaskNames
from orchestra.engine.swarm_base import FileMount, SwarmObjectSpec, SwarmServiceSpec
from orchestra.errors import (
    EngineError,
    EngineUnavailableError,
    NotFoundError,
    SwarmNotManagerError,
)

pytestmark = pytest.mark.anyio

Answer = Callable[[str, str, Mapping[str, Any], Any], Any]
CURRENT: dict[str, Any] = {
    "ID": "s1",
    "Version": {"Index": 7},
    "Spec": {"Name": "p_web", "Env": ["A=1"]},
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Stub:
    """A Transport that records each call and answers through ``answer``."""

    api_version = "1.41"
    timeout = 5.0

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str, dict[str, Any], Any]] = []
        self.observers: list[Callable[[str, str], None]] = []

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> Any:
        self.calls.append((method, path, dict(params or {}), body))
        return self.answer(method, path, params or {}, body)

    def call_bytes(self, method: str, path: str, **kwargs: Any) -> bytes:
        return json.dumps(self.call(method, path, **kwargs)).encode()

    def close(self) -> None:
        pass


def _engine(stub: Stub) -> DockerSwarmEngine:
    return DockerSwarmEngine(
        stub,
        host="unix:///stub.sock",
        service_body=lambda spec, ids: {"Name": spec.name, "Ids": dict(ids)},
        object_body=lambda spec: {"Name": spec.name},
    )


SPEC = SwarmServiceSpec(name="p_web", image="img", labels={"com.docker.compose.project": "p"})


async def test_an_out_of_sequence_update_is_retried_once_with_a_fresh_version() -> None:
    versions = iter([7, 8])
    refusals = iter(
        [EngineHttpError(500, "rpc error: code = Unknown desc = update out of sequence")]
    )

    def answer(method: str, path: str, params: Mapping[str, Any], body: Any) -> Any:
        if method == "GET":
            return {**CURRENT, "Version": {"Index": next(versions)}}
        refusal = next(refusals, None)
        if refusal is not None:
            raise refusal
        return {"Warnings": None}

    stub = Stub(answer)
    await _engine(stub).update_service("s1", SPEC)
    posts = [(path, params) for method, path, params, _ in stub.calls if method == "POST"]
    assert posts == [
        ("/services/s1/update", {"version": 7}),
        ("/services/s1/update", {"version": 8}),
    ]


async def test_a_second_out_of_sequence_is_an_error() -> None:
    def answer(method: str, path: str, params: Mapping[str, Any], body: Any) -> Any:
        if method == "GET":
            return CURRENT
        raise EngineHttpError(500, "rpc error: code = Unknown desc = update out of sequence")

    with pytest.raises(EngineError, match="out of sequence"):
        await _engine(Stub(answer)).update_service("s1", SPEC)


async def test_scale_keeps_the_spec_and_rollback_sends_the_current_one() -> None:
    stub = Stub(lambda method, path, params, body: CURRENT if method == "GET" else {})
    engine = _engine(stub)
    await engine.scale_service("s1", 4)
    await engine.update_service("s1", SPEC, rollback=True)
    scale, rollback = [(params, body) for method, _, params, body in stub.calls if method == "POST"]
    assert scale == ({"version": 7}, {**CURRENT["Spec"], "Mode": {"Replicated": {"Replicas": 4}}})
    assert rollback == ({"version": 7, "rollback": "previous"}, CURRENT["Spec"])


async def test_a_global_service_cannot_be_scaled() -> None:
    current = {**CURRENT, "Spec": {"Name": "p_agent", "Mode": {"Global": {}}}}
    stub = Stub(lambda method, path, params, body: current)
    with pytest.raises(EngineError, match="Global service"):
        await _engine(stub).scale_service("s1", 2)
    assert [method for method, *_ in stub.calls] == ["GET"]


async def test_secret_and_config_ids_are_looked_up_by_exact_name() -> None:
    rows = {
        "/secrets": [
            {"ID": "sec1", "Spec": {"Name": "p_pw-abc"}},
            {"ID": "sec2", "Spec": {"Name": "p_pw-abcdef"}},  # a prefix match only
        ],
        "/configs": [{"ID": "cfg1", "Spec": {"Name": "p_conf-123"}}],
    }
    stub = Stub(lambda method, path, params, body: rows.get(path, {"ID": "new"}))
    spec = SwarmServiceSpec(
        name="p_web",
        image="img",
        labels={},
        secrets=(FileMount("secret", "p_pw-abc", "pw"),),
        configs=(FileMount("config", "p_conf-123", "/etc/c"),),
    )
    assert await _engine(stub).create_service(spec) == "new"
    method, path, _, body = stub.calls[-1]
    assert (method, path) == ("POST", "/services/create")
    assert body == {"Name": "p_web", "Ids": {"p_pw-abc": "sec1", "p_conf-123": "cfg1"}}
    lookups = [json.loads(params["filters"]) for _, _, params, _ in stub.calls[:-1]]
    assert lookups == [{"name": ["p_pw-abc"]}, {"name": ["p_conf-123"]}]


async def test_creating_an_existing_object_returns_it() -> None:
    def answer(method: str, path: str, params: Mapping[str, Any], body: Any) -> Any:
        if method == "POST":
            raise EngineHttpError(409, "rpc error: code = AlreadyExists desc = secret p_pw exists")
        return [{"ID": "sec9", "Spec": {"Name": "p_pw"}}]

    spec = SwarmObjectSpec("secret", "pw", "p_pw", {}, "c2VjcmV0")
    assert await _engine(Stub(answer)).create_object(spec) == "sec9"
    with pytest.raises(ValueError, match="secret or a config"):
        await _engine(Stub(answer)).remove_object("volume", "v1")


async def test_observing_a_project_is_five_label_filtered_list_calls() -> None:
    stub = Stub(lambda method, path, params, body: [])
    observed = await _engine(stub).observe_swarm("shop")
    assert observed.services == () and observed.tasks == ()
    assert [(m, p) for m, p, *_ in stub.calls] == [
        ("GET", "/services"),
        ("GET", "/tasks"),
        ("GET", "/networks"),
        ("GET", "/secrets"),
        ("GET", "/configs"),
    ]
    for _, _, params, _ in stub.calls:
        assert json.loads(params["filters"]) == {"label": ["com.docker.compose.project=shop"]}


async def test_refusals_are_mapped_at_the_seam() -> None:
    def not_manager(method: str, path: str, params: Mapping[str, Any], body: Any) -> Any:
        raise EngineHttpError(503, "This node is not a swarm manager. Use docker swarm init")

    with pytest.raises(SwarmNotManagerError, match=r"unix:///stub\.sock"):
        await _engine(Stub(not_manager)).observe_swarm("p")

    def missing(method: str, path: str, params: Mapping[str, Any], body: Any) -> Any:
        raise EngineHttpError(500, "network nonet not found")

    with pytest.raises(NotFoundError):
        await _engine(Stub(missing)).create_service(SPEC)


def test_task_names_refresh_once_for_an_unknown_task() -> None:
    refreshed: list[int] = []

    def refresh() -> dict[str, str]:
        refreshed.append(1)
        return {"t2": "p_web.2"}

    names = TaskNames({"t1": "p_web.1"}, refresh)
    assert names.name("t1", "p_web") == "p_web.1"
    assert names.name("t2", "p_web") == "p_web.2"
    assert names.name("t3abcdefghijklmn", "p_web") == "p_web.t3abcdefghij"
    assert names.name("t3abcdefghijklmn", "p_web") == "p_web.t3abcdefghij"
    assert names.name("", "p_web") == "p_web"
    assert len(refreshed) == 2  # t2 and t3 once each, never again for t3


def test_no_engine_at_docker_host_is_engine_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    with pytest.raises(EngineUnavailableError, match=r"nothing\.sock"):
        DockerSwarmEngine.from_env()
