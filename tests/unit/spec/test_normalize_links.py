"""depends_on, service networks, network_mode, secrets and configs references."""

from __future__ import annotations

import pytest
from raw_tree_builder import load_text, problems_of, service_of, service_problems

from orchestra.spec.model import Dependency, FileReference, ServiceNetwork

TWO = "services:\n  web:\n    image: x\n{body}\n  db:\n    image: x\n"


def _web(body: str, extra: str = "") -> dict[str, Dependency]:
    indented = "\n".join(f"    {line}" for line in body.splitlines())
    return dict(load_text(TWO.format(body=indented) + extra).services["web"].depends_on)


def test_depends_on_list_becomes_long_form() -> None:
    assert _web("depends_on: [db]") == {"db": Dependency("service_started", True, False)}


def test_depends_on_long_form() -> None:
    deps = _web(
        "depends_on:\n  db: {condition: service_healthy, restart: true}\n"
        "  other: {condition: service_completed_successfully, required: false}",
        "  other:\n    image: x\n",
    )
    assert deps == {
        "db": Dependency("service_healthy", True, True),
        "other": Dependency("service_completed_successfully", False, False),
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "depends_on: {db: {condition: service_ready}}",
            "compose.yaml:4:34: services.web.depends_on.db.condition: unknown condition "
            "'service_ready'",
        ),
        (
            "depends_on: {db: {condtion: service_healthy}}",
            "depends_on.db.condtion: unknown attribute (did you mean 'condition'?)",
        ),
        ("depends_on: db", "services.web.depends_on: must be a mapping, not 'db'"),
        ("depends_on: {db: {required: sure}}", "depends_on.db.required: must be a boolean"),
    ],
)
def test_depends_on_problems(body: str, expected: str) -> None:
    found = problems_of(TWO.format(body=f"    {body}"))
    assert len(found) == 1, found
    assert expected in found[0]


def test_links_volumes_from_and_network_mode_are_dependencies_too() -> None:
    text = (
        "services:\n  a:\n    image: x\n    links: ['b:alias']\n    volumes_from: [c:ro, "
        "'container:other']\n  b:\n    image: x\n    network_mode: service:c\n  c:\n    image: x\n"
    )
    services = load_text(text).services
    assert dict(services["a"].depends_on) == {
        "b": Dependency(restart=True),
        "c": Dependency(restart=False),
    }
    assert dict(services["b"].depends_on) == {"c": Dependency(restart=True)}
    assert services["a"].links == ("b:alias",)
    assert services["a"].volumes_from == ("c:ro", "container:other")


@pytest.mark.parametrize("attribute", ["ipc", "pid"])
def test_ipc_and_pid_of_another_service_are_dependencies(attribute: str) -> None:
    assert _web(f"{attribute}: service:db") == {"db": Dependency(restart=True)}


def test_explicit_depends_on_wins_over_implicit() -> None:
    deps = _web("links: [db]\ndepends_on: {db: {condition: service_healthy}}")
    assert deps == {"db": Dependency("service_healthy")}


def test_service_networks_list_and_map() -> None:
    top = "networks: {front: {}, back: {}}"
    assert dict(service_of("networks: [front, back]", top).networks) == {
        "front": ServiceNetwork(),
        "back": ServiceNetwork(),
    }
    service = service_of(
        "networks:\n  front:\n    aliases: [x]\n    ipv4_address: 172.20.0.5\n    priority: 10\n"
        "    ipv6_address: '::5'\n    link_local_ips: [169.254.0.1]\n    gw_priority: 1\n"
        "    mac_address: '02:42:ac:11:00:02'\n    driver_opts: {a: 1}\n  back:",
        top,
    )
    front = service.networks["front"]
    assert (front.aliases, front.ipv4_address, front.priority) == (("x",), "172.20.0.5", 10)
    assert (front.ipv6_address, front.link_local_ips, front.gw_priority) == (
        "::5",
        ("169.254.0.1",),
        1,
    )
    assert front.mac_address == "02:42:ac:11:00:02" and dict(front.driver_opts) == {"a": "1"}
    assert service.networks["back"] == ServiceNetwork()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "networks: {front: {alias: [x]}}",
            "compose.yaml:4:24: services.web.networks.front.alias: unknown attribute (did you mean "
            "'aliases'?)",
        ),
        (
            "networks: {front: {interface_name: eth1}}",
            "networks.front.interface_name: not supported by orchestra",
        ),
        ("networks: front", "services.web.networks: must be a mapping"),
        ("networks: {front: {priority: high}}", "networks.front.priority: must be an integer"),
    ],
)
def test_service_network_problems(body: str, expected: str) -> None:
    found = service_problems(body, "networks: {front: {}}")
    assert len(found) == 1, found
    assert expected in found[0]


@pytest.mark.parametrize("mode", ["none", "host", "bridge", "container:abc", "mynet"])
def test_network_modes(mode: str) -> None:
    assert service_of(f"network_mode: '{mode}'").network_mode == mode


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("'service:'", "services.web.network_mode: service: needs a name after it"),
        ("bogus:x", "invalid network_mode 'bogus:x'"),
        ("service:nope", 'service "web" depends on undefined service "nope"'),
        ("service:web", 'service "web" depends on itself'),
        ("''", "services.web.network_mode: must not be empty"),
    ],
)
def test_network_mode_problems(mode: str, expected: str) -> None:
    found = service_problems(f"network_mode: {mode}")
    assert len(found) == 1, found
    assert expected in found[0]


def _plain(refs: tuple[FileReference, ...]) -> tuple[FileReference, ...]:
    """The references without the values the loader read (``secret_values``)."""
    return tuple(FileReference(r.source, r.target, r.uid, r.gid, r.mode) for r in refs)


def test_secret_and_config_references() -> None:
    top = "secrets: {s: {file: /s}, t: {file: /t}}\nconfigs: {c: {content: hi}}"
    service = service_of(
        "secrets: [s, {source: t, target: /run/x, uid: '1000', gid: '1', mode: 0440}]\n"
        "configs: [c, {source: c, target: /etc/c, mode: '0444'}]",
        top,
    )
    assert _plain(service.secrets) == (
        FileReference("s", "/run/secrets/s"),
        FileReference("t", "/run/x", "1000", "1", 0o440),
    )
    assert _plain(service.configs) == (
        FileReference("c"),
        FileReference("c", "/etc/c", mode=0o444),
    )


def test_secret_long_form_without_target_gets_the_default() -> None:
    service = service_of("secrets: [{source: s, mode: 288}]", "secrets: {s: {file: /s}}")
    assert _plain(service.secrets) == (FileReference("s", "/run/secrets/s", mode=0o440),)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("secrets: [{target: /x}]", "services.web.secrets[0]: 'source' is required"),
        ("secrets: [{source: s, mode: rw}]", "secrets[0].mode: must be an octal file mode"),
        ("configs: [{source: s, owner: me}]", "configs[0].owner: unknown attribute"),
        (
            "secrets: [nope]",
            'compose.yaml:4:15: services.web.secrets[0]: service "web" refers to undefined secret '
            '"nope"',
        ),
        ("configs: [{source: nope}]", 'refers to undefined config "nope"'),
    ],
)
def test_reference_problems(body: str, expected: str) -> None:
    found = service_problems(body, "secrets: {s: {file: /s}}\nconfigs: {s: {file: /s}}")
    assert len(found) == 1, found
    assert expected in found[0]
