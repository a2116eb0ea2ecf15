"""``check_swarm``: what Swarm cannot keep is one SpecError; what it ignores, warnings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from orchestra.api_load import load_project
from orchestra.errors import SpecError
from orchestra.plan.swarm_capabilities import check_swarm
from orchestra.spec.model import Project


def _project(tmp_path: Path, services: str, top: str = "", name: str = "demo") -> Project:
    text = "services:\n" + textwrap.indent(textwrap.dedent(services).strip(), "  ") + "\n"
    (tmp_path / "compose.yaml").write_text(text + textwrap.dedent(top))
    return load_project(tmp_path / "compose.yaml", project_name=name)


def _refusals(tmp_path: Path, services: str, top: str = "", name: str = "demo") -> list[str]:
    with pytest.raises(SpecError) as caught:
        check_swarm(_project(tmp_path, services, top, name))
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("network_mode: service:db", "services.web.network_mode: service:db: a service's tasks"),
        ("network_mode: container:abc", "services.web.network_mode: container:abc"),
        ("ipc: service:db", "services.web.ipc: service:db"),
        ("pid: container:abc", "services.web.pid: container:abc"),
        ("volumes_from: [db]", "services.web.volumes_from: tasks on different nodes"),
        ("links: ['db:database']", "services.web.links: db:database: Swarm has no link alias"),
        ("external_links: [legacy]", "services.web.external_links: Swarm tasks cannot link"),
        (
            "depends_on: {db: {condition: service_completed_successfully}}",
            "services.web.depends_on.db.condition: service_completed_successfully: a Swarm",
        ),
        ("ports: ['127.0.0.1:80:80']", "services.web.ports[0].host_ip: 127.0.0.1: Swarm publish"),
        ("ports: ['8000-8001:80']", "services.web.ports[0].published: 8000-8001: Swarm publish"),
        (
            "networks: {default: {ipv4_address: 172.30.0.5}}",
            "services.web.networks.default.ipv4_address: Swarm gives each task an address",
        ),
        (
            "volumes: [{type: volume, source: v, target: /v, volume: {subpath: a}}]",
            "services.web.volumes[0].volume.subpath: needs Docker Engine API 1.45",
        ),
    ],
)
def test_what_cannot_keep_its_meaning_is_refused(
    tmp_path: Path, service: str, expected: str
) -> None:
    services = f"""
    db: {{image: busybox}}
    web:
      image: busybox
      {service}
    """
    top = "volumes:\n  v: {}\nnetworks:\n  default: {ipam: {config: [{subnet: 172.30.0.0/24}]}}\n"
    found = _refusals(tmp_path, services, top)
    assert len(found) == 1, found
    assert found[0].startswith("compose.yaml: services.web."), found
    assert expected in found[0]


def test_a_build_only_service_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    found = _refusals(tmp_path, "app: {build: .}")
    assert found == [
        "compose.yaml: services.app.image: a Swarm service needs an image every node can pull: "
        "build and push it (orchestra build, orchestra push), then name it in image:"
    ]


def test_a_bridge_network_is_refused(tmp_path: Path) -> None:
    found = _refusals(
        tmp_path, "web: {image: busybox, networks: [lan]}", "networks:\n  lan: {driver: bridge}\n"
    )
    assert found == [
        "compose.yaml: networks.lan.driver: 'bridge': Swarm services join only overlay networks "
        "(leave driver unset or write overlay)"
    ]


def test_a_service_name_swarm_would_refuse(tmp_path: Path) -> None:
    found = _refusals(tmp_path, "web: {image: busybox}", name="p" * 60)
    assert found == [
        f"compose.yaml: services.web.name: {'p' * 60}_web is longer than 63 characters"
    ]


def test_every_problem_comes_in_one_error(tmp_path: Path) -> None:
    services = """
    db: {image: busybox}
    web: {image: busybox, volumes_from: [db], network_mode: "service:db"}
    api: {image: busybox, ports: ["127.0.0.1:80:80"]}
    """
    with pytest.raises(SpecError) as caught:
        check_swarm(_project(tmp_path, services))
    assert [p.path for p in caught.value.problems] == [
        "compose.yaml: services.api.ports[0].host_ip",
        "compose.yaml: services.web.network_mode",
        "compose.yaml: services.web.volumes_from",
    ]
    assert str(caught.value).startswith("3 problems in the Compose files:")
    assert caught.value.exit_code == 2


def test_what_swarm_ignores_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    services = """
    web:
      image: example/web:1
      build: .
      privileged: true
      devices: ["/dev/null:/dev/xnull"]
      security_opt: [no-new-privileges:true]
      cpu_shares: 512
      shm_size: 64m
      expose: ["80"]
      container_name: web-1
      restart: always
      links: [db]
      ipc: host
      tmpfs: ["/run:size=1m,noexec"]
      volumes: [/srv:/srv]
      healthcheck: {test: [CMD, "true"], start_interval: 1s}
      deploy: {restart_policy: {condition: any}}
    db: {image: busybox}
    agent: {image: busybox, deploy: {mode: global, replicas: 2}}
    """
    warnings = check_swarm(_project(tmp_path, services))
    assert warnings == [
        "service agent: replicas are ignored: a global service runs one task per node",
        "service web: privileged is ignored on Swarm",
        "service web: devices is ignored on Swarm",
        "service web: security_opt is ignored on Swarm",
        "service web: cpu_shares is ignored on Swarm",
        "service web: shm_size is ignored on Swarm",
        "service web: expose (services on a shared network reach every port) is ignored on Swarm",
        "service web: build is ignored on Swarm: nodes run example/web:1 (push it where they "
        "can pull)",
        "service web: container_name web-1 is not a task name on Swarm: it is kept as a network "
        "alias",
        "service web: ipc: host is ignored on Swarm",
        "service web: links are not needed on Swarm: services reach each other by name",
        "service web: restart is ignored: deploy.restart_policy applies",
        "service web: healthcheck.start_interval needs Docker Engine API 1.44: ignored",
        "service web: tmpfs /run:size=1m,noexec: only size and mode are kept on Swarm",
        "service web: bind mount /srv: the path must exist on every node that may run the task "
        "(Swarm does not create it)",
    ]


def test_a_plain_file_has_nothing_to_say(tmp_path: Path) -> None:
    services = """
    web:
      image: busybox
      ports: ["8080:80"]
      depends_on: {db: {condition: service_healthy}}
      deploy: {replicas: 2, placement: {constraints: [node.role==worker]}}
    db: {image: busybox, healthcheck: {test: [CMD, "true"]}}
    """
    assert check_swarm(_project(tmp_path, services)) == []


def test_one_secret_mounted_twice_with_different_modes_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("x")
    services = """
    web:
      image: busybox
      secrets: [t, {source: t, target: /etc/t, mode: 0400}, {source: t, target: /etc/u, mode: 0400}]
    """
    warnings = check_swarm(_project(tmp_path, services, "secrets:\n  t: {file: ./t.txt}\n"))
    assert warnings == [
        "service web: secret t is mounted twice with different uid/gid/mode: on Swarm both "
        "files get the last one's"
    ]
