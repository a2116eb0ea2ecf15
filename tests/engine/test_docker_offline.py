"""The adapter's pure parts and its unreachable-engine path: no engine needed.

The create-request builder takes only the API version: building a request never talks to the
engine. The unreachable-engine checks run on both transports (raw HTTP and the SDK fallback).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import docker
import pytest
import requests
from docker import errors as docker_errors

from orchestra.engine.base import (
    ContainerSpec,
    ContainerStatus,
    HealthSpec,
    HealthStatus,
    Mount,
    NetworkAttachment,
    PortBinding,
    Resources,
    Ulimit,
)
from orchestra.engine.docker import DockerEngine
from orchestra.engine.docker_convert import build_create_request, restart_policy
from orchestra.engine.docker_errors import translate
from orchestra.engine.docker_http import EngineConnectError, EngineHttpError, PlainAddress
from orchestra.engine.docker_observe import (
    container_state,
    exit_code_from_status_text,
    health_from_status_text,
    observed_container,
)
from orchestra.engine.docker_streams import LineSplitter
from orchestra.engine.docker_transport import RawTransport
from orchestra.errors import (
    ConflictError,
    EngineError,
    EngineUnavailableError,
    ImageNotFoundError,
    NotFoundError,
)

NOWHERE = "unix:///nonexistent.sock"
RESOURCE_KEYS = (
    "Memory", "MemorySwap", "MemoryReservation", "MemorySwappiness", "NanoCpus", "CpuShares",
    "CpuQuota", "CpuPeriod", "CPURealtimeRuntime", "CPURealtimePeriod", "CpusetCpus",
    "CpusetMems", "PidsLimit", "BlkioWeight", "OomKillDisable", "OomScoreAdj", "ShmSize",
    "Ulimits",
)  # fmt: skip


def api(version: str = "1.41") -> str:
    """The API version the request is built for (the builder needs nothing else)."""
    return version


def spec(**fields: Any) -> ContainerSpec:
    return ContainerSpec(name="p-web-1", image="img:1", labels={"k": "v"}, **fields)


# ---------------------------------------------------------------- engine unreachable


@pytest.mark.parametrize("host", [NOWHERE, "tcp://127.0.0.1:1"])
def test_from_env_without_an_engine_says_how_to_fix_it(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", host)
    with pytest.raises(EngineUnavailableError) as caught:
        DockerEngine.from_env()
    message = str(caught.value)
    assert message.startswith(f"cannot reach the Docker Engine at {host}")
    assert "Is dockerd running?" in message and "DOCKER_HOST=" in message
    assert caught.value.exit_code == 3
    assert caught.value.__cause__ is not None


def raw_engine() -> DockerEngine:
    transport = RawTransport(PlainAddress(socket_path=NOWHERE.removeprefix("unix://")))
    transport.api_version = "1.41"
    return DockerEngine(transport, host=NOWHERE)


def sdk_engine() -> DockerEngine:
    return DockerEngine(docker.DockerClient(base_url=NOWHERE, version="1.41"), host=NOWHERE)


@pytest.mark.anyio
@pytest.mark.parametrize("make", [raw_engine, sdk_engine], ids=["raw", "sdk"])
async def test_calls_on_a_vanished_engine_are_unavailable(make: Callable[[], DockerEngine]) -> None:
    engine = make()
    with pytest.raises(EngineUnavailableError, match=r"nonexistent\.sock"):
        await engine.ping()
    with pytest.raises(EngineUnavailableError):
        await engine.observe("any")
    with pytest.raises(EngineUnavailableError):
        async with engine.events() as events:
            await events.__anext__()
    await engine.close()


# ---------------------------------------------------------------- error translation


def api_error(
    status: int, explanation: str, kind: type[docker_errors.APIError] = docker_errors.APIError
) -> docker_errors.APIError:
    response = requests.Response()
    response.status_code = status
    return kind("boom", response=response, explanation=explanation)


@pytest.mark.parametrize(
    ("error", "expected", "text"),
    [
        (
            api_error(404, "No such image: x:1", docker_errors.ImageNotFound),
            ImageNotFoundError,
            "act: image x:1 is not present (No such image: x:1)",
        ),
        (
            api_error(404, "No such container: c", docker_errors.NotFound),
            NotFoundError,
            "act: No such container: c",
        ),
        (
            api_error(409, 'name "/w" is already in use'),
            ConflictError,
            'act: name "/w" is already in use',
        ),
        (
            api_error(
                500, "driver failed ...: Bind for 0.0.0.0:8080 failed: port is already allocated"
            ),
            ConflictError,
            "act: host port 0.0.0.0:8080 is already",
        ),
        (api_error(500, "something else broke"), EngineError, "act: something else broke"),
        (requests.exceptions.ReadTimeout("slow"), EngineError, "act: the Docker Engine at h"),
        (
            requests.exceptions.ConnectionError("refused"),
            EngineUnavailableError,
            "cannot reach the Docker Engine at h (refused)",
        ),
        # The raw HTTP path's failures map to the same errors and messages.
        (EngineHttpError(404, "No such image: x:1"), ImageNotFoundError, "act: image x:1 is not"),
        (EngineHttpError(404, "No such container: c"), NotFoundError, "act: No such container: c"),
        (EngineHttpError(409, 'name "/w" is in use'), ConflictError, 'act: name "/w" is in use'),
        (
            EngineHttpError(500, "x: Bind for 0.0.0.0:8080 failed: port is already allocated"),
            ConflictError,
            "act: host port 0.0.0.0:8080 is already",
        ),
        (EngineHttpError(500, "something else"), EngineError, "act: something else"),
        (TimeoutError("timed out"), EngineError, "act: the Docker Engine at h did not answer"),
        (
            EngineConnectError("[Errno 111] Connection refused"),
            EngineUnavailableError,
            "cannot reach the Docker Engine at h ([Errno 111] Connection refused)",
        ),
        (ConnectionResetError("reset"), EngineUnavailableError, "cannot reach the Docker Engine"),
    ],
)
def test_translate_most_specific_first(error: Exception, expected: type, text: str) -> None:
    mapped = translate(error, "act", "h", image="x:1")
    assert type(mapped) is expected
    assert str(mapped).startswith(text)


def test_translate_leaves_unrelated_errors_alone() -> None:
    assert translate(KeyError("Id"), "act", "h") is None


# ---------------------------------------------------------------- create request


def test_ports_expose_every_port_and_bind_the_published_ones() -> None:
    ports = (
        PortBinding(80, host_ip="127.0.0.1", host_port="8080"),
        PortBinding(80, host_ip="::1", host_port="8080"),
        PortBinding(53, protocol="udp", host_port="5300-5310"),
        PortBinding(9000),
    )
    config = build_create_request(api(), spec(ports=ports)).config
    assert config["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}, "9000/tcp": {}}
    assert config["HostConfig"]["PortBindings"] == {
        "80/tcp": [
            {"HostIp": "127.0.0.1", "HostPort": "8080"},
            {"HostIp": "::1", "HostPort": "8080"},
        ],
        "53/udp": [{"HostIp": "", "HostPort": "5300-5310"}],
    }


def test_every_resource_knob_lands_in_the_host_config() -> None:
    resources = Resources(
        memory=1, memory_swap=2, memory_reservation=3, memory_swappiness=4, nano_cpus=5,
        cpu_shares=6, cpu_quota=7, cpu_period=8, cpu_rt_runtime=9, cpu_rt_period=10,
        cpuset_cpus="0-1", cpuset_mems="0", pids_limit=11, blkio_weight=12,
        oom_kill_disable=True, oom_score_adj=13, shm_size=14, ulimits=(Ulimit("core", 0, 1),),
    )  # fmt: skip
    host = build_create_request(api(), spec(resources=resources)).config["HostConfig"]
    assert {key: host[key] for key in RESOURCE_KEYS} == {
        "Memory": 1, "MemorySwap": 2, "MemoryReservation": 3, "MemorySwappiness": 4,
        "NanoCpus": 5, "CpuShares": 6, "CpuQuota": 7, "CpuPeriod": 8,
        "CPURealtimeRuntime": 9, "CPURealtimePeriod": 10, "CpusetCpus": "0-1",
        "CpusetMems": "0", "PidsLimit": 11, "BlkioWeight": 12, "OomKillDisable": True,
        "OomScoreAdj": 13, "ShmSize": 14, "Ulimits": [{"Name": "core", "Soft": 0, "Hard": 1}],
    }  # fmt: skip


def test_unset_resources_leave_the_engine_defaults() -> None:
    host = build_create_request(api(), spec()).config["HostConfig"]
    assert not set(RESOURCE_KEYS) & set(host)


def test_mounts_use_binds_only_where_the_engine_must_create_the_path() -> None:
    mounts = (
        Mount("bind", "/a", source="/host/a", read_only=True, propagation="rshared"),
        Mount("bind", "/b", source="/host/b", create_host_path=False),
        Mount("volume", "/c", source="data", nocopy=True),
        Mount("volume", "/d"),
        Mount("tmpfs", "/e", tmpfs_size=1024, tmpfs_mode=0o1777),
    )
    host = build_create_request(api(), spec(mounts=mounts)).config["HostConfig"]
    assert host["Binds"] == ["/host/a:/a:ro,rshared"]
    assert host["Mounts"] == [
        {"Type": "bind", "Target": "/b", "ReadOnly": False, "Source": "/host/b"},
        {
            "Type": "volume",
            "Target": "/c",
            "ReadOnly": False,
            "Source": "data",
            "VolumeOptions": {"NoCopy": True},
        },
        {"Type": "volume", "Target": "/d", "ReadOnly": False},
        {
            "Type": "tmpfs",
            "Target": "/e",
            "ReadOnly": False,
            "TmpfsOptions": {"SizeBytes": 1024, "Mode": 0o1777},
        },
    ]


@pytest.mark.parametrize(
    ("fields", "feature"),
    [
        ({"healthcheck": HealthSpec(("CMD", "true"), start_interval=1.0)}, "start_interval"),
        ({"mounts": (Mount("volume", "/x", source="v", subpath="sub"),)}, "subpath"),
        ({"annotations": {"a": "b"}}, "annotations"),
    ],
)
def test_newer_api_features_are_refused_not_dropped(fields: dict[str, Any], feature: str) -> None:
    with pytest.raises(EngineError, match=f"{feature} needs Docker Engine API 1.4[345]"):
        build_create_request(api("1.41"), spec(**fields))


def test_newer_api_features_are_sent_when_the_engine_speaks_them() -> None:
    request = build_create_request(
        api("1.45"),
        spec(
            healthcheck=HealthSpec(("CMD", "true"), interval=2, start_interval=0.5),
            mounts=(Mount("volume", "/x", source="v", subpath="sub"),),
            annotations={"a": "b"},
        ),
    )
    assert request.config["Healthcheck"] == {
        "Test": ["CMD", "true"],
        "Interval": 2_000_000_000,
        "StartInterval": 500_000_000,
    }
    assert request.config["HostConfig"]["Mounts"][0]["VolumeOptions"] == {"Subpath": "sub"}
    assert request.config["HostConfig"]["Annotations"] == {"a": "b"}


def test_first_network_at_create_the_rest_connected_later_by_priority() -> None:
    nets = (
        NetworkAttachment("p_low", aliases=("l",)),
        NetworkAttachment("p_high", aliases=("h",), ipv4_address="10.0.0.9", priority=5),
        NetworkAttachment("p_mid", priority=1, mac_address="02:00:00:00:00:01"),
    )
    request = build_create_request(api("1.41"), spec(networks=nets))
    assert request.config["HostConfig"]["NetworkMode"] == "p_high"
    assert request.config["NetworkingConfig"] == {
        "EndpointsConfig": {"p_high": {"Aliases": ["h"], "IPAMConfig": {"IPv4Address": "10.0.0.9"}}}
    }
    assert [a.network for a in request.later_networks] == ["p_mid", "p_low"]


def test_mac_address_goes_where_the_api_version_wants_it() -> None:
    nets = (NetworkAttachment("p_net", mac_address="02:00:00:00:00:07"),)
    old = build_create_request(api("1.41"), spec(networks=nets)).config
    assert old["MacAddress"] == "02:00:00:00:00:07"
    new = build_create_request(api("1.44"), spec(networks=nets)).config
    assert new["MacAddress"] is None
    assert new["NetworkingConfig"]["EndpointsConfig"]["p_net"]["MacAddress"] == "02:00:00:00:00:07"


def test_special_network_modes_take_no_endpoint() -> None:
    for mode in ("none", "host", "container:abc"):
        config = build_create_request(api(), spec(network_mode=mode)).config
        assert config["HostConfig"]["NetworkMode"] == mode
        assert config["NetworkingConfig"] is None


def test_command_entrypoint_and_environment() -> None:
    default = build_create_request(api(), spec()).config
    assert (default["Cmd"], default["Entrypoint"]) == (None, None)
    reset = build_create_request(
        api(), spec(command=("a", "b c"), entrypoint=(), environment={"A": "1", "B": ""})
    ).config
    assert (reset["Cmd"], reset["Entrypoint"]) == (["a", "b c"], [""])
    assert reset["Env"] == ["A=1", "B="]


@pytest.mark.parametrize(
    ("text", "policy"),
    [
        ("no", {"Name": "no"}),
        ("always", {"Name": "always"}),
        ("unless-stopped", {"Name": "unless-stopped"}),
        ("on-failure", {"Name": "on-failure"}),
        ("on-failure:3", {"Name": "on-failure", "MaximumRetryCount": 3}),
        (None, None),
    ],
)
def test_restart_policy(text: str | None, policy: dict[str, Any] | None) -> None:
    assert restart_policy(text) == policy


def test_restart_policy_with_a_bad_count() -> None:
    with pytest.raises(EngineError, match="retry count"):
        restart_policy("on-failure:x")


# ---------------------------------------------------------------- observations


@pytest.mark.parametrize(
    ("text", "health"),
    [
        ("Up 3 seconds (healthy)", HealthStatus.HEALTHY),
        ("Up 2 minutes (unhealthy)", HealthStatus.UNHEALTHY),
        ("Up Less than a second (health: starting)", HealthStatus.STARTING),
        ("Up 3 seconds", None),
        ("Exited (0) 2 seconds ago", None),
        ("Created", None),
        ("", None),
    ],
)
def test_health_from_the_list_status_text(text: str, health: HealthStatus | None) -> None:
    assert health_from_status_text(text) is health


def test_container_state_from_inspect() -> None:
    state = container_state(
        {
            "Id": "abc",
            "Name": "/p-web-1",
            "RestartCount": 2,
            "State": {
                "Status": "running",
                "ExitCode": 0,
                "StartedAt": "2024-01-01T00:00:01.5Z",
                "FinishedAt": "0001-01-01T00:00:00Z",
                "OOMKilled": False,
                "Health": {
                    "Status": "unhealthy",
                    "Log": [
                        {"End": "2024-01-01T00:00:02Z", "Output": "first"},
                        {"End": "2024-01-01T00:00:03Z", "Output": "second"},
                    ],
                },
            },
        }
    )
    assert (state.name, state.status, state.health) == (
        "p-web-1",
        ContainerStatus.RUNNING,
        HealthStatus.UNHEALTHY,
    )
    assert (state.started_at, state.finished_at, state.restart_count) == (
        "2024-01-01T00:00:01.5Z",
        "",
        2,
    )
    assert state.health_log == ("first", "second")
    assert state.health_log_end == "2024-01-01T00:00:03Z"


def test_line_splitter_joins_chunks_per_stream() -> None:
    split = LineSplitter()
    assert split.feed("stdout", b"he") == []
    assert split.feed("stderr", b"oops\r\nhalf") == ["oops"]
    assert split.feed("stdout", b"llo\nwor") == ["hello"]
    assert split.feed("stdout", "ld \u00e9\n".encode()) == ["world \u00e9"]
    assert split.flush() == [("stderr", "half")]
    assert split.flush() == []


def test_the_limiter_is_created_outside_an_event_loop() -> None:
    # from_env is called before anyio.run by the CLI: the adapter must not need a loop yet.
    engine = DockerEngine(docker.DockerClient(base_url=NOWHERE, version="1.41"))

    async def use() -> None:
        with pytest.raises(EngineUnavailableError):
            await engine.ping()

    anyio.run(use)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Exited (137) 2 seconds ago", 137),
        ("Exited (0) About a minute ago", 0),
        ("Up 3 seconds (healthy)", 0),
        ("Created", 0),
        ("", 0),
    ],
)
def test_exit_code_from_the_list_status_text(text: str, code: int) -> None:
    assert exit_code_from_status_text(text) == code


def test_a_list_row_gives_what_ps_shows() -> None:
    row = {
        "Id": "abc",
        "Names": ["/p-web-1"],
        "Image": "img:1",
        "Command": "sleep 300",
        "State": "exited",
        "Status": "Exited (2) 5 seconds ago",
        "Ports": [
            {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
            {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
            {"PrivatePort": 9000, "Type": "tcp"},
        ],
    }
    seen = observed_container(row)
    assert (seen.image, seen.command, seen.exit_code) == ("img:1", "sleep 300", 2)
    assert seen.status_text == "Exited (2) 5 seconds ago"
    assert seen.ports == ("0.0.0.0:8080->80/tcp", ":::8080->80/tcp")
