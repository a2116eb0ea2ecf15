"""References across the project: undefined services and resources, self-dependency, rings."""

from __future__ import annotations

import pytest
from raw_tree_builder import load_text, problems_of

from orchestra.errors import DependencyCycleError


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        (
            "depends_on: [db, zz]",
            'compose.yaml:4:22: services.web.depends_on[1]: service "web" depends on undefined '
            'service "zz"',
        ),
        (
            "depends_on: {zz: {condition: service_started}}",
            'compose.yaml:4:18: services.web.depends_on.zz: service "web" depends on undefined '
            'service "zz"',
        ),
        ("links: ['zz:alias']", 'services.web.links[0]: service "web" depends on undefined'),
        ("volumes_from: ['zz:ro']", 'services.web.volumes_from[0]: service "web" depends on'),
        (
            "network_mode: service:zz",
            'compose.yaml:4:19: services.web.network_mode: service "web" depends on undefined',
        ),
        ("depends_on: [web]", 'services.web.depends_on[0]: service "web" depends on itself'),
        (
            "networks: [nope]",
            'compose.yaml:4:16: services.web.networks[0]: service "web" refers to undefined '
            'network "nope"',
        ),
        ("volumes: ['nope:/x']", 'refers to undefined volume "nope"'),
    ],
)
def test_undefined_references_are_located(attribute: str, expected: str) -> None:
    text = f"services:\n  web:\n    image: x\n    {attribute}\n  db:\n    image: x\n"
    found = problems_of(text)
    assert len(found) == 1, found
    assert expected in found[0]


def test_default_network_needs_no_definition() -> None:
    project = load_text("services:\n  web:\n    image: x\n    networks: [default]\n", name="p")
    assert project.networks["default"].name == "p_default"


@pytest.mark.parametrize(
    ("text", "cycle", "where"),
    [
        (
            "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n"
            "    depends_on: [a]\n",
            ["a", "b", "a"],
            "compose.yaml:4:18: services.a.depends_on[0]",
        ),
        (
            "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n"
            "    links: [c]\n  c:\n    image: x\n    network_mode: service:a\n",
            ["a", "b", "c", "a"],
            "compose.yaml:4:18",
        ),
    ],
)
def test_dependency_rings_are_reported_with_a_mark(text: str, cycle: list[str], where: str) -> None:
    with pytest.raises(DependencyCycleError) as caught:
        load_text(text)
    assert caught.value.cycle == cycle
    assert str(caught.value).startswith(where)
    assert f"dependency cycle: {' -> '.join(cycle)}" in str(caught.value)


def test_other_problems_come_before_rings() -> None:
    text = (
        "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n"
        "    depends_on: [a]\n    imagee: y\n"
    )
    assert problems_of(text) == [
        "compose.yaml:8:5: services.b.imagee: unknown attribute (did you mean 'image'?)"
    ]
