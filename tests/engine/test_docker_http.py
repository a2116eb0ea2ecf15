"""The raw HTTP client: which addresses it serves itself, frames, and its calls on the engine.

The address and demux tests need no engine; the rest run against the real one (``engine``
fixture): keep-alive reuse, the pinned API version, refusals with the engine's message, and
that the short-call path never imports the docker SDK.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestra.engine.docker import DockerEngine
from orchestra.engine.docker_exec import demux
from orchestra.engine.docker_http import EngineHttpError, PlainAddress, plain_address
from orchestra.engine.docker_transport import RawTransport, SdkTransport, Transport, open_transport


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, PlainAddress(socket_path="/var/run/docker.sock")),
        (
            {"DOCKER_HOST": "unix:///run/user/1/docker.sock"},
            PlainAddress("/run/user/1/docker.sock"),
        ),
        ({"DOCKER_HOST": "tcp://10.0.0.5:2375"}, PlainAddress(host="10.0.0.5", port=2375)),
        ({"DOCKER_HOST": "tcp://engine"}, PlainAddress(host="engine", port=2375)),
        ({"DOCKER_HOST": "ssh://me@box"}, None),
        ({"DOCKER_HOST": "tcp://10.0.0.5:2376", "DOCKER_TLS_VERIFY": "1"}, None),
        ({"DOCKER_CERT_PATH": "/certs"}, None),
        ({"DOCKER_CONTEXT": "remote"}, None),
        ({"DOCKER_CONTEXT": "default"}, PlainAddress(socket_path="/var/run/docker.sock")),
    ],
)
def test_plain_address_leaves_tls_ssh_and_contexts_to_the_sdk(
    environ: dict[str, str], expected: PlainAddress | None, tmp_path: Path
) -> None:
    environ = {"DOCKER_CONFIG": str(tmp_path)} | environ  # no user config.json in the way
    assert plain_address(environ) == expected


def test_a_current_context_in_the_config_file_goes_to_the_sdk(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "remote"}))
    assert plain_address({"DOCKER_CONFIG": str(tmp_path)}) is None
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "default"}))
    assert plain_address({"DOCKER_CONFIG": str(tmp_path)}) is not None


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


def test_demux_splits_stdout_and_stderr_frames() -> None:
    raw = frame(1, b"out1 ") + frame(2, b"err") + frame(1, b"out2") + frame(1, b"trunc")[:-2]
    assert demux(raw) == (b"out1 out2tru", b"err")
    assert demux(b"") == (b"", b"")


@pytest.mark.engine
@pytest.mark.anyio
async def test_short_calls_reuse_one_keep_alive_connection(engine: DockerEngine) -> None:
    transport = engine.transport
    assert isinstance(transport, RawTransport)
    assert transport.api_version == engine.api_version and engine.api_version.startswith("1.")
    for _ in range(5):
        await engine.observe("orchestra-nothing-here")
    # Fifteen calls, three at a time (an observation's lists run together: docker_read.together):
    # a connection per call would leave up to fifteen in the pool.
    assert 1 <= len(transport._idle) <= 3, "calls reuse the pooled connections"


@pytest.fixture
def raw(docker_client: object) -> Iterator[Transport]:
    transport, _ = open_transport(4, 30)
    yield transport
    transport.close()


@pytest.mark.engine
def test_refusals_carry_the_status_and_the_engines_message(raw: Transport) -> None:
    assert isinstance(raw, RawTransport)
    with pytest.raises(EngineHttpError) as caught:
        raw.call("GET", "/containers/orchestra-no-such-container/json")
    assert caught.value.status == 404
    assert caught.value.explanation == "No such container: orchestra-no-such-container"


@pytest.mark.engine
def test_sdk_transport_answers_like_the_raw_one(raw: Transport) -> None:
    import docker

    sdk = SdkTransport(docker.APIClient(version=raw.api_version))
    try:
        assert sdk.call("GET", "/info")["ID"] == raw.call("GET", "/info")["ID"]
        assert sdk.call_bytes("GET", "/_ping") == raw.call_bytes("GET", "/_ping") == b"OK"
        with pytest.raises(EngineHttpError) as caught:
            sdk.call("GET", "/containers/orchestra-no-such-container/json")
        assert (caught.value.status, caught.value.explanation) == (
            404,
            "No such container: orchestra-no-such-container",
        )
    finally:
        sdk.close()


PROBE = """
import anyio, sys
from orchestra.engine.docker import DockerEngine

async def main():
    engine = DockerEngine.from_env()
    await engine.observe("orchestra-nothing-here")
    await engine.list_projects()
    await engine.image_id("orchestra-test/busybox:1")
    async with engine.events("orchestra-nothing-here"):
        pass
    await engine.close()

anyio.run(main)
print(sorted(m for m in ("docker", "requests", "urllib3") if m in sys.modules))
"""


@pytest.mark.engine
def test_the_short_call_path_never_imports_the_sdk(docker_client: object) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr
