"""Every ContainerSpec field reaches the engine: checked by its effect inside the container."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from orchestra import labels
from orchestra.engine.base import (
    ContainerSpec,
    HealthSpec,
    LogConfig,
    Mount,
    NetworkAttachment,
    NetworkSpec,
    PortBinding,
    Resources,
    Ulimit,
    VolumeSpec,
)
from orchestra.engine.docker import DockerEngine

pytestmark = [pytest.mark.engine, pytest.mark.anyio]

SpecFactory = Callable[..., ContainerSpec]
MiB = 1024 * 1024


async def run_spec(engine: DockerEngine, spec: ContainerSpec) -> str:
    cid = await engine.create_container(spec)
    await engine.start_container(cid)
    return cid


async def sh(engine: DockerEngine, cid: str, script: str) -> str:
    result = await engine.exec(cid, ("sh", "-c", script))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def read_values(output: str) -> dict[str, str]:
    """Parse ``key=value`` lines printed by a probe script."""
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


async def network(engine: DockerEngine, project: str, key: str, **fields: Any) -> str:
    name = f"{project}_{key}"
    await engine.create_network(
        NetworkSpec(name, {labels.PROJECT: project, labels.NETWORK: key}, **fields)
    )
    return name


CGROUP_PROBE = """
cg=/sys/fs/cgroup
echo mem=$(cat $cg/memory/memory.limit_in_bytes)
echo soft=$(cat $cg/memory/memory.soft_limit_in_bytes)
echo memsw=$(cat $cg/memory/memory.memsw.limit_in_bytes)
echo swappiness=$(cat $cg/memory/memory.swappiness)
echo shares=$(cat $cg/cpu/cpu.shares)
echo quota=$(cat $cg/cpu/cpu.cfs_quota_us)
echo period=$(cat $cg/cpu/cpu.cfs_period_us)
echo pids=$(cat $cg/pids/pids.max)
echo cpuset=$(cat $cg/cpuset/cpuset.cpus)/$(cat $cg/cpuset/cpuset.mems)
echo oomkill=$(awk '/oom_kill_disable/ {print $2}' $cg/memory/memory.oom_control)
echo shm=$(df -k /dev/shm | awk 'NR==2 {print $2}')
echo oom=$(cat /proc/1/oom_score_adj)
echo nofile=$(ulimit -n)/$(ulimit -Hn)
"""


async def test_resource_limits_reach_the_cgroups(
    engine: DockerEngine, make_spec: SpecFactory
) -> None:
    resources = Resources(
        memory=64 * MiB,
        memory_reservation=32 * MiB,
        memory_swap=128 * MiB,
        memory_swappiness=10,
        nano_cpus=500_000_000,
        cpu_shares=512,
        pids_limit=50,
        cpuset_cpus="0",
        cpuset_mems="0",
        oom_kill_disable=True,
        shm_size=16 * MiB,
        oom_score_adj=300,
        ulimits=(Ulimit("nofile", 1024, 2048),),
    )
    cid = await run_spec(engine, make_spec("limited", resources=resources))
    seen = read_values(await sh(engine, cid, CGROUP_PROBE))
    assert seen == {
        "mem": str(64 * MiB),
        "soft": str(32 * MiB),
        "memsw": str(128 * MiB),
        "swappiness": "10",
        "shares": "512",
        "quota": "50000",  # 0.5 CPU of the default 100 ms period
        "period": "100000",
        "pids": "50",
        "cpuset": "0/0",
        "oomkill": "1",
        "shm": "16384",
        "oom": "300",
        "nofile": "1024/2048",
    }


async def test_cpu_quota_and_period_and_pids_limit_is_enforced(
    engine: DockerEngine, make_spec: SpecFactory
) -> None:
    resources = Resources(cpu_quota=20_000, cpu_period=50_000, pids_limit=12)
    cid = await run_spec(engine, make_spec("quota", resources=resources))
    seen = read_values(await sh(engine, cid, CGROUP_PROBE))
    assert (seen["quota"], seen["period"], seen["pids"]) == ("20000", "50000", "12")
    # The limit bites: the 13th process cannot be forked.
    forked = await engine.exec(cid, ("sh", "-c", "for i in $(seq 20); do sleep 5 & done; wait"))
    assert "fork" in forked.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def http_get(port: int) -> str:
    def fetch() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=2) as reply:
            return str(reply.read().decode())

    for _ in range(40):
        try:
            return await anyio.to_thread.run_sync(fetch)
        except OSError:
            await anyio.sleep(0.1)
    return await anyio.to_thread.run_sync(fetch)


async def test_published_ports_answer_from_the_host(
    engine: DockerEngine, make_spec: SpecFactory, docker_client: Any
) -> None:
    fixed = free_port()
    ports = (
        PortBinding(80, host_ip="127.0.0.1", host_port=""),  # ephemeral
        PortBinding(81, host_ip="127.0.0.1", host_port=str(fixed)),
        PortBinding(5353, protocol="udp", host_ip="127.0.0.1", host_port=""),
        PortBinding(9000),  # expose only
    )
    script = "echo served > /tmp/index.html; httpd -p 81 -h /tmp; exec httpd -f -p 80 -h /tmp"
    cid = await run_spec(engine, make_spec("web", ports=ports, command=("sh", "-c", script)))

    attrs = docker_client.containers.get(cid).attrs
    bound = attrs["NetworkSettings"]["Ports"]
    assert set(bound) == {"80/tcp", "81/tcp", "5353/udp", "9000/tcp"}
    assert bound["9000/tcp"] is None
    assert bound["81/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": str(fixed)}]
    assert bound["5353/udp"][0]["HostIp"] == "127.0.0.1"
    ephemeral = int(bound["80/tcp"][0]["HostPort"])
    assert await http_get(ephemeral) == "served\n"
    assert await http_get(fixed) == "served\n"


async def test_port_range_publishes_within_the_range(
    engine: DockerEngine, make_spec: SpecFactory, docker_client: Any
) -> None:
    low = free_port()
    ports = (PortBinding(80, host_ip="127.0.0.1", host_port=f"{low}-{low + 3}"),)
    script = "echo ranged > /tmp/index.html; exec httpd -f -p 80 -h /tmp"
    cid = await run_spec(engine, make_spec("ranged", ports=ports, command=("sh", "-c", script)))
    host_port = int(
        docker_client.containers.get(cid).attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
    )
    assert low <= host_port <= low + 3
    assert await http_get(host_port) == "ranged\n"


async def test_bind_volume_and_tmpfs_mounts(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str, tmp_path: Path
) -> None:
    (tmp_path / "hello.txt").write_text("from the host\n")
    made = tmp_path / "made" / "here"
    volume = f"{project_name}_data"
    await engine.create_volume(VolumeSpec(volume, {labels.PROJECT: project_name}))
    mounts = (
        Mount("bind", "/ro", source=str(tmp_path), read_only=True),
        Mount("bind", "/made", source=str(made)),  # the engine creates the missing host path
        Mount("volume", "/data", source=volume, nocopy=True),
        Mount("tmpfs", "/scratch", tmpfs_size=2 * MiB, tmpfs_mode=0o700),
    )
    cid = await run_spec(engine, make_spec("writer", mounts=mounts))
    probe = """
    echo ro=$(cat /ro/hello.txt)
    touch /ro/nope 2>/dev/null && echo ro_write=yes || echo ro_write=no
    echo out > /made/file && echo made=ok
    echo kept > /data/file
    echo tmpfs=$(stat -c %a /scratch)/$(df -k /scratch | awk 'NR==2 {print $2}')
    """
    seen = read_values(await sh(engine, cid, probe))
    assert seen == {
        "ro": "from the host",
        "ro_write": "no",
        "made": "ok",
        "tmpfs": "700/2048",
    }
    assert (made / "file").read_text() == "out\n"

    reader = make_spec("reader", mounts=(Mount("volume", "/data", source=volume, read_only=True),))
    other = await run_spec(engine, reader)
    assert await sh(engine, other, "cat /data/file") == "kept\n"


async def test_remove_drops_anonymous_volumes_only_when_asked_and_never_named_ones(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str, docker_client: Any
) -> None:
    named = f"{project_name}_keep"
    await engine.create_volume(VolumeSpec(named, {labels.PROJECT: project_name}))
    mounts = (Mount("volume", "/keep", source=named), Mount("volume", "/anon"))

    async def container_with_anonymous_volume(name: str) -> tuple[str, str]:
        cid = await engine.create_container(make_spec(name, mounts=mounts))
        found = [
            m["Name"]
            for m in docker_client.containers.get(cid).attrs["Mounts"]
            if m["Name"] != named
        ]
        assert len(found) == 1
        return cid, found[0]

    # By default (a recreate, a down without -v) the anonymous volume stays, as in compose.
    cid, anonymous = await container_with_anonymous_volume("vols")
    await engine.remove_container(cid)
    assert docker_client.volumes.list(filters={"name": anonymous})
    docker_client.volumes.get(anonymous).remove()

    cid, anonymous = await container_with_anonymous_volume("vols2")
    await engine.remove_container(cid, volumes=True)
    assert docker_client.volumes.get(named)
    assert not docker_client.volumes.list(filters={"name": anonymous})


async def test_dns_by_alias_between_two_containers(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str
) -> None:
    net = await network(engine, project_name, "default")
    await run_spec(
        engine, make_spec("db", networks=(NetworkAttachment(net, aliases=("database",)),))
    )
    client = await run_spec(engine, make_spec("app", networks=(NetworkAttachment(net),)))
    out = await sh(engine, client, "ping -c1 -W2 database >/dev/null && nslookup database")
    assert "Address" in out.split("database", 1)[1]


async def test_multiple_networks_with_aliases_and_a_static_address(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str, docker_client: Any
) -> None:
    front = await network(engine, project_name, "front")
    back = await network(engine, project_name, "back", ipam_pools=({"subnet": "10.233.9.0/24"},))
    attachments = (
        NetworkAttachment(front, aliases=("api-front",)),
        NetworkAttachment(back, aliases=("api-back",), ipv4_address="10.233.9.42", priority=10),
    )
    api = await run_spec(engine, make_spec("api", networks=attachments))
    on_front = await run_spec(engine, make_spec("web", networks=(NetworkAttachment(front),)))
    on_back = await run_spec(engine, make_spec("worker", networks=(NetworkAttachment(back),)))

    networks = docker_client.containers.get(api).attrs["NetworkSettings"]["Networks"]
    assert set(networks) == {front, back}
    assert networks[back]["IPAddress"] == "10.233.9.42"
    assert "api-front" in networks[front]["Aliases"]
    assert await sh(engine, on_back, "ping -c1 -W2 api-back >/dev/null && echo ok") == "ok\n"
    assert await sh(engine, on_front, "ping -c1 -W2 api-front >/dev/null && echo ok") == "ok\n"
    isolated = await engine.exec(on_front, ("ping", "-c1", "-W1", "api-back"))
    assert isolated.exit_code != 0, "aliases are per network"


async def test_network_none_and_namespaces_shared_with_another_container(
    engine: DockerEngine, make_spec: SpecFactory
) -> None:
    alone = await run_spec(engine, make_spec("alone", network_mode="none"))
    assert await sh(engine, alone, "ls /sys/class/net") == "lo\n"

    owner = await run_spec(engine, make_spec("owner", command=("sleep", "301")))
    guest = await run_spec(
        engine,
        make_spec("guest", network_mode=f"container:{owner}", pid_mode=f"container:{owner}"),
    )
    mac = "cat /sys/class/net/eth0/address"
    assert await sh(engine, guest, mac) == await sh(engine, owner, mac)
    assert "sleep 301" in await sh(engine, guest, "ps -o args")


PROCESS_PROBE = """
echo host=$(hostname)/$(cat /proc/sys/kernel/domainname)
echo ids=$(id -u):$(id -g)/$(id -G)
echo cwd=$(pwd)
echo env=$GREETING
echo hosts=$(grep somehost /etc/hosts | awk '{print $1}')
echo dns=$(grep -E '^(nameserver|search|options)' /etc/resolv.conf | tr '\\n' ' ')
echo init=$(cat /proc/1/comm)
echo nnp=$(awk '/NoNewPrivs/ {print $2}' /proc/self/status)
echo somaxconn=$(cat /proc/sys/net/core/somaxconn)
echo rootfs=$(touch /probe 2>/dev/null && echo rw || echo ro)
echo mac=$(cat /sys/class/net/eth0/address)
echo device=$(test -c /dev/mynull && echo yes)
echo tty=$(test -t 0 && echo yes || echo no)
"""


async def test_process_and_identity_settings_take_effect(
    engine: DockerEngine, make_spec: SpecFactory
) -> None:
    spec = make_spec(
        "proc",
        hostname="box",
        domainname="example.test",
        user="65534:65534",
        group_add=("1234",),
        working_dir="/tmp",
        environment={"GREETING": "hello world"},
        entrypoint=("sh", "-c"),
        command=("exec sleep 300",),
        extra_hosts=("somehost:10.1.2.3",),
        dns=("10.9.9.9",),
        dns_search=("corp.test",),
        dns_opt=("ndots:2",),
        security_opt=("no-new-privileges:true",),
        sysctls={"net.core.somaxconn": "1000"},
        read_only=True,
        mac_address="02:42:ac:11:ff:01",
        devices=("/dev/null:/dev/mynull:rwm",),
        tty=True,
        stdin_open=True,
        init=True,
    )
    cid = await run_spec(engine, spec)
    seen = read_values(await sh(engine, cid, PROCESS_PROBE))
    assert seen == {
        "host": "box/example.test",
        "ids": "65534:65534/65534 1234",
        "cwd": "/tmp",
        "env": "hello world",
        "hosts": "10.1.2.3",
        "dns": "search corp.test nameserver 10.9.9.9 options ndots:2",
        "init": "docker-init",
        "nnp": "1",
        "somaxconn": "1000",
        "rootfs": "ro",
        "mac": "02:42:ac:11:ff:01",
        "device": "yes",
        "tty": "no",  # exec has no tty; the container's own does (Config.Tty below)
    }


async def test_engine_side_policies_are_recorded(
    engine: DockerEngine, make_spec: SpecFactory, docker_client: Any
) -> None:
    health = HealthSpec(("CMD", "true"), interval=1.5, timeout=2, retries=4, start_period=0.25)
    source = await run_spec(engine, make_spec("source", mounts=(Mount("volume", "/shared"),)))
    spec = make_spec(
        "policy",
        restart_policy="on-failure:3",
        healthcheck=health,
        stop_signal="SIGINT",
        stop_timeout=3,
        cap_add=("SYS_TIME",),
        cap_drop=("NET_RAW",),
        log_config=LogConfig("json-file", {"max-size": "1m"}),
        ipc_mode="shareable",
        volumes_from=(f"{source}:ro",),
        labels={"extra.label": "yes"},
        tty=True,
        stdin_open=True,
    )
    cid = await run_spec(engine, spec)
    attrs = docker_client.containers.get(cid).attrs
    host, config = attrs["HostConfig"], attrs["Config"]
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert config["Healthcheck"] == {
        "Test": ["CMD", "true"],
        "Interval": 1_500_000_000,
        "Timeout": 2_000_000_000,
        "Retries": 4,
        "StartPeriod": 250_000_000,
    }
    assert (config["StopSignal"], config["StopTimeout"]) == ("SIGINT", 3)
    assert (host["CapAdd"], host["CapDrop"]) == (["SYS_TIME"], ["NET_RAW"])
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1m"}}
    assert host["IpcMode"] == "shareable"
    assert host["VolumesFrom"] == [f"{source}:ro"]
    assert config["Labels"]["extra.label"] == "yes"
    assert (config["Tty"], config["OpenStdin"]) == (True, True)
    assert await sh(engine, cid, "test -d /shared && echo shared") == "shared\n"
    ping = await engine.exec(cid, ("ping", "-c1", "-W1", "127.0.0.1"))
    assert ping.exit_code != 0, "NET_RAW was dropped"


async def test_links_on_the_default_bridge(engine: DockerEngine, make_spec: SpecFactory) -> None:
    target = make_spec("target")
    await run_spec(engine, target)
    linked = await run_spec(engine, make_spec("linker", links=(f"{target.name}:legacy",)))
    assert await sh(engine, linked, "grep -c legacy /etc/hosts") == "1\n"


async def test_platform_is_passed_to_the_engine(
    engine: DockerEngine, make_spec: SpecFactory, docker_client: Any
) -> None:
    version = docker_client.version()
    native = f"{version['Os']}/{version['Arch']}"
    cid = await run_spec(engine, make_spec("native", platform=native))
    assert docker_client.containers.get(cid).attrs["Platform"] == version["Os"]
