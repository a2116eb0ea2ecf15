"""``docker_swarm_convert``: Swarm request types → Engine API 1.41 bodies (golden JSON).

The golden bodies are what tests/engine/test_swarm_stack_deploy.py proves equal to ``docker
stack deploy``'s services once the engine has stored them.
"""

from __future__ import annotations

import pytest

from orchestra.engine.base import HealthSpec, LogConfig, Mount, Ulimit, VolumeSpec
from orchestra.engine.docker_swarm_convert import object_body, service_body
from orchestra.engine.swarm_base import (
    FileMount,
    Placement,
    RestartPolicy,
    ServiceAttachment,
    ServicePort,
    ServiceResources,
    SwarmObjectSpec,
    SwarmServiceSpec,
    UpdatePolicy,
)
from orchestra.errors import EngineError

FULL = SwarmServiceSpec(
    name="demo_web",
    image="busybox:1",
    labels={"com.docker.compose.project": "demo"},
    container_labels={"tier": "front"},
    replicas=3,
    command=("/bin/sh", "-c"),
    args=("httpd", "-f"),
    environment=("A=1", "B="),
    working_dir="/srv",
    user="1000",
    hostname="webhost",
    groups=("100",),
    mounts=(
        Mount("volume", "/data", "demo_data", nocopy=True),
        Mount("volume", "/ext", "shared"),
        Mount("volume", "/anon"),
        Mount("bind", "/host", "/srv/host", read_only=True, propagation="rslave"),
        Mount("tmpfs", "/run", tmpfs_size=65536, tmpfs_mode=0o1777),
    ),
    volumes=(
        VolumeSpec("demo_data", {"v": "1"}, "local", {"type": "tmpfs"}),
        VolumeSpec("shared", {}),
    ),
    networks=(ServiceAttachment("demo_back", ("web",)), ServiceAttachment("host")),
    ports=(ServicePort(7070), ServicePort(53, 5353, "udp", "host")),
    endpoint_mode="dnsrr",
    healthcheck=HealthSpec(("CMD", "true"), interval=5.0, timeout=1.5, retries=2, start_period=0.5),
    stop_signal="SIGINT",
    stop_grace_period=90.0,
    read_only=True,
    init=False,
    tty=True,
    stdin_open=True,
    cap_add=("net_admin", "CAP_SYS_TIME", "ALL"),
    cap_drop=("MKNOD",),
    sysctls={"net.core.somaxconn": "1024"},
    ulimits=(Ulimit("nofile", 10, 20),),
    dns=("1.1.1.1",),
    dns_search=("example.com",),
    dns_opt=("use-vc",),
    extra_hosts=("db:10.0.0.2", "v6:::1"),
    log_config=LogConfig("json-file", {"max-size": "1m"}),
    placement=Placement(("node.role==worker",), ("node.labels.zone",), 2),
    resources=ServiceResources(500_000_000, 64 << 20, 10, 250_000_000, 1 << 20),
    restart_policy=RestartPolicy("on-failure", 5.0, 3, 60.0),
    update_config=UpdatePolicy(1, 2.0, "rollback", 10.0, 0.3, "start-first"),
    rollback_config=UpdatePolicy(parallelism=2, monitor=5.0),
    secrets=(FileMount("secret", "demo_token-0123456789", "token"),),
    configs=(FileMount("config", "demo_conf-abcdefabcd", "/etc/conf", "1", "2", 0o440),),
)

FULL_BODY = {
    "Name": "demo_web",
    "Labels": {"com.docker.compose.project": "demo"},
    "TaskTemplate": {
        "ContainerSpec": {
            "Image": "busybox:1",
            "Labels": {"tier": "front"},
            "Command": ["/bin/sh", "-c"],
            "Args": ["httpd", "-f"],
            "Hostname": "webhost",
            "Env": ["A=1", "B="],
            "Dir": "/srv",
            "User": "1000",
            "Groups": ["100"],
            "Init": False,
            "StopSignal": "SIGINT",
            "TTY": True,
            "OpenStdin": True,
            "ReadOnly": True,
            "Mounts": [
                {
                    "Type": "volume",
                    "Target": "/data",
                    "Source": "demo_data",
                    "VolumeOptions": {
                        "NoCopy": True,
                        "Labels": {"v": "1"},
                        "DriverConfig": {"Name": "local", "Options": {"type": "tmpfs"}},
                    },
                },
                {"Type": "volume", "Target": "/ext", "Source": "shared", "VolumeOptions": {}},
                {"Type": "volume", "Target": "/anon"},
                {
                    "Type": "bind",
                    "Target": "/host",
                    "Source": "/srv/host",
                    "ReadOnly": True,
                    "BindOptions": {"Propagation": "rslave"},
                },
                {
                    "Type": "tmpfs",
                    "Target": "/run",
                    "TmpfsOptions": {"SizeBytes": 65536, "Mode": 0o1777},
                },
            ],
            "StopGracePeriod": 90_000_000_000,
            "Healthcheck": {
                "Test": ["CMD", "true"],
                "Interval": 5_000_000_000,
                "Timeout": 1_500_000_000,
                "StartPeriod": 500_000_000,
                "Retries": 2,
            },
            "Hosts": ["10.0.0.2 db", "::1 v6"],
            "DNSConfig": {
                "Nameservers": ["1.1.1.1"],
                "Search": ["example.com"],
                "Options": ["use-vc"],
            },
            "Secrets": [
                {
                    "File": {"Name": "token", "UID": "0", "GID": "0", "Mode": 0o444},
                    "SecretID": "sid",
                    "SecretName": "demo_token-0123456789",
                }
            ],
            "Configs": [
                {
                    "File": {"Name": "/etc/conf", "UID": "1", "GID": "2", "Mode": 0o440},
                    "ConfigID": "cid",
                    "ConfigName": "demo_conf-abcdefabcd",
                }
            ],
            "Sysctls": {"net.core.somaxconn": "1024"},
            "CapabilityAdd": ["CAP_NET_ADMIN", "CAP_SYS_TIME", "ALL"],
            "CapabilityDrop": ["CAP_MKNOD"],
            "Ulimits": [{"Name": "nofile", "Soft": 10, "Hard": 20}],
        },
        "Resources": {
            "Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 64 << 20, "Pids": 10},
            "Reservations": {"NanoCPUs": 250_000_000, "MemoryBytes": 1 << 20},
        },
        "Placement": {
            "Constraints": ["node.role==worker"],
            "Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}],
            "MaxReplicas": 2,
        },
        "Networks": [{"Target": "demo_back", "Aliases": ["web"]}, {"Target": "host"}],
        "RestartPolicy": {
            "Condition": "on-failure",
            "Delay": 5_000_000_000,
            "MaxAttempts": 3,
            "Window": 60_000_000_000,
        },
        "LogDriver": {"Name": "json-file", "Options": {"max-size": "1m"}},
    },
    "Mode": {"Replicated": {"Replicas": 3}},
    "EndpointSpec": {
        "Mode": "dnsrr",
        "Ports": [
            {"Protocol": "tcp", "TargetPort": 7070, "PublishMode": "ingress"},
            {"Protocol": "udp", "TargetPort": 53, "PublishedPort": 5353, "PublishMode": "host"},
        ],
    },
    "UpdateConfig": {
        "Parallelism": 1,
        "Delay": 2_000_000_000,
        "FailureAction": "rollback",
        "Monitor": 10_000_000_000,
        "MaxFailureRatio": 0.3,
        "Order": "start-first",
    },
    "RollbackConfig": {"Parallelism": 2, "Monitor": 5_000_000_000},
}

IDS = {"demo_token-0123456789": "sid", "demo_conf-abcdefabcd": "cid"}


def test_every_field_golden() -> None:
    assert service_body(FULL, IDS) == FULL_BODY


def test_a_minimal_service_leaves_the_engine_defaults() -> None:
    spec = SwarmServiceSpec(name="demo_app", image="busybox", labels={"a": "b"})
    assert service_body(spec) == {
        "Name": "demo_app",
        "Labels": {"a": "b"},
        "TaskTemplate": {
            "ContainerSpec": {"Image": "busybox", "Labels": {}},
            "Resources": {},
            "Placement": {},
            "Networks": [],
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": {"Mode": "vip"},
    }


def test_global_mode_has_no_replica_count() -> None:
    spec = SwarmServiceSpec(name="d_a", image="busybox", labels={}, mode="global", replicas=5)
    assert service_body(spec)["Mode"] == {"Global": {}}


def test_zero_replicas_are_sent() -> None:
    """Dependents are held at 0 replicas until their dependencies run."""
    spec = SwarmServiceSpec(name="d_a", image="busybox", labels={}, replicas=0)
    assert service_body(spec)["Mode"] == {"Replicated": {"Replicas": 0}}


def test_an_empty_command_overrides_the_image() -> None:
    spec = SwarmServiceSpec(name="d_a", image="busybox", labels={}, command=(), args=())
    container = service_body(spec)["TaskTemplate"]["ContainerSpec"]
    assert (container["Command"], container["Args"]) == ([], [])


def test_a_disabled_healthcheck() -> None:
    spec = SwarmServiceSpec(name="d_a", image="b", labels={}, healthcheck=HealthSpec(("NONE",)))
    assert service_body(spec)["TaskTemplate"]["ContainerSpec"]["Healthcheck"] == {"Test": ["NONE"]}


def test_a_secret_without_its_id_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="secret demo_token-0123456789 does not exist"):
        service_body(FULL, {"demo_conf-abcdefabcd": "cid"})


def test_object_body() -> None:
    spec = SwarmObjectSpec("secret", "token", "demo_token-0123456789", {"l": "1"}, "czNjcmV0")
    assert object_body(spec) == {
        "Name": "demo_token-0123456789",
        "Labels": {"l": "1"},
        "Data": "czNjcmV0",
    }
    assert "czNjcmV0" not in repr(spec)
