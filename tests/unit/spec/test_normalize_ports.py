"""ports and expose: every short form to long, the long form, and the errors with their marks."""

from __future__ import annotations

import pytest
from raw_tree_builder import service_of, service_problems

from orchestra.spec.model import Port
from orchestra.spec.normalize_ports import parse_port_spec


@pytest.mark.parametrize(
    ("spec", "ports"),
    [
        ("80", [Port(80)]),
        ("8080:80", [Port(80, "8080")]),
        ("127.0.0.1:8080:80", [Port(80, "8080", "127.0.0.1")]),
        ("127.0.0.1::80", [Port(80, None, "127.0.0.1")]),
        ("[::1]:9000:9000", [Port(9000, "9000", "::1")]),
        ("9001:9001/udp", [Port(9001, "9001", protocol="udp")]),
        ("53/sctp", [Port(53, protocol="sctp")]),
        ("8000-8001:80-81", [Port(80, "8000"), Port(81, "8001")]),
        ("8000-8005:80", [Port(80, "8000-8005")]),
        ("80-81", [Port(80), Port(81)]),
        (
            "0.0.0.0:7000-7001:7000-7001/udp",
            [Port(7000, "7000", "0.0.0.0", "udp"), Port(7001, "7001", "0.0.0.0", "udp")],
        ),
    ],
)
def test_short_port_forms(spec: str, ports: list[Port]) -> None:
    assert parse_port_spec(spec) == ports


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("99999:80", "host port 99999 is out of range"),
        ("80:0", "container port 0 is out of range"),
        ("a:b", "'b' is not a port number"),
        ("80/icmp", "unknown protocol 'icmp'"),
        ("8000-8002:80-81", "different lengths"),
        ("81-80", "ends before it starts"),
        ("[::1:80", "in brackets"),
    ],
)
def test_bad_short_ports(spec: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_port_spec(spec)


def test_ports_in_a_service_mix_ints_strings_and_long_form() -> None:
    service = service_of(
        """
        ports:
          - 80
          - "8080:80"
          - target: 443
            published: 8443
            host_ip: 127.0.0.1
            protocol: udp
            mode: host
            name: web
            app_protocol: http
          - {target: "81", published: "9002-9003"}
        """
    )
    assert service.ports == (
        Port(80),
        Port(80, "8080"),
        Port(443, "8443", "127.0.0.1", "udp", "host", "web", "http"),
        Port(81, "9002-9003"),
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'ports: ["99999:80"]',
            "compose.yaml:4:13: services.web.ports[0]: invalid port '99999:80'",
        ),
        ('ports: "80"', "compose.yaml:4:12: services.web.ports: must be a list"),
        ("ports: [80.5]", "services.web.ports[0]: must be a port string"),
        ("ports: [{published: 80}]", "services.web.ports[0]: a port needs a 'target'"),
        ("ports: [{target: 0}]", "container port 0 is out of range"),
        ("ports: [{target: 80, protocol: icmp}]", "protocol: must be one of sctp, tcp, udp"),
        ("ports: [{target: 80, mode: global}]", "mode: must be one of host, ingress"),
        ("ports: [{target: 80, published: x}]", "published: host port 'x' is not a port"),
        (
            "ports: [{target: 80, hostip: x}]",
            "compose.yaml:4:26: services.web.ports[0].hostip: unknown attribute (did you mean "
            "'host_ip'?)",
        ),
    ],
)
def test_port_problems_are_located(body: str, expected: str) -> None:
    found = service_problems(body)
    assert len(found) == 1
    assert expected in found[0]


def test_expose_accepts_numbers_ranges_and_protocols() -> None:
    service = service_of('expose: [3000, "5000-5002", "6000/udp"]')
    assert service.expose == ("3000", "5000-5002", "6000/udp")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("expose: 80", "services.web.expose: must be a list"),
        ('expose: ["x"]', "invalid exposed port 'x'"),
        ('expose: ["80/icmp"]', "unknown protocol 'icmp'"),
    ],
)
def test_expose_problems(body: str, expected: str) -> None:
    assert any(expected in p for p in service_problems(body))
