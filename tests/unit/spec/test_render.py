"""project_to_dict against the shapes `docker compose config --format json` v2.40.3 printed.

Each expected value below was copied from the oracle's output for the same YAML.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from raw_tree_builder import load_text, one_service

from orchestra.spec.render import project_to_dict

NULLS = {"command": None, "entrypoint": None}


def _web(body: str, top: str = "", **overrides: Any) -> dict[str, Any]:
    rendered = project_to_dict(load_text(one_service(body, top), **overrides))
    web: dict[str, Any] = rendered["services"]["web"]
    return web


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", {"image": "busybox", "networks": {"default": None}, **NULLS}),
        ("command: sh -c 'a b'", {"command": ["sh", "-c", "a b"]}),
        ("entrypoint: []", {"entrypoint": []}),
        (
            "mem_limit: 500m\nmemswap_limit: 1g\nshm_size: 64m\nmem_reservation: 100m",
            {
                "mem_limit": "524288000",
                "memswap_limit": "1073741824",
                "shm_size": "67108864",
                "mem_reservation": "104857600",
            },
        ),
        (
            "cpus: 0.5\ncpu_shares: 512\npids_limit: 100",
            {"cpus": 0.5, "cpu_shares": 512, "pids_limit": 100},
        ),
        ("cpus: 2", {"cpus": 2}),
        ("stop_grace_period: 90s", {"stop_grace_period": "1m30s"}),
        ("stop_grace_period: 0s", {"stop_grace_period": "0s"}),
        ("scale: 0\ninit: false", {"scale": 0, "init": False}),
        ("tty: false\nprivileged: false\ncpu_shares: 0\nread_only: false", {}),
        ("environment: [A=1, B, HOME]", {"environment": {"A": "1", "B": None, "HOME": "/root"}}),
        ("labels: [a=b, c]", {"labels": {"a": "b", "c": ""}}),
        ('extra_hosts: ["b=::1", "a:1.2.3.4"]', {"extra_hosts": ["a=1.2.3.4", "b=::1"]}),
        (
            "ulimits: {nofile: {soft: 0, hard: 0}}",
            {"ulimits": {"nofile": {}}},
        ),
        (
            "ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 65535, core: 0}",
            {"ulimits": {"nofile": {"soft": 1024, "hard": 2048}, "nproc": 65535, "core": {}}},
        ),
        ("sysctls: [a.b=1]", {"sysctls": {"a.b": "1"}}),
        (
            "healthcheck: {test: wget -q x, interval: 1m30s, timeout: 10s, retries: 3}",
            {
                "healthcheck": {
                    "test": ["CMD-SHELL", "wget -q x"],
                    "interval": "1m30s",
                    "timeout": "10s",
                    "retries": 3,
                }
            },
        ),
        ("healthcheck: {disable: true}", {"healthcheck": {"disable": True}}),
        ("healthcheck: {}", {"healthcheck": {}}),
        (
            "healthcheck: {retries: 0, start_period: 1500ms}",
            {"healthcheck": {"retries": 0, "start_period": "1.5s"}},
        ),
        ("deploy: {}", {"deploy": {"resources": {}, "placement": {}}}),
        (
            "deploy: {replicas: 2, resources: {limits: {cpus: '0.5', memory: 50M, pids: 10}, "
            "reservations: {memory: 20m}}}",
            {
                "deploy": {
                    "replicas": 2,
                    "resources": {
                        "limits": {"cpus": 0.5, "memory": "52428800", "pids": 10},
                        "reservations": {"memory": "20971520"},
                    },
                    "placement": {},
                }
            },
        ),
        (
            "deploy: {restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, "
            "window: 2m}, update_config: {parallelism: 0, order: start-first}}",
            {
                "deploy": {
                    "restart_policy": {
                        "condition": "on-failure",
                        "delay": "5s",
                        "max_attempts": 3,
                        "window": "2m0s",
                    },
                    "update_config": {"parallelism": 0, "order": "start-first"},
                    "resources": {},
                    "placement": {},
                }
            },
        ),
        (
            "logging: {driver: json-file, options: {max-size: 10m}}",
            {"logging": {"driver": "json-file", "options": {"max-size": "10m"}}},
        ),
        ("logging: {}", {"logging": {}}),
        (
            'devices: ["/dev/a", {source: /dev/f, target: /dev/g}]',
            {
                "devices": [
                    {"source": "/dev/a", "target": "/dev/a", "permissions": "rwm"},
                    {"source": "/dev/f", "target": "/dev/g"},
                ]
            },
        ),
        (
            "cap_add: [A, A]\ndns: 8.8.8.8\ntmpfs: /run",
            {"cap_add": ["A"], "dns": ["8.8.8.8"], "tmpfs": ["/run"]},
        ),
    ],
)
def test_service_attributes_render_like_compose(body: str, expected: dict[str, Any]) -> None:
    web = _web(body, environment={"HOME": "/root"})
    for key, value in expected.items():
        assert web[key] == value, key
    if not expected:
        assert set(web) == {"image", "networks", "command", "entrypoint"}


def test_ports_render_like_compose() -> None:
    web = _web(
        'ports: [80, "127.0.0.1:8081:81/udp", "8000-8005:80", {target: 443, published: '
        "8443, mode: host, name: web, app_protocol: http}]"
    )
    assert web["ports"] == [
        {"mode": "ingress", "target": 80, "protocol": "tcp"},
        {
            "mode": "ingress",
            "host_ip": "127.0.0.1",
            "target": 81,
            "published": "8081",
            "protocol": "udp",
        },
        {"mode": "ingress", "target": 80, "published": "8000-8005", "protocol": "tcp"},
        {
            "name": "web",
            "mode": "host",
            "target": 443,
            "published": "8443",
            "protocol": "tcp",
            "app_protocol": "http",
        },
    ]


def test_volumes_render_like_compose() -> None:
    web = _web(
        "volumes: [/data:/data:ro, named:/named, /abs:/abs:z, /anon, "
        "{type: tmpfs, target: /t, tmpfs: {size: 1000, mode: 0755}}, "
        "{type: bind, source: /x, target: /y}, {type: volume, target: /z}, "
        "{type: volume, source: named, target: /v, volume: {nocopy: true, subpath: s}}]",
        "volumes: {named: {}}",
    )
    assert web["volumes"] == [
        {
            "type": "bind",
            "source": "/data",
            "target": "/data",
            "read_only": True,
            "bind": {"create_host_path": True},
        },
        {"type": "volume", "source": "named", "target": "/named", "volume": {}},
        {
            "type": "bind",
            "source": "/abs",
            "target": "/abs",
            "bind": {"selinux": "z", "create_host_path": True},
        },
        {"type": "volume", "target": "/anon", "volume": {}},
        {"type": "tmpfs", "target": "/t", "tmpfs": {"size": "1000", "mode": 493}},
        {"type": "bind", "source": "/x", "target": "/y"},
        {"type": "volume", "target": "/z"},
        {
            "type": "volume",
            "source": "named",
            "target": "/v",
            "volume": {"nocopy": True, "subpath": "s"},
        },
    ]


def test_dependencies_render_like_compose() -> None:
    text = (
        "services:\n  a:\n    image: x\n    links: [b]\n    depends_on:\n"
        "      c: {condition: service_healthy, required: false}\n"
        "  b:\n    image: x\n    volumes_from: [c]\n  c:\n    image: x\n"
    )
    services = project_to_dict(load_text(text))["services"]
    assert services["a"]["depends_on"] == {
        "c": {"condition": "service_healthy", "required": False},
        "b": {"condition": "service_started", "restart": True, "required": True},
    }
    assert services["b"]["depends_on"] == {"c": {"condition": "service_started", "required": True}}


def test_secrets_and_configs_render_like_compose() -> None:
    web = _web(
        "secrets: [s1, {source: s2, target: /run/x, uid: '1000', mode: 0440}]\n"
        "configs: [c1, {source: c1, target: /c, mode: 0444}]",
        "secrets: {s1: {file: /s}, s2: {environment: HOME}}\nconfigs: {c1: {content: hello}}",
    )
    assert web["secrets"] == [
        {"source": "s1", "target": "/run/secrets/s1"},
        {"source": "s2", "target": "/run/x", "uid": "1000", "mode": "0440"},
    ]
    assert web["configs"] == [{"source": "c1"}, {"source": "c1", "target": "/c", "mode": "0444"}]


def test_whole_project_renders_like_compose() -> None:
    text = """
name: probe
services:
  app:
    image: x
    networks:
      front: {aliases: [a], ipv4_address: 172.20.0.5, priority: 10}
      ext:
    volumes: [v:/v, ev:/ev]
    secrets: [s]
    configs: [c]
    build: {context: /ctx, args: {A: "1", B: }, labels: [x=y], no_cache: true}
networks:
  front:
    driver_opts: {mtu: 1500}
    ipam: {config: [{subnet: 172.20.0.0/16}], options: {dropped: "yes"}}
    enable_ipv6: false
  ext: {external: true}
  unused: {}
volumes: {v: {labels: [a=1]}, ev: {external: true, name: realev}, unused: {}}
secrets: {s: {file: /s}}
configs: {c: {environment: HOME}}
"""
    assert project_to_dict(load_text(text, name="probe")) == {
        "name": "probe",
        "networks": {
            "front": {
                "name": "probe_front",
                "driver_opts": {"mtu": "1500"},
                "ipam": {"config": [{"subnet": "172.20.0.0/16"}]},
                "enable_ipv6": False,
            },
            "ext": {"name": "ext", "ipam": {}, "external": True},
        },
        "volumes": {
            "v": {"name": "probe_v", "labels": {"a": "1"}},
            "ev": {"name": "realev", "external": True},
        },
        "secrets": {"s": {"name": "probe_s", "file": "/s"}},
        "configs": {"c": {"name": "probe_c", "environment": "HOME"}},
        "services": {
            "app": {
                "image": "x",
                **NULLS,
                "build": {
                    "context": "/ctx",
                    "dockerfile": "Dockerfile",
                    "args": {"A": "1"},
                    "labels": {"x": "y"},
                    "no_cache": True,
                },
                "networks": {
                    "front": {"aliases": ["a"], "ipv4_address": "172.20.0.5", "priority": 10},
                    "ext": None,
                },
                "volumes": [
                    {"type": "volume", "source": "v", "target": "/v", "volume": {}},
                    {"type": "volume", "source": "ev", "target": "/ev", "volume": {}},
                ],
                "secrets": [{"source": "s", "target": "/run/secrets/s"}],
                "configs": [{"source": "c"}],
            }
        },
    }


def test_dollars_are_escaped_and_output_is_json() -> None:
    web = _web("environment: {A: a$b}\nworking_dir: /w$")
    assert web["environment"] == {"A": "a$$b"} and web["working_dir"] == "/w$$"
    json.dumps(project_to_dict(load_text(one_service("labels: [a=1]"))))


def test_top_level_extensions_are_kept_as_plain_data() -> None:
    text = "x-common: &c {size: 5, list: [1, {a: b}]}\nservices:\n  web:\n    image: x\n"
    rendered = project_to_dict(load_text(text))
    assert rendered["x-common"] == {"size": 5, "list": [1, {"a": "b"}]}


def test_profiles_and_empty_sections() -> None:
    rendered = project_to_dict(load_text("services: {}\n", name="e"))
    assert rendered == {"name": "e", "services": {}}
    web = _web("profiles: [p]", profiles=("p",))
    assert web["profiles"] == ["p"]
