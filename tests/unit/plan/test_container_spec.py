"""Service → ContainerSpec for every field group (cgroups especially), warnings, network specs."""

from __future__ import annotations

import textwrap

import pytest
from planfix import IMG_A, load

from orchestra.engine.base import (
    ContainerSpec,
    HealthSpec,
    LogConfig,
    Mount,
    NetworkAttachment,
    PortBinding,
    Resources,
    Ulimit,
)
from orchestra.hashing import config_hash, hash_input
from orchestra.labels import encode_config
from orchestra.plan.container_spec import container_spec
from orchestra.plan.resources import network_spec, network_warnings, volume_spec
from orchestra.plan.spec_warnings import service_warnings
from orchestra.spec.model import Project

MIB = 1 << 20


def project_with(body: str, top: str = "", extra: str = "") -> Project:
    """Project ``demo``: service ``web`` (image nginx:1) with ``body`` lines, then ``top``."""
    lines = "".join(f"\n    {line}" for line in textwrap.dedent(body).strip().splitlines())
    return load(f"services:\n  web:\n    image: nginx:1{lines}\n{extra}{top}")


def spec_of(body: str, top: str = "", extra: str = "", number: int = 1) -> ContainerSpec:
    project = project_with(body, top, extra)
    return container_spec(project, project.services["web"], number, IMG_A, "9.9")


def test_name_image_and_labels_follow_compose() -> None:
    project = project_with("labels: {team: a, com.docker.compose.service: fake}")
    spec = container_spec(project, project.services["web"], 2, IMG_A, "9.9")
    digest = config_hash(project.services["web"])
    assert (spec.name, spec.image) == ("demo-web-2", "nginx:1")
    assert spec.labels == {
        "team": "a",
        "com.docker.compose.project": "demo",
        "com.docker.compose.service": "web",
        "com.docker.compose.container-number": "2",
        "com.docker.compose.oneoff": "False",
        "com.docker.compose.config-hash": digest,
        "io.orchestra.config-hash": digest,
        "io.orchestra.config": encode_config(hash_input(project.services["web"])),
        "io.orchestra.image-id": IMG_A,
        "io.orchestra.version": "9.9",
    }


def test_swarm_only_deploy_keys_leave_the_container_hash_alone() -> None:
    plain = config_hash(project_with("deploy: {replicas: 1}").services["web"])
    swarm = project_with(
        "deploy: {replicas: 3, endpoint_mode: dnsrr, placement: {constraints: [node.role==worker]}}"
    )
    assert config_hash(swarm.services["web"]) == plain, "containers ignore them: no recreate"
    limited = project_with("deploy: {resources: {limits: {memory: 64m}}}")
    assert config_hash(limited.services["web"]) != plain


def test_container_name_and_the_default_tag_of_a_built_image() -> None:
    assert spec_of("container_name: front").name == "front"
    project = load("services:\n  app:\n    build: /src/app\n")
    spec = container_spec(project, project.services["app"], 1, None, "1")
    assert (spec.image, spec.labels["io.orchestra.image-id"]) == ("demo-app", "")


def test_process_settings() -> None:
    spec = spec_of("""
        command: [serve, --port, "80"]
        entrypoint: [/init]
        environment: {A: "1", UNSET: null}
        working_dir: /app
        user: "1000:1000"
        hostname: web1
        domainname: example.org
        init: true
        stop_signal: SIGINT
        stop_grace_period: 1m30s
        tty: true
        stdin_open: true
        read_only: true
    """)
    assert spec.command == ("serve", "--port", "80")
    assert spec.entrypoint == ("/init",)
    assert spec.environment == {"A": "1"}
    assert (spec.working_dir, spec.user) == ("/app", "1000:1000")
    assert (spec.hostname, spec.domainname) == ("web1", "example.org")
    assert (spec.init, spec.stop_signal, spec.stop_timeout) == (True, "SIGINT", 90)
    assert (spec.tty, spec.stdin_open, spec.read_only) == (True, True, True)


def test_stop_grace_period_is_truncated_to_whole_seconds_as_compose_does() -> None:
    assert spec_of("stop_grace_period: 1500ms").stop_timeout == 1


def test_ports_and_expose() -> None:
    spec = spec_of("""
        ports: ["8080:80", "127.0.0.1:9000-9001:9000-9001/udp", "443", "7000-7002:7000"]
        expose: ["80", "5000-5001", "6000/udp"]
    """)
    assert spec.ports == (
        PortBinding(80, "tcp", None, "8080"),
        PortBinding(9000, "udp", "127.0.0.1", "9000"),
        PortBinding(9001, "udp", "127.0.0.1", "9001"),
        PortBinding(443, "tcp", None, ""),
        PortBinding(7000, "tcp", None, "7000-7002"),
        PortBinding(5000, "tcp"),
        PortBinding(5001, "tcp"),
        PortBinding(6000, "udp"),
    )


def test_volume_mounts_resolve_named_volumes_to_engine_names() -> None:
    spec = spec_of(
        """
        volumes:
          - /srv/conf:/etc/conf:ro,rshared
          - {type: bind, source: /srv/x, target: /x}
          - data:/data:nocopy
          - {type: volume, source: cache, target: /cache, volume: {subpath: sub}}
          - /anon
          - {type: tmpfs, target: /scratch, tmpfs: {size: 1m, mode: 0o700}}
        """,
        "volumes:\n  data: {}\n  cache: {name: shared-cache}\n",
    )
    assert spec.mounts == (
        Mount("bind", "/etc/conf", "/srv/conf", read_only=True, propagation="rshared"),
        Mount("bind", "/x", "/srv/x"),  # long syntax: created when missing, as compose does
        Mount("volume", "/data", "demo_data", nocopy=True),
        Mount("volume", "/cache", "shared-cache", subpath="sub"),
        Mount("volume", "/anon", None),
        Mount("tmpfs", "/scratch", tmpfs_size=MIB, tmpfs_mode=0o700),
    )


def test_tmpfs_attribute_entries_keep_every_mount_option() -> None:
    spec = spec_of('tmpfs: ["/run:size=64m,mode=1777,noexec", /tmp]')
    assert dict(spec.tmpfs) == {"/run": "size=64m,mode=1777,noexec", "/tmp": ""}
    assert all(m.type != "tmpfs" for m in spec.mounts)


def test_networks_carry_compose_aliases_addresses_and_priority_order() -> None:
    spec = spec_of(
        """
        networks:
          back: {aliases: [api], ipv4_address: 10.5.0.9}
          front: {priority: 10}
        """,
        "networks:\n  back: {}\n  front: {name: edge}\n",
    )
    assert spec.network_mode is None
    assert spec.networks == (
        NetworkAttachment("edge", aliases=("demo-web-1", "web"), priority=10),
        NetworkAttachment(
            "demo_back", aliases=("demo-web-1", "web", "api"), ipv4_address="10.5.0.9"
        ),
    )


def test_references_to_other_services_use_their_container_names() -> None:
    project = load("""
        services:
          db: {image: postgres:16, container_name: pg}
          cache: {image: redis:7}
          web:
            image: nginx:1
            network_mode: service:db
            volumes_from: ["cache:ro", "container:legacy:rw"]
            links: ["cache", "db:database"]
            external_links: ["outside", "other:alias"]
    """)
    spec = container_spec(project, project.services["web"], 1, IMG_A, "1")
    assert (spec.network_mode, spec.networks) == ("container:pg", ())
    assert spec.volumes_from == ("demo-cache-1:ro", "legacy:rw")
    assert spec.links == ("demo-cache-1:cache", "pg:database", "outside:outside", "other:alias")
    assert spec_of("network_mode: host").network_mode == "host"


@pytest.mark.parametrize(
    ("body", "policy"),
    [
        ("restart: unless-stopped", "unless-stopped"),
        ("restart: on-failure:3", "on-failure:3"),
        ("deploy: {restart_policy: {condition: on-failure, max_attempts: 2}}", "on-failure:2"),
        ("deploy: {restart_policy: {condition: any}}", "always"),
        ("restart: always\ndeploy: {restart_policy: {condition: none}}", "no"),
        ("deploy: {restart_policy: {max_attempts: 2}}", "no"),
        ("", None),
    ],
)
def test_restart_policy_where_deploy_wins_as_in_compose(body: str, policy: str | None) -> None:
    assert spec_of(body).restart_policy == policy


def test_healthcheck_in_engine_form() -> None:
    spec = spec_of("healthcheck: {test: curl -f localhost, interval: 5s, retries: 3}")
    assert spec.healthcheck == HealthSpec(("CMD-SHELL", "curl -f localhost"), 5.0, retries=3)
    assert spec_of("healthcheck: {disable: true}").healthcheck == HealthSpec(("NONE",))
    assert spec_of("healthcheck: {test: [NONE]}").healthcheck == HealthSpec(("NONE",))
    assert spec_of("healthcheck: {interval: 9s}").healthcheck == HealthSpec((), 9.0)


def test_host_settings_pass_through() -> None:
    spec = spec_of("""
        extra_hosts: ["db:10.0.0.2"]
        dns: [1.1.1.1]
        dns_search: [example.org]
        dns_opt: [ndots:2]
        cap_add: [NET_ADMIN]
        cap_drop: [ALL]
        security_opt: [no-new-privileges:true]
        privileged: true
        devices: ["/dev/fuse", {source: /dev/sda, target: /dev/xvda, permissions: r}]
        sysctls: {net.core.somaxconn: "1024"}
        logging: {driver: json-file, options: {max-size: 10m}}
        ipc: host
        pid: host
        group_add: [audio]
        platform: linux/amd64
        annotations: {com.example.a: b}
    """)
    assert spec.extra_hosts == ("db:10.0.0.2",)
    assert (spec.dns, spec.dns_search, spec.dns_opt) == (
        ("1.1.1.1",),
        ("example.org",),
        ("ndots:2",),
    )
    assert (spec.cap_add, spec.cap_drop) == (("NET_ADMIN",), ("ALL",))
    assert (spec.security_opt, spec.privileged) == (("no-new-privileges:true",), True)
    assert spec.devices == ("/dev/fuse:/dev/fuse:rwm", "/dev/sda:/dev/xvda:r")
    assert spec.sysctls == {"net.core.somaxconn": "1024"}
    assert spec.log_config == LogConfig("json-file", {"max-size": "10m"})
    assert (spec.ipc_mode, spec.pid_mode, spec.group_add) == ("host", "host", ("audio",))
    assert (spec.platform, spec.annotations) == ("linux/amd64", {"com.example.a": "b"})


def test_every_direct_cgroup_knob_maps_to_engine_units() -> None:
    spec = spec_of("""
        mem_limit: 512m
        memswap_limit: 1g
        mem_reservation: 128m
        mem_swappiness: 10
        cpus: 0.29
        cpu_shares: 512
        cpu_quota: 50000
        cpu_period: 100000
        cpuset: "0,1"
        pids_limit: 100
        oom_kill_disable: true
        oom_score_adj: -500
        shm_size: 64m
        ulimits: {nproc: 65535, nofile: {soft: 1024, hard: 2048}}
    """)
    assert spec.resources == Resources(
        memory=512 * MIB,
        memory_swap=1024 * MIB,
        memory_reservation=128 * MIB,
        memory_swappiness=10,
        nano_cpus=290_000_000,
        cpu_shares=512,
        cpu_quota=50000,
        cpu_period=100000,
        cpuset_cpus="0,1",
        pids_limit=100,
        oom_kill_disable=True,
        oom_score_adj=-500,
        shm_size=64 * MIB,
        ulimits=(Ulimit("nofile", 1024, 2048), Ulimit("nproc", 65535, 65535)),
    )


def test_deploy_resources_fill_in_and_win_over_the_direct_knobs() -> None:
    spec = spec_of("""
        mem_reservation: 16m
        deploy:
          resources:
            limits: {cpus: "1.5", memory: 256m, pids: 64}
            reservations: {memory: 32m}
    """)
    assert spec.resources == Resources(
        memory=256 * MIB, memory_reservation=32 * MIB, nano_cpus=1_500_000_000, pids_limit=64
    )
    assert spec_of("").resources == Resources()


def test_settings_the_engine_would_ignore_are_warned_about() -> None:
    project = project_with(
        """
        cgroup_parent: /custom
        tmpfs: ["/run:size=1m,noexec"]
        networks: {default: {gw_priority: 1}}
        secrets: [{source: pw, mode: 0o400}, token, vault]
        deploy:
          mode: global
          labels: {a: b}
          update_config: {parallelism: 1}
          restart_policy: {max_attempts: 2, window: 10s}
          resources: {reservations: {pids: 5}}
        """,
        "secrets:\n  pw: {file: /run/pw}\n  token: {environment: TOKEN}\n"
        "  vault: {external: true}\n",
    )
    assert service_warnings(project, project.services["web"]) == [
        "service web: deploy.resources.reservations.pids is ignored (pids is only a limit)",
        "service web: deploy.restart_policy has no condition: the container is not restarted",
        "service web: deploy.restart_policy delay and window are ignored without Swarm",
        "service web: deploy.update_config: only order is used (start-first: one replica at a"
        " time)",
        "service web: deploy.labels label Swarm services, not containers: ignored",
        "service web: deploy.mode global is ignored without Swarm (one replica per node)",
        "service web: cgroup_parent is not supported by orchestra yet: ignored",
        "service web: networks.default.gw_priority needs a newer engine API: ignored",
        "service web: secret vault: external secrets exist only in Swarm: not mounted",
    ]
    assert (
        service_warnings(
            load("services:\n  a: {image: x}\n"), load("services:\n  a: {image: x}\n").services["a"]
        )
        == []
    )


def test_network_and_volume_specs_carry_project_labels() -> None:
    project = project_with(
        "networks: [back]\nvolumes: [data:/data]",
        "networks:\n  back:\n    driver: bridge\n    internal: true\n    labels: {x: y}\n"
        "    ipam: {config: [{subnet: 10.9.0.0/16, gateway: 10.9.0.1}]}\n"
        "volumes:\n  data: {driver_opts: {type: tmpfs}}\n",
    )
    net = network_spec("demo", "back", project.networks["back"])
    assert (net.name, net.driver, net.internal) == ("demo_back", "bridge", True)
    assert net.labels == {
        "x": "y",
        "com.docker.compose.project": "demo",
        "com.docker.compose.network": "back",
    }
    assert net.ipam_pools == ({"subnet": "10.9.0.0/16", "gateway": "10.9.0.1"},)
    assert network_warnings("back", project.networks["back"]) == []
    vol = volume_spec("demo", "data", project.volumes["data"])
    assert (vol.name, vol.driver_opts) == ("demo_data", {"type": "tmpfs"})
    assert vol.labels == {"com.docker.compose.project": "demo", "com.docker.compose.volume": "data"}
