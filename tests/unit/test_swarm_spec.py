"""The Compose → Swarm mapping (``plan/swarm_spec*``): names, labels, every field, the hash.

Engine-side proof that these specs are what ``docker stack deploy`` creates is in
tests/engine/test_swarm_stack_deploy.py; these tests pin the mapping rules themselves.
"""

from __future__ import annotations

import base64
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from orchestra.api_load import load_project
from orchestra.engine.base import HealthSpec, LogConfig, Mount, Ulimit, VolumeSpec
from orchestra.engine.swarm_base import (
    FileMount,
    Placement,
    RestartPolicy,
    ServiceAttachment,
    ServicePort,
    ServiceResources,
    UpdatePolicy,
)
from orchestra.errors import SpecError, UsageError
from orchestra.plan.swarm_spec import (
    swarm_config_hash,
    swarm_network_specs,
    swarm_object_specs,
    swarm_service_specs,
)
from orchestra.plan.swarm_spec_parts import tmpfs_mount
from orchestra.spec.model import Project
from orchestra.spec.secret_values import value_digest

FULL = """
services:
  web:
    image: busybox:1
    entrypoint: [/bin/sh, -c]
    command: [httpd, -f]
    environment: {B: "2", A: "1", UNSET: null}
    working_dir: /srv
    user: "1000"
    hostname: webhost
    group_add: ["100"]
    labels: {tier: front}
    init: true
    read_only: true
    tty: true
    stdin_open: true
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    sysctls: {net.core.somaxconn: "1024"}
    ulimits: {nproc: 512, nofile: {soft: 10, hard: 20}}
    dns: [1.1.1.1]
    dns_search: [example.com]
    dns_opt: [use-vc]
    extra_hosts: ["db:10.0.0.2"]
    stop_signal: SIGINT
    stop_grace_period: 1m30s
    logging: {driver: json-file, options: {max-size: 1m}}
    ports: ["8080:80", {target: 53, published: 5353, protocol: udp, mode: host}, "7070"]
    volumes: [data:/data, /srv/host:/host:ro, {type: tmpfs, target: /t, tmpfs: {size: 1024}}]
    tmpfs: ["/run:size=64k,mode=1777"]
    networks: {front: {aliases: [www]}, back: {}}
    healthcheck: {test: [CMD, 'true'], interval: 5s, retries: 2, start_interval: 1s}
    secrets: [token, {source: token, target: /etc/token, uid: "7", gid: "8", mode: 0400}]
    configs: [conf]
    mem_limit: 64m
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      labels: {svc: "yes"}
      placement: {constraints: [node.role==worker], preferences: [{spread: node.labels.z}]}
      resources: {limits: {cpus: "0.5", pids: 10}, reservations: {cpus: "0.25", memory: 1m}}
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 1m}
      update_config: {parallelism: 1, delay: 2s, order: start-first, failure_action: rollback}
      rollback_config: {parallelism: 2, monitor: 5s}
  other:
    image: busybox:1
    restart: unless-stopped
    container_name: the-other
networks:
  front: {attachable: true, labels: {n: "1"}}
  back: {internal: true}
  unused: {}
  outside: {external: true}
volumes:
  data: {driver: local, driver_opts: {type: tmpfs}, labels: {v: "1"}}
secrets:
  token: {file: ./token.txt, labels: {s: "1"}}
configs:
  conf: {content: "hello"}
"""


def _load(tmp_path: Path, text: str, name: str = "demo") -> Project:
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(text))
    (tmp_path / "token.txt").write_text("s3cret")
    return load_project_at(tmp_path, name)


def load_project_at(directory: Path, name: str) -> Project:
    return load_project(directory / "compose.yaml", project_name=name)


def test_names_and_labels_follow_stack_deploy(tmp_path: Path) -> None:
    spec = swarm_service_specs(_load(tmp_path, FULL))["web"]
    assert spec.name == "demo_web"
    assert {k: v for k, v in spec.labels.items() if not k.startswith("io.orchestra")} == {
        "svc": "yes",
        "com.docker.compose.project": "demo",
        "com.docker.compose.service": "web",
        "com.docker.stack.namespace": "demo",
        "com.docker.stack.image": "busybox:1",
    }
    assert dict(spec.container_labels) == {
        "tier": "front",
        "com.docker.compose.project": "demo",
        "com.docker.compose.service": "web",
        "com.docker.stack.namespace": "demo",
    }
    assert spec.labels["io.orchestra.config-hash"] == swarm_config_hash(spec)


def test_container_fields(tmp_path: Path) -> None:
    spec = swarm_service_specs(_load(tmp_path, FULL))["web"]
    assert (spec.command, spec.args) == (("/bin/sh", "-c"), ("httpd", "-f"))
    assert spec.environment == ("A=1", "B=2")
    assert (spec.working_dir, spec.user, spec.hostname) == ("/srv", "1000", "webhost")
    assert spec.groups == ("100",)
    assert (spec.init, spec.read_only, spec.tty, spec.stdin_open) == (True, True, True, True)
    assert (spec.cap_add, spec.cap_drop) == (("NET_ADMIN",), ("MKNOD",))
    assert dict(spec.sysctls) == {"net.core.somaxconn": "1024"}
    assert spec.ulimits == (Ulimit("nofile", 10, 20), Ulimit("nproc", 512, 512))
    assert (spec.dns, spec.dns_search, spec.dns_opt) == (
        ("1.1.1.1",),
        ("example.com",),
        ("use-vc",),
    )
    assert spec.extra_hosts == ("db:10.0.0.2",)
    assert (spec.stop_signal, spec.stop_grace_period) == ("SIGINT", 90.0)
    assert spec.log_config == LogConfig("json-file", {"max-size": "1m"})
    # start_interval needs API 1.44: left out (check_swarm warns)
    assert spec.healthcheck == HealthSpec(test=("CMD", "true"), interval=5.0, retries=2)


def test_ports_mounts_and_networks(tmp_path: Path) -> None:
    spec = swarm_service_specs(_load(tmp_path, FULL))["web"]
    assert spec.ports == (
        ServicePort(7070),
        ServicePort(53, 5353, "udp", "host"),
        ServicePort(80, 8080),
    )
    assert spec.endpoint_mode == "dnsrr"
    assert spec.mounts == (
        Mount("volume", "/data", "demo_data"),
        Mount("bind", "/host", "/srv/host", read_only=True),
        Mount("tmpfs", "/t", tmpfs_size=1024),
        Mount("tmpfs", "/run", tmpfs_size=65536, tmpfs_mode=0o1777),
    )
    assert spec.volumes == (
        VolumeSpec(
            "demo_data",
            {
                "v": "1",
                "com.docker.stack.namespace": "demo",
                "com.docker.compose.project": "demo",
                "com.docker.compose.volume": "data",
            },
            "local",
            {"type": "tmpfs"},
        ),
    )
    # sorted by engine name; the file's aliases then the service name
    assert spec.networks == (
        ServiceAttachment("demo_back", ("web",)),
        ServiceAttachment("demo_front", ("www", "web")),
    )


def test_container_name_stays_reachable_as_an_alias(tmp_path: Path) -> None:
    spec = swarm_service_specs(_load(tmp_path, FULL))["other"]
    assert spec.name == "demo_other"
    assert spec.networks == (ServiceAttachment("demo_default", ("the-other", "other")),)


def test_deploy_fields(tmp_path: Path) -> None:
    spec = swarm_service_specs(_load(tmp_path, FULL))["web"]
    assert (spec.mode, spec.replicas) == ("replicated", 3)
    assert spec.placement == Placement(("node.role==worker",), ("node.labels.z",))
    # mem_limit counts as deploy.resources.limits.memory, as on the container backend
    assert spec.resources == ServiceResources(
        limit_nano_cpus=500_000_000,
        limit_memory=64 << 20,
        limit_pids=10,
        reservation_nano_cpus=250_000_000,
        reservation_memory=1 << 20,
    )
    assert spec.restart_policy == RestartPolicy("on-failure", 5.0, 3, 60.0)
    assert spec.update_config == UpdatePolicy(1, 2.0, "rollback", None, None, "start-first")
    assert spec.rollback_config == UpdatePolicy(parallelism=2, monitor=5.0)


def test_secrets_and_configs_are_versioned_file_mounts(tmp_path: Path) -> None:
    project = _load(tmp_path, FULL)
    spec = swarm_service_specs(project)["web"]
    token = f"demo_token-{value_digest(b's3cret')[:10]}"
    conf = f"demo_conf-{value_digest(b'hello')[:10]}"
    assert spec.secrets == (
        FileMount("secret", token, "token"),
        FileMount("secret", token, "/etc/token", "7", "8", 0o400),
    )
    assert spec.configs == (FileMount("config", conf, "conf"),)
    objects = swarm_object_specs(project)
    assert sorted(objects) == ["config:conf", "secret:token"]
    secret = objects["secret:token"]
    assert (secret.kind, secret.key, secret.name) == ("secret", "token", token)
    assert base64.b64decode(secret.data) == b"s3cret"
    assert dict(secret.labels) == {
        "s": "1",
        "com.docker.compose.project": "demo",
        "com.docker.stack.namespace": "demo",
        "com.docker.compose.secret": "token",
    }
    assert "s3cret" not in repr(secret) and "s3cret" not in repr(spec)


def test_a_changed_secret_value_renames_the_object_and_changes_the_hash(tmp_path: Path) -> None:
    before = swarm_service_specs(_load(tmp_path, FULL))["web"]
    (tmp_path / "token.txt").write_text("rotated")
    after = swarm_service_specs(load_project_at(tmp_path, "demo"))["web"]
    assert before.secrets[0].source != after.secrets[0].source
    assert before.labels["io.orchestra.config-hash"] != after.labels["io.orchestra.config-hash"]


def test_external_objects_keep_their_name_and_are_not_created(tmp_path: Path) -> None:
    text = """
    services:
      web: {image: busybox, secrets: [api], configs: [{source: site, target: /etc/site}]}
    secrets:
      api: {external: true, name: prod_api}
    configs:
      site: {external: true}
    """
    project = _load(tmp_path, text)
    spec = swarm_service_specs(project)["web"]
    assert spec.secrets == (FileMount("secret", "prod_api", "api"),)
    assert spec.configs == (FileMount("config", "site", "/etc/site"),)
    assert swarm_object_specs(project) == {}


def test_an_unreadable_secret_is_a_spec_error_before_mapping(tmp_path: Path) -> None:
    text = """
    services:
      web: {image: busybox, secrets: [gone]}
    secrets:
      gone: {file: ./missing.txt}
    """
    with pytest.raises(SpecError, match=r"services.web.secrets\[0\]: secret gone: file .* not"):
        swarm_service_specs(_load(tmp_path, text))


def test_scaling_is_not_an_update_but_any_other_change_is(tmp_path: Path) -> None:
    spec = swarm_service_specs(_load(tmp_path, FULL))["web"]
    assert swarm_config_hash(replace(spec, replicas=0)) == swarm_config_hash(spec)
    assert swarm_config_hash(replace(spec, image="busybox:2")) != swarm_config_hash(spec)
    moved = replace(spec, placement=Placement(("node.role==manager",)))
    assert swarm_config_hash(moved) != swarm_config_hash(spec)


def test_the_hash_does_not_depend_on_the_project_directory(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    text = "services:\n  web: {image: busybox, command: [sleep, '1']}\n"
    hashes = {
        swarm_service_specs(_load(d, text))["web"].labels["io.orchestra.config-hash"]
        for d in (one, two)
    }
    assert len(hashes) == 1


@pytest.mark.parametrize(
    ("restart", "expected"),
    [
        ("always", RestartPolicy("any")),
        ("unless-stopped", RestartPolicy("any")),
        ("on-failure", RestartPolicy("on-failure", max_attempts=0)),
        ("on-failure:3", RestartPolicy("on-failure", max_attempts=3)),
        ('"no"', RestartPolicy("none")),
    ],
)
def test_service_restart_maps_like_stack_deploy_but_no_means_no(
    tmp_path: Path, restart: str, expected: RestartPolicy
) -> None:
    text = f"services:\n  web: {{image: busybox, restart: {restart}}}\n"
    assert swarm_service_specs(_load(tmp_path, text))["web"].restart_policy == expected


def test_without_restart_swarm_default_applies(tmp_path: Path) -> None:
    text = "services:\n  web: {image: busybox}\n"
    spec = swarm_service_specs(_load(tmp_path, text))["web"]
    assert spec.restart_policy is None
    assert spec.networks == (ServiceAttachment("demo_default", ("web",)),)
    assert (spec.mode, spec.replicas, spec.command, spec.args) == ("replicated", 1, None, None)


def test_global_mode_scale_and_node_networks(tmp_path: Path) -> None:
    text = """
    services:
      agent: {image: busybox, deploy: {mode: global}, network_mode: host}
      worker: {image: busybox, scale: 4, network_mode: none}
      legacy: {image: busybox, network_mode: bridge}
    """
    specs = swarm_service_specs(_load(tmp_path, text))
    assert specs["agent"].mode == "global"
    assert specs["agent"].networks == (ServiceAttachment("host"),)
    assert (specs["worker"].replicas, specs["worker"].networks) == (4, (ServiceAttachment("none"),))
    assert specs["legacy"].networks == ()


def test_only_the_named_services(tmp_path: Path) -> None:
    project = _load(tmp_path, FULL)
    assert list(swarm_service_specs(project, ["other"])) == ["other"]
    with pytest.raises(UsageError, match="no such service: nope"):
        swarm_service_specs(project, ["nope"])


def test_networks_are_overlay_and_only_the_used_ones(tmp_path: Path) -> None:
    networks = swarm_network_specs(_load(tmp_path, FULL))
    assert sorted(networks) == ["back", "default", "front"]  # not unused, not outside
    front = networks["front"]
    assert (front.name, front.driver, front.attachable, front.internal) == (
        "demo_front",
        "overlay",
        True,
        False,
    )
    assert dict(front.labels) == {
        "n": "1",
        "com.docker.compose.project": "demo",
        "com.docker.compose.network": "front",
        "com.docker.stack.namespace": "demo",
    }
    assert networks["back"].internal


def test_tmpfs_entries() -> None:
    assert tmpfs_mount("/run") == Mount("tmpfs", "/run")
    assert tmpfs_mount("/tmp:rw,size=1m,noexec,mode=700") == Mount(
        "tmpfs", "/tmp", tmpfs_size=1 << 20, tmpfs_mode=0o700
    )
