"""``orchestra up`` on the real engine: names, labels, networks, volumes, cgroup limits, DNS, ports.

Every assertion reads the engine through the docker SDK (or from inside the containers), never
through orchestra.
"""

from __future__ import annotations

import contextlib
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, SLEEPER, Stack, exec_in, free_port, random_subnet, sweep

pytestmark = pytest.mark.engine


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


@pytest.fixture
def externals(docker_client: Any, project_name: str) -> Iterator[tuple[str, str]]:
    """An unlabelled network and volume that the stack declares ``external``."""
    network = docker_client.networks.create(f"{project_name}-extnet")
    volume = docker_client.volumes.create(f"{project_name}-extvol")
    yield network.name, volume.name
    sweep(docker_client, project_name)  # containers hold the network: remove them first
    with contextlib.suppress(Exception):
        network.remove()
    with contextlib.suppress(Exception):
        volume.remove(force=True)


def identity_stack(stack: Stack, extnet: str, extvol: str, subnet: str, address: str) -> None:
    p = stack.project
    stack.write(f"""
        services:
          web:
            {SLEEPER}
            networks: [default, back, outside]
            volumes: [data:/data, ext:/ext, custom:/custom, /anon]
          pinned:
            {SLEEPER}
            container_name: {p}-custom
            networks:
              back:
                ipv4_address: {address}
              renamed: {{}}
        networks:
          back:
            internal: true
            driver_opts:
              com.docker.network.driver.mtu: "1400"
            ipam:
              config:
                - subnet: {subnet}
          renamed:
            name: {p}-custom-net
          outside:
            external: true
            name: {extnet}
        volumes:
          data: {{}}
          custom:
            name: {p}-customvol
          ext:
            external: true
            name: {extvol}
    """)


def test_names_labels_networks_and_volumes(
    stack: Stack, docker_client: Any, externals: tuple[str, str]
) -> None:
    p = stack.project
    subnet, address = random_subnet()
    identity_stack(stack, *externals, subnet, address)
    stack.up()

    containers = stack.containers()
    assert set(containers) == {f"{p}-web-1", f"{p}-custom"}
    image_id = docker_client.images.get(IMAGE).id
    for name, service in ((f"{p}-web-1", "web"), (f"{p}-custom", "pinned")):
        found = containers[name]["Labels"]
        assert found["com.docker.compose.project"] == p
        assert found["com.docker.compose.service"] == service
        assert found["com.docker.compose.container-number"] == "1"
        assert found["com.docker.compose.oneoff"] == "False"
        assert re.fullmatch(r"[0-9a-f]{64}", found["io.orchestra.config-hash"]), found
        assert found["io.orchestra.image-id"] == image_id
        assert found["io.orchestra.version"]

    nets = {n.name: n.attrs for n in docker_client.networks.list(names=[p])}
    assert {f"{p}_default", f"{p}_back", f"{p}-custom-net"} <= set(nets)
    assert f"{p}_renamed" not in nets and f"{p}_outside" not in nets
    assert nets[f"{p}_default"]["Labels"]["com.docker.compose.project"] == p
    back = docker_client.networks.get(f"{p}_back").attrs
    assert back["Internal"] is True
    assert back["Options"]["com.docker.network.driver.mtu"] == "1400"
    assert back["IPAM"]["Config"][0]["Subnet"] == subnet

    pinned = stack.inspect(f"{p}-custom")["NetworkSettings"]["Networks"]
    assert pinned[f"{p}_back"]["IPAddress"] == address
    assert set(pinned) == {f"{p}_back", f"{p}-custom-net"}
    web_nets = stack.inspect(f"{p}-web-1")["NetworkSettings"]["Networks"]
    assert set(web_nets) == {f"{p}_default", f"{p}_back", externals[0]}

    mounts = {m["Destination"]: m for m in stack.inspect(f"{p}-web-1")["Mounts"]}
    assert mounts["/data"]["Name"] == f"{p}_data"
    assert mounts["/custom"]["Name"] == f"{p}-customvol"
    assert mounts["/ext"]["Name"] == externals[1]
    assert mounts["/anon"]["Type"] == "volume" and len(mounts["/anon"]["Name"]) == 64
    data = docker_client.volumes.get(f"{p}_data").attrs["Labels"]
    assert data["com.docker.compose.project"] == p
    assert data["com.docker.compose.volume"] == "data"

    stack.ok("down", "-v")
    left = {n.name for n in docker_client.networks.list(names=[p])}
    assert left == {externals[0]}, "down removes the project's networks, never external ones"
    assert docker_client.volumes.list(filters={"name": externals[1]})
    assert not docker_client.volumes.list(filters={"name": f"{p}-customvol"})


def test_cgroup_limits_inside_the_containers(stack: Stack) -> None:
    stack.write(f"""
        services:
          limited:
            {SLEEPER}
            mem_limit: 64m
            cpu_shares: 512
            pids_limit: 100
            cpus: 0.5
          deployed:
            {SLEEPER}
            deploy:
              resources:
                limits: {{memory: 48m, cpus: "0.25", pids: 50}}
    """)
    stack.up()

    def cgroup(service: str, path: str) -> str:
        code, out = exec_in(stack.client, stack.name(service), "cat", f"/sys/fs/cgroup/{path}")
        assert code == 0, out
        return out.strip()

    assert cgroup("limited", "memory/memory.limit_in_bytes") == str(64 * 1024 * 1024)
    assert cgroup("limited", "cpu/cpu.shares") == "512"
    assert cgroup("limited", "pids/pids.max") == "100"
    assert cgroup("limited", "cpu/cpu.cfs_quota_us") == "50000"
    assert cgroup("limited", "cpu/cpu.cfs_period_us") == "100000"
    assert cgroup("deployed", "memory/memory.limit_in_bytes") == str(48 * 1024 * 1024)
    assert cgroup("deployed", "cpu/cpu.cfs_quota_us") == "25000"
    assert cgroup("deployed", "pids/pids.max") == "50"


def test_dns_by_service_name_and_alias(stack: Stack) -> None:
    stack.write(f"""
        services:
          server:
            image: {IMAGE}
            command: sh -c 'echo pong > /tmp/i; exec httpd -f -p 80 -h /tmp'
            stop_signal: SIGKILL
            networks:
              default:
                aliases: [api-alias]
          client:
            {SLEEPER}
    """)
    stack.up()
    client = stack.name("client")
    for host in ("server", "api-alias"):
        code, out = exec_in(stack.client, client, "wget", "-qO-", f"http://{host}/i")
        assert (code, out.strip()) == (0, "pong"), f"{host}: {out}"
    code, out = exec_in(stack.client, client, "ping", "-c1", "-W2", "server")
    assert code == 0, out
    server_ip = stack.inspect(stack.name("server"))["NetworkSettings"]["Networks"]
    assert server_ip[f"{stack.project}_default"]["IPAddress"] in out


def port_stack(stack: Stack, port: int) -> None:
    stack.write(f"""
        services:
          web:
            image: {IMAGE}
            command: sh -c 'echo hi > /tmp/i; exec httpd -f -p 80 -h /tmp'
            stop_signal: SIGKILL
            ports: ["127.0.0.1:{port}:80"]
    """)


def test_published_port_answers_from_the_host(stack: Stack) -> None:
    port = free_port()
    port_stack(stack, port)
    result = stack.run("up", "--progress", "plain")
    if result.rc != 0 and "allocated" in result.err:  # someone took it meanwhile: once more
        stack.run("down")
        port = free_port()
        port_stack(stack, port)
        result = stack.run("up", "--progress", "plain")
    assert result.rc == 0, str(result)
    body = ""
    for _ in range(25):  # httpd binds a moment after the container starts
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/i", timeout=2) as answer:
                body = answer.read().decode()
            break
        time.sleep(0.2)
    assert body.strip() == "hi"
