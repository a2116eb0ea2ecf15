"""DockerEngine on the real engine: lifecycle, observe, events, health, logs, exec, networks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import anyio
import docker
import pytest

from orchestra import labels
from orchestra.engine.base import (
    ContainerSpec,
    ContainerStatus,
    EngineEvent,
    HealthSpec,
    HealthStatus,
    NetworkAttachment,
    NetworkSpec,
    PortBinding,
    VolumeSpec,
)
from orchestra.engine.docker import DockerEngine
from orchestra.engine.docker_transport import open_transport
from orchestra.errors import ConflictError

pytestmark = [pytest.mark.engine, pytest.mark.anyio]

SpecFactory = Callable[..., ContainerSpec]


def net_labels(project: str, key: str = "default") -> dict[str, str]:
    return {labels.PROJECT: project, labels.NETWORK: key}


async def test_lifecycle_start_stop_restart_rename_remove(
    engine: DockerEngine, make_spec: SpecFactory, docker_client: Any
) -> None:
    # sleep as PID 1 ignores SIGTERM: only the kill after the stop timeout stops it.
    spec = make_spec("app", init=False, stop_timeout=2)
    cid = await engine.create_container(spec)
    assert (await engine.inspect_container(cid)).status is ContainerStatus.CREATED

    await engine.start_container(cid)
    state = await engine.inspect_container(cid)
    assert state.status is ContainerStatus.RUNNING
    assert state.name == spec.name
    assert state.started_at and not state.finished_at
    first_start = state.started_at

    started = time.monotonic()
    await engine.stop_container(cid, timeout=1)
    # Anything under the engine's default 10 s proves our timeout was used; a loaded engine
    # takes a few seconds beyond it.
    assert 0.9 < time.monotonic() - started < 9.5, "the engine waited our timeout, not its 10 s"
    stopped = await engine.inspect_container(cid)
    assert stopped.status is ContainerStatus.EXITED
    assert stopped.finished_at

    await engine.start_container(cid)
    started = time.monotonic()
    await engine.restart_container(cid)  # no timeout: the container's own stop_timeout
    assert 1.9 < time.monotonic() - started < 9.5  # the container's 2 s, not the default 10 s
    restarted = await engine.inspect_container(cid)
    assert restarted.status is ContainerStatus.RUNNING
    assert restarted.started_at > first_start

    await engine.rename_container(cid, f"{spec.name}-old")
    assert docker_client.containers.get(cid).name == f"{spec.name}-old"

    await engine.remove_container(cid, force=True)
    assert not docker_client.containers.list(all=True, filters={"id": cid})


def rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_observe_returns_exactly_the_project(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str, decoy_project: str
) -> None:
    decoy = decoy_project
    net = await engine.create_network(
        NetworkSpec(f"{project_name}_default", net_labels(project_name))
    )
    await engine.create_network(NetworkSpec(f"{decoy}_default", net_labels(decoy)))
    await engine.create_volume(VolumeSpec(f"{project_name}_data", {labels.PROJECT: project_name}))
    await engine.create_volume(VolumeSpec(f"{decoy}_data", {labels.PROJECT: decoy}))
    web = await engine.create_container(make_spec("web"))
    db = await engine.create_container(make_spec("db"))
    await engine.start_container(db)
    await engine.create_container(make_spec("web", project=decoy))

    observed = await engine.observe(project_name)

    assert [c.id for c in observed.containers] == [db, web]  # sorted by name
    by_service = {c.service: c for c in observed.containers}
    assert by_service["db"].status is ContainerStatus.RUNNING
    assert by_service["web"].status is ContainerStatus.CREATED
    assert by_service["web"].number == 1
    assert by_service["web"].health is None
    assert by_service["web"].image_id.startswith("sha256:")
    assert [n.id for n in observed.networks] == [net]
    assert [v.name for v in observed.volumes] == [f"{project_name}_data"]


async def test_observe_makes_three_list_calls_and_no_inspect(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str
) -> None:
    for n in range(3):
        await engine.create_container(make_spec("web", number=n + 1))
    calls: list[str] = []
    # Every short call goes through the transport: record what observe sends.
    engine.transport.observers.append(lambda method, path: calls.append(f"{method} {path}"))
    observed = await engine.observe(project_name)

    assert len(observed.containers) == 3
    version = engine.api_version
    assert sorted(calls) == [
        f"GET /v{version}/containers/json",
        f"GET /v{version}/networks",
        f"GET /v{version}/volumes",
    ]


async def test_list_projects_groups_by_project_label(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str
) -> None:
    await engine.create_container(make_spec("a"))
    await engine.create_container(make_spec("b"))
    projects = await engine.list_projects()
    assert sorted(c.service or "" for c in projects[project_name]) == ["a", "b"]


async def test_healthcheck_goes_healthy_and_the_event_stream_says_so(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str
) -> None:
    health = HealthSpec(
        ("CMD-SHELL", "echo probe-ok; test -f /tmp/ready"), interval=0.3, retries=50
    )
    spec = make_spec(
        "web", healthcheck=health, command=("sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 300")
    )
    cid = await engine.create_container(spec)
    seen: list[EngineEvent] = []
    async with engine.events(project_name) as events:
        await engine.start_container(cid)
        assert (await engine.observe(project_name)).containers[0].health is HealthStatus.STARTING
        with anyio.fail_after(20):
            async for event in events:
                seen.append(event)
                if event.action == "health_status: healthy":
                    break
    assert [e.action for e in seen][:1] == ["start"]
    assert all(e.id == cid and e.type == "container" for e in seen)
    assert seen[-1].attributes[labels.PROJECT] == project_name
    assert seen[-1].time_nano > 0

    state = await engine.inspect_container(cid)
    assert state.health is HealthStatus.HEALTHY
    assert state.health_log[-1].strip() == "probe-ok"
    assert rfc3339(state.health_log_end) > rfc3339(state.started_at)
    assert (await engine.observe(project_name)).containers[0].health is HealthStatus.HEALTHY


async def test_event_stream_filters_by_project(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str, decoy_project: str
) -> None:
    async with engine.events(project_name) as events:
        await engine.create_container(make_spec("noise", project=decoy_project))
        await engine.create_container(make_spec("web"))
        with anyio.fail_after(10):
            first = await events.__anext__()
    assert first.action == "create"
    assert first.attributes["name"] == f"{project_name}-web-1"


async def test_event_stream_cancel_does_not_hang(engine: DockerEngine) -> None:
    started = time.monotonic()
    with anyio.move_on_after(0.5):
        async with engine.events() as events:
            async for _ in events:
                pass
    assert time.monotonic() - started < 3
    readers = [t for t in threading.enumerate() if t.name == "orchestra-engine-events"]
    assert readers == [], "the reader thread was woken and joined"
    await engine.ping()


async def test_an_error_in_the_events_block_comes_out_as_itself(engine: DockerEngine) -> None:
    with pytest.raises(LookupError, match="mine"):
        async with engine.events():
            raise LookupError("mine")


async def test_logs_keep_stdout_and_stderr_apart(
    engine: DockerEngine, make_spec: SpecFactory
) -> None:
    script = "echo one; echo two >&2; printf 'thr'; sleep 0.1; echo ee; exec sleep 300"
    cid = await engine.create_container(make_spec("talk", command=("sh", "-c", script)))
    await engine.start_container(cid)
    await anyio.sleep(0.5)

    lines = [line async for line in engine.logs(cid)]
    assert sorted((line.stream, line.text) for line in lines) == [
        ("stderr", "two"),
        ("stdout", "one"),
        ("stdout", "three"),
    ]
    assert {line.container for line in lines} == {make_spec("talk").name}
    tail = [line.text async for line in engine.logs(cid, tail=1)]
    assert len(tail) == 1


async def test_followed_logs_stream_new_lines_and_cancel_cleanly(
    engine: DockerEngine, make_spec: SpecFactory
) -> None:
    script = "i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.2; done"
    cid = await engine.create_container(make_spec("ticker", command=("sh", "-c", script)))
    await engine.start_container(cid)
    got: list[str] = []
    started = time.monotonic()
    with anyio.move_on_after(1.5):
        async for line in engine.logs(cid, follow=True):
            got.append(line.text)
    assert time.monotonic() - started < 3
    assert len(got) >= 4 and got[:2] == ["tick1", "tick2"]


async def test_tty_logs_are_read_raw(engine: DockerEngine, make_spec: SpecFactory) -> None:
    cid = await engine.create_container(
        make_spec("tty", tty=True, command=("sh", "-c", "echo hello-tty; exec sleep 300"))
    )
    await engine.start_container(cid)
    await anyio.sleep(0.5)
    lines = [line async for line in engine.logs(cid)]
    assert [(line.stream, line.text) for line in lines] == [("stdout", "hello-tty")]


async def test_exec_returns_exit_code_and_both_streams(
    engine: DockerEngine, make_spec: SpecFactory
) -> None:
    cid = await engine.create_container(make_spec("box"))
    await engine.start_container(cid)
    result = await engine.exec(
        cid,
        ("sh", "-c", 'echo "$GREETING from $(pwd) as $(id -u)"; echo oops >&2; exit 7'),
        user="65534",
        workdir="/tmp",
        environment={"GREETING": "hi"},
    )
    assert result.exit_code == 7
    assert result.stdout == "hi from /tmp as 65534\n"
    assert result.stderr == "oops\n"


async def test_network_duplicate_guard(
    engine: DockerEngine, project_name: str, docker_client: Any
) -> None:
    name = f"{project_name}_default"
    # A network whose name contains ours: the engine's name filter would match it too.
    longer = await engine.create_network(NetworkSpec(f"{name}x", net_labels(project_name, "x")))
    first = await engine.create_network(NetworkSpec(name, net_labels(project_name)))
    again = await engine.create_network(NetworkSpec(name, net_labels(project_name)))

    assert first == again != longer
    same_name = [n for n in docker_client.networks.list(names=[name]) if n.name == name]
    assert len(same_name) == 1


async def test_networks_and_volumes_are_created_with_their_settings(
    engine: DockerEngine, project_name: str, docker_client: Any
) -> None:
    spec = NetworkSpec(
        f"{project_name}_back",
        net_labels(project_name, "back"),
        internal=True,
        attachable=True,
        ipam_pools=({"subnet": "10.231.7.0/24", "gateway": "10.231.7.1"},),
        driver_opts={"com.docker.network.bridge.enable_icc": "true"},
    )
    attrs = docker_client.networks.get(await engine.create_network(spec)).attrs
    assert attrs["Internal"] and attrs["Attachable"]
    assert attrs["IPAM"]["Config"] == [{"Subnet": "10.231.7.0/24", "Gateway": "10.231.7.1"}]
    assert attrs["Labels"] == dict(spec.labels)

    vol = VolumeSpec(f"{project_name}_data", {labels.PROJECT: project_name, labels.VOLUME: "data"})
    assert await engine.create_volume(vol) == vol.name
    assert docker_client.volumes.get(vol.name).attrs["Labels"] == dict(vol.labels)
    await engine.remove_volume(vol.name)
    assert not docker_client.volumes.list(filters={"name": vol.name})


def _engine_on(kind: str, patience: float) -> DockerEngine:
    if kind == "sdk":
        return DockerEngine(docker.DockerClient.from_env(), network_remove_patience=patience)
    transport, host = open_transport(8, 120)
    return DockerEngine(transport, host=host, network_remove_patience=patience)


@pytest.mark.parametrize("kind", ["raw", "sdk"])
async def test_remove_network_gives_up_on_active_endpoints_with_a_conflict(
    docker_client: Any, make_spec: SpecFactory, project_name: str, kind: str
) -> None:
    engine = _engine_on(kind, 0.6)
    try:
        name = f"{project_name}_busy"
        net = await engine.create_network(NetworkSpec(name, net_labels(project_name, "busy")))
        cid = await engine.create_container(make_spec("web", networks=(NetworkAttachment(name),)))
        await engine.start_container(cid)
        started = time.monotonic()
        with pytest.raises(ConflictError, match=name) as caught:
            await engine.remove_network(net)
        assert 0.5 < time.monotonic() - started < 5, "retried for the patience, then gave up"
        assert "active endpoints" in str(caught.value)
        assert f"network {name} (" in str(caught.value), "the message names the network"
        # The next up finds the network left in place and reuses it: never a second one.
        again = await engine.create_network(NetworkSpec(name, net_labels(project_name, "busy")))
        assert again == net
        assert [n.id for n in docker_client.networks.list(names=[name]) if n.name == name] == [net]

        await engine.remove_container(cid, force=True)
        await engine.remove_network(net)
        assert not docker_client.networks.list(ids=[net])
    finally:
        await engine.close()


async def test_concurrent_calls_stay_within_the_connection_pool(
    docker_client: Any, make_spec: SpecFactory, project_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = DockerEngine.from_env(max_concurrency=4)
    caplog.set_level(logging.WARNING, logger="urllib3")
    try:
        async with anyio.create_task_group() as tg:
            for n in range(12):
                tg.start_soon(engine.create_container, make_spec("many", number=n + 1))
        observed = await engine.observe(project_name)
    finally:
        await engine.close()
    assert len(observed.containers) == 12
    assert "Connection pool is full" not in caplog.text


async def test_the_list_call_carries_what_ps_shows(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str
) -> None:
    # What `ps` needs comes from the list call; it must agree with a full inspect.
    port = PortBinding(80, host_ip="127.0.0.1", host_port="")
    web = await engine.create_container(make_spec("web", ports=(port,)))
    job = await engine.create_container(make_spec("job", command=("sh", "-c", "exit 3")))
    for cid in (web, job):
        await engine.start_container(cid)
    with anyio.fail_after(30):
        while (await engine.inspect_container(job)).status is not ContainerStatus.EXITED:
            await anyio.sleep(0.2)

    listed = {c.service: c for c in (await engine.observe(project_name)).containers}
    for service, cid in (("web", web), ("job", job)):
        state = await engine.inspect_container(cid)
        row = listed[service]
        assert (row.status, row.exit_code, row.ports) == (
            state.status,
            state.exit_code,
            state.ports,
        )
    assert listed["job"].exit_code == 3 and listed["job"].status_text.startswith("Exited (3)")
    assert listed["web"].ports[0].startswith("127.0.0.1:") and listed["web"].ports[0].endswith(
        "->80/tcp"
    )
    assert listed["web"].status_text.startswith("Up")
    assert listed["web"].image == "orchestra-test/busybox:1"
    assert listed["web"].command == "sleep 300"
