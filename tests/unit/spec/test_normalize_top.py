"""Top-level networks, volumes, secrets and configs: engine names, options, errors."""

from __future__ import annotations

import pytest
from raw_tree_builder import load_text, problems_of

from orchestra.spec.model import Config, Ipam, IpamPool, Network, Secret, Volume

USES_ALL = """
services:
  web:
    image: x
    networks: [front, ext, named, default]
    volumes: [v:/v, ev:/ev, nv:/nv]
    secrets: [s, es]
    configs: [c]
"""


def test_networks_get_engine_names_and_options() -> None:
    project = load_text(
        USES_ALL
        + """
networks:
  front:
    driver: bridge
    driver_opts: {mtu: 1500}
    attachable: true
    internal: true
    enable_ipv6: false
    labels: [a=b]
    ipam:
      driver: default
      config: [{subnet: 10.5.0.0/16, gateway: 10.5.0.1, ip_range: 10.5.1.0/24,
                aux_addresses: {h: 10.5.0.2}}]
  ext: {external: true}
  named: {name: custom-net}
volumes: {v: , ev: {external: true, name: realev}, nv: {name: custom-vol, driver: local,
          driver_opts: {type: tmpfs}, labels: {a: b}}}
secrets: {s: {file: /s}, es: {external: true}}
configs: {c: {content: hello}}
""",
        name="proj",
    )
    front = project.networks["front"]
    assert (front.name, front.driver, front.attachable, front.internal) == (
        "proj_front",
        "bridge",
        True,
        True,
    )
    assert front.enable_ipv6 is False and dict(front.driver_opts) == {"mtu": "1500"}
    assert dict(front.labels) == {"a": "b"}
    assert front.ipam == Ipam(
        "default",
        (IpamPool("10.5.0.0/16", "10.5.1.0/24", "10.5.0.1", front.ipam.config[0].aux_addresses),),
    )
    assert dict(front.ipam.config[0].aux_addresses) == {"h": "10.5.0.2"}
    assert project.networks["ext"] == Network(name="ext", external=True)
    assert project.networks["named"] == Network(name="custom-net")
    assert project.networks["default"] == Network(name="proj_default")
    assert project.volumes["v"] == Volume(name="proj_v")
    assert project.volumes["ev"] == Volume(name="realev", external=True)
    assert project.volumes["nv"].name == "custom-vol" and project.volumes["nv"].driver == "local"
    assert project.secrets["s"] == Secret(name="proj_s", file="/s")
    assert project.secrets["es"] == Secret(name="es", external=True)
    assert project.configs["c"] == Config(name="proj_c", content="hello")


def test_legacy_external_name() -> None:
    text = "services:\n  a:\n    image: x\n    networks: [n]\nnetworks:\n  n:\n    external:\n"
    project = load_text(text + "      name: real\n")
    assert project.networks["n"] == Network(name="real", external=True)


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (
            "networks: {n: {drivr: bridge}}",
            "compose.yaml:2:16: networks.n.drivr: unknown attribute (did you mean 'driver'?)",
        ),
        (
            "networks: {n: {external: true, driver: bridge}}",
            "networks.n.driver: cannot be set on an external network",
        ),
        (
            "networks: {n: {ipam: {config: [{subnet: 10.0.0.0/8, gw: x}]}}}",
            "networks.n.ipam.config[0].gw: unknown attribute",
        ),
        ("networks: {n: {internal: maybe}}", "networks.n.internal: must be a boolean"),
        ("networks: {'bad name': {}}", "networks.bad name: invalid name 'bad name'"),
        ("networks: [n]", "compose.yaml:2:11: networks: must be a mapping, not a list"),
        ("volumes: {v: {driver_opts: {a: }}}", "volumes.v.driver_opts.a: needs a value"),
        ("volumes: {v: {external: yes-please}}", "volumes.v.external: must be a boolean"),
        (
            "secrets: {s: {file: /s, environment: E}}",
            "compose.yaml:2:11: secrets.s: a secret needs exactly one of file, environment, "
            "content or external",
        ),
        (
            "secrets: {s: {content: x, environment: E}}",
            "secrets.s: a secret needs exactly one of file, environment, content or external",
        ),
        (
            "secrets: {s: }",
            "secrets.s: a secret needs one of file, environment, content or external",
        ),
        ("secrets: {s: {file: /s, driver: vault}}", "secrets.s.driver: not supported by orchestra"),
        (
            "configs: {c: {labels: {a: b}}}",
            "configs.c: a config needs exactly one of file, environment, content or external",
        ),
    ],
)
def test_top_level_problems_are_located(top: str, expected: str) -> None:
    found = problems_of(f"services: {{}}\n{top}\n")
    assert len(found) == 1, found
    assert expected in found[0]


def test_top_level_keys() -> None:
    found = problems_of("services: {}\nservice: {}\nmodels: {}\nx-anything: 1\nname: demo\n")
    assert found == [
        "compose.yaml:2:1: service: unknown attribute (did you mean 'services'?)",
        "compose.yaml:3:1: models: not supported by orchestra",
    ]


def test_no_services_is_an_empty_project() -> None:
    project = load_text("networks: {n: {}}\n")
    assert dict(project.services) == {} and dict(project.networks) == {}
