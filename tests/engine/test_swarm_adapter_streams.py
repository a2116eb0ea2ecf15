"""DockerSwarmEngine's streams and connections: events, service logs, ``tcp://``, non-managers.

On the private single-node swarm, except the non-manager case, which uses the machine's own
engine (never a swarm manager: the tests must not make it one).
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, suppress
from typing import Any

import anyio
import pytest
from swarm_adapter_support import docker_host, service_spec, wait_for, wait_running
from swarm_daemon import SwarmDaemon

from orchestra import labels
from orchestra.engine.base import EngineEvent, LogLine
from orchestra.engine.docker_swarm import DockerSwarmEngine
from orchestra.errors import SwarmNotManagerError

pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture
async def swarm_engine(swarm: SwarmDaemon) -> AsyncIterator[DockerSwarmEngine]:
    with docker_host(swarm.host):
        engine = DockerSwarmEngine.from_env(max_concurrency=8)
    yield engine
    await engine.close()


async def test_events_show_the_projects_service_updates_and_task_containers(
    swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    web_id = await swarm_engine.create_service(service_spec(swarm_project, "web"))
    decoy = f"{swarm_project}x"  # a project whose name only extends ours
    decoy_id = await swarm_engine.create_service(service_spec(decoy, "web"))
    try:
        await _watch_a_scale(swarm_engine, swarm_project, web_id, decoy_id)
    finally:
        await swarm_engine.remove_service(decoy_id)


async def _watch_a_scale(
    swarm_engine: DockerSwarmEngine, swarm_project: str, web_id: str, decoy_id: str
) -> None:
    await wait_running(swarm_engine, swarm_project, web_id, 1)
    seen: list[EngineEvent] = []

    async with swarm_engine.events(swarm_project) as events:

        async def collect() -> None:
            async for event in events:
                seen.append(event)

        async with anyio.create_task_group() as group:
            group.start_soon(collect)
            # The stream is open once events() returned; give the engine a moment to attach.
            await anyio.sleep(0.5)
            await swarm_engine.scale_service(decoy_id, 0)
            await swarm_engine.scale_service(web_id, 2)

            async def scaled() -> bool | None:
                actions = {(e.type, e.id, e.action) for e in seen}
                started = any(
                    e.type == "container"
                    and e.action == "start"
                    and e.attributes.get("com.docker.swarm.service.id") == web_id
                    for e in seen
                )
                return True if ("service", web_id, "update") in actions and started else None

            await wait_for(scaled, "the service update and its new task's start", timeout=60)
            group.cancel_scope.cancel()

    assert all(e.id != decoy_id for e in seen)
    containers = [e for e in seen if e.type == "container"]
    assert containers and all(e.attributes[labels.PROJECT] == swarm_project for e in containers)
    assert not any(e.action.startswith("exec_") for e in seen)  # healthcheck noise filtered


async def test_service_logs_name_each_line_by_task_and_stream(
    swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    script = "echo out-$X; echo err-$X >&2; sleep 300"
    a = service_spec(
        swarm_project, "a", replicas=2, args=("sh", "-c", script), environment=("X=a",)
    )
    b = service_spec(swarm_project, "b", args=("sh", "-c", script), environment=("X=b",))
    a_id = await swarm_engine.create_service(a)
    b_id = await swarm_engine.create_service(b)
    await wait_running(swarm_engine, swarm_project, a_id, 2)
    await wait_running(swarm_engine, swarm_project, b_id, 1)

    async def all_lines() -> set[tuple[str, str, str]] | None:
        lines = {
            (line.container, line.stream, line.text)
            async for line in swarm_engine.service_logs([a_id, b_id])
        }
        return lines if len(lines) == 6 else None

    assert await wait_for(all_lines, "six log lines") == {
        (f"{a.name}.1", "stdout", "out-a"),
        (f"{a.name}.1", "stderr", "err-a"),
        (f"{a.name}.2", "stdout", "out-a"),
        (f"{a.name}.2", "stderr", "err-a"),
        (f"{b.name}.1", "stdout", "out-b"),
        (f"{b.name}.1", "stderr", "err-b"),
    }
    tail = [line async for line in swarm_engine.service_logs([b_id], tail=1)]
    assert len(tail) == 1 and tail[0].container == f"{b.name}.1"


async def test_followed_service_logs_see_new_tasks_and_close_promptly(
    swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    spec = service_spec(swarm_project, "tick", args=("sh", "-c", "echo up-$X; sleep 300"))
    spec_id = await swarm_engine.create_service(spec)
    await wait_running(swarm_engine, swarm_project, spec_id, 1)
    got: list[LogLine] = []
    with anyio.fail_after(60):
        async with aclosing(swarm_engine.service_logs([spec_id], follow=True)) as lines:
            async for line in lines:
                got.append(line)
                if len(got) == 1:
                    # A second task, started after the stream opened, gets its own name.
                    await swarm_engine.scale_service(spec_id, 2)
                if {g.container for g in got} == {f"{spec.name}.1", f"{spec.name}.2"}:
                    break
    with anyio.fail_after(10):  # the follow ended with the loop: nothing left blocked
        await swarm_engine.ping()


class _Forward(socketserver.BaseRequestHandler):
    """One TCP connection relayed to the daemon's unix socket, both ways."""

    server: _Relay

    def handle(self) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(self.server.socket_path)

        def pipe(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for end in (src, dst):
                    with suppress(OSError):
                        end.shutdown(socket.SHUT_RDWR)

        back = threading.Thread(target=pipe, args=(upstream, self.request), daemon=True)
        back.start()
        pipe(self.request, upstream)
        back.join(timeout=5)
        upstream.close()


class _Relay(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, socket_path: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.socket_path = socket_path


@pytest.fixture
def tcp_host(swarm: SwarmDaemon) -> Iterator[str]:
    """``tcp://127.0.0.1:PORT`` relayed to the private swarm (as a cluster exposes :2375)."""
    relay = _Relay(str(swarm.socket))
    thread = threading.Thread(target=relay.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{relay.server_address[1]}"
    relay.shutdown()
    relay.server_close()


async def test_a_tcp_docker_host_reaches_the_manager(tcp_host: str, swarm_project: str) -> None:
    with docker_host(tcp_host):
        engine = DockerSwarmEngine.from_env(max_concurrency=4)
    try:
        await engine.require_manager()
        spec = service_spec(swarm_project, "tcp", args=("sh", "-c", "echo via-tcp; sleep 300"))
        service_id = await engine.create_service(spec)
        await wait_running(engine, swarm_project, service_id, 1)

        async def logged() -> list[str] | None:
            texts = [line.text async for line in engine.service_logs([service_id])]
            return texts or None

        assert await wait_for(logged, "the task's output over tcp") == ["via-tcp"]
    finally:
        await engine.close()


async def test_the_machines_engine_is_no_manager_and_says_how_to_fix_it(
    docker_client: Any,
) -> None:
    engine = DockerSwarmEngine.from_env(max_concurrency=2)  # the machine's DOCKER_HOST
    try:
        with pytest.raises(SwarmNotManagerError) as raised:
            await engine.require_manager()
        assert raised.value.exit_code == 2
        assert "docker swarm init" in str(raised.value)
        assert "DOCKER_HOST" in str(raised.value)
        # Any swarm call there is refused the same way (the engine's 503), not as a crash.
        with pytest.raises(SwarmNotManagerError, match="docker swarm init"):
            await engine.observe_swarm("anything")
    finally:
        await engine.close()
