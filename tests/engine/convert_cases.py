"""Container specs that exercise every field of the create request, for the parity test.

The golden requests in ``golden/create_requests.json`` were produced by the docker SDK's config
builders (the adapter's create path before it built plain dicts), so the test proves the
engine receives exactly what it received before.
"""

from __future__ import annotations

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
)

LABELS = {"com.docker.compose.project": "p", "com.docker.compose.service": "web"}

EVERYTHING = ContainerSpec(
    name="p-web-1",
    image="registry.example:5000/team/app:1.2",
    labels=LABELS,
    command=("sh", "-c", "echo 'a b' && sleep 1"),
    entrypoint=("/entry.sh", "--flag"),
    environment={"A": "1", "EMPTY": "", "SPACED": "x y"},
    working_dir="/srv",
    user="1000:1000",
    hostname="web",
    domainname="example.test",
    ports=(
        PortBinding(80, host_ip="127.0.0.1", host_port="8080"),
        PortBinding(80, host_ip="::1", host_port="8080"),
        PortBinding(53, protocol="udp", host_port="5300-5310"),
        PortBinding(443, host_port=""),
        PortBinding(9000),
    ),
    mounts=(
        Mount("bind", "/a", source="/host/a", read_only=True, propagation="rshared"),
        Mount("bind", "/a2", source="/host/a2"),
        Mount("bind", "/b", source="/host/b", create_host_path=False, consistency="cached"),
        Mount("volume", "/c", source="data", nocopy=True, read_only=True),
        Mount("volume", "/d"),
        Mount("tmpfs", "/e", tmpfs_size=1024, tmpfs_mode=0o1777),
        Mount("tmpfs", "/f"),
    ),
    tmpfs={"/run": "size=64m", "/tmp": ""},
    read_only=True,
    networks=(
        NetworkAttachment("p_back", aliases=("db-client",), link_local_ips=("169.254.1.1",)),
        NetworkAttachment(
            "p_front",
            aliases=("web", "www"),
            ipv4_address="10.9.0.5",
            ipv6_address="fd00::5",
            driver_opts={"com.example.opt": "1"},
            priority=10,
        ),
        NetworkAttachment("p_mac", mac_address="02:42:ac:11:00:09", priority=5),
    ),
    restart_policy="on-failure:3",
    healthcheck=HealthSpec(
        ("CMD-SHELL", "true"), interval=1.5, timeout=1, retries=3, start_period=0.25
    ),
    init=False,
    stop_signal="SIGINT",
    stop_timeout=7,
    extra_hosts=("gw:10.0.0.1", "other:10.0.0.2"),
    dns=("1.1.1.1",),
    dns_search=("example.test",),
    dns_opt=("ndots:2",),
    cap_add=("NET_ADMIN",),
    cap_drop=("MKNOD", "CHOWN"),
    security_opt=("no-new-privileges:true",),
    privileged=True,
    devices=("/dev/null:/dev/mynull:rw", "/dev/zero", "/dev/random:/dev/r"),
    sysctls={"net.core.somaxconn": "1024"},
    log_config=LogConfig("json-file", {"max-size": "1m"}),
    resources=Resources(
        memory=64 * 1024 * 1024,
        memory_swap=128 * 1024 * 1024,
        memory_reservation=32,
        memory_swappiness=10,
        nano_cpus=500_000_000,
        cpu_shares=512,
        cpu_quota=50_000,
        cpu_period=100_000,
        cpu_rt_runtime=9,
        cpu_rt_period=10,
        cpuset_cpus="0",
        cpuset_mems="0",
        pids_limit=64,
        blkio_weight=300,
        oom_kill_disable=True,
        oom_score_adj=-100,
        shm_size=1 << 26,
        ulimits=(Ulimit("nofile", 1024, 2048), Ulimit("core", 0, 0)),
    ),
    tty=True,
    stdin_open=True,
    ipc_mode="shareable",
    pid_mode="host",
    volumes_from=("other:ro", "third"),
    links=("zeta:z", "alpha", "mid:m"),
    group_add=("audio", "1001"),
    platform="linux/amd64",
)

MINIMAL = ContainerSpec(name="p-min-1", image="busybox", labels=LABELS)

ZEROS = ContainerSpec(
    name="p-zero-1",
    image="busybox",
    labels={},
    command=(),
    entrypoint=(),
    init=True,
    resources=Resources(memory=0, memory_swap=-1, memory_swappiness=0, shm_size=0,
                        cpu_shares=0, oom_kill_disable=False, oom_score_adj=0),
    network_mode="container:abc",
    networks=(NetworkAttachment("p_default"),),
    restart_policy="no",
    healthcheck=HealthSpec(("NONE",)),
    mac_address="02:42:ac:11:00:02",
)  # fmt: skip

NAMED_MODE = ContainerSpec(
    name="p-named-1",
    image="busybox",
    labels=LABELS,
    network_mode="p_default",
    networks=(NetworkAttachment("p_default", aliases=("a",), mac_address="02:42:ac:11:00:03"),),
)

# (API version, spec): the older engine here and a newer one with its extra rules.
CASES = {
    "everything-1.41": ("1.41", EVERYTHING),
    "everything-1.44": ("1.44", EVERYTHING),
    "minimal-1.41": ("1.41", MINIMAL),
    "zeros-1.41": ("1.41", ZEROS),
    "named-mode-1.41": ("1.41", NAMED_MODE),
    "named-mode-1.44": ("1.44", NAMED_MODE),
}

NETWORKS = {
    "plain": NetworkSpec("p_default", {"k": "v"}),
    "ipam": NetworkSpec(
        "p_ipam",
        {"k": "v"},
        driver="bridge",
        driver_opts={"com.docker.network.bridge.name": "br-x"},
        internal=True,
        attachable=True,
        enable_ipv6=True,
        ipam_driver="default",
        ipam_pools=(
            {"subnet": "10.9.0.0/24", "gateway": "10.9.0.1", "ip_range": "10.9.0.0/25"},
            {"subnet": "fd00::/64"},
        ),
        ipam_options={"o": "1"},
    ),
    "options-only": NetworkSpec("p_opts", {}, ipam_options={"o": "1"}),
}
