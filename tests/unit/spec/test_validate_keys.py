"""Unknown versus unsupported attributes, x- extensions, and collecting every problem."""

from __future__ import annotations

import pytest
from raw_tree_builder import problems_of, service_problems

from orchestra.errors import SpecError
from orchestra.spec.normalize_service import SERVICE_KEYS, SERVICE_UNSUPPORTED


def test_unknown_attribute_names_the_closest_one() -> None:
    text = "services:\n  web:\n    image: x\n    imagee: y\n"
    assert problems_of(text) == [
        "compose.yaml:4:5: services.web.imagee: unknown attribute (did you mean 'image'?)"
    ]


def test_unknown_attribute_without_a_close_match() -> None:
    assert service_problems("zzzzzz: 1") == [
        "compose.yaml:4:5: services.web.zzzzzz: unknown attribute"
    ]


@pytest.mark.parametrize("attribute", sorted(SERVICE_UNSUPPORTED))
def test_compose_attributes_orchestra_lacks_are_named_as_such(attribute: str) -> None:
    assert service_problems(f"{attribute}: 1") == [
        f"compose.yaml:4:5: services.web.{attribute}: not supported by orchestra"
    ]


def test_supported_and_unsupported_do_not_overlap() -> None:
    assert not SERVICE_KEYS & SERVICE_UNSUPPORTED
    # design.md §8: every attribute of the list is supported
    for name in ("image", "build", "mem_limit", "cpus", "ulimits", "annotations", "volumes_from"):
        assert name in SERVICE_KEYS


@pytest.mark.parametrize(
    "body",
    [
        "x-note: 1",
        "healthcheck: {test: [CMD, x], x-note: 1}",
        "deploy: {x-note: 1, resources: {x-a: 1, limits: {x-b: 1}}}",
        "ports: [{target: 80, x-note: 1}]",
        "volumes: [{type: tmpfs, target: /t, x-note: 1}]",
        "build: {context: /c, x-note: 1}",
        "logging: {x-note: 1}",
        "depends_on: {db: {x-note: 1}}",
        "networks: {default: {x-note: 1}}",
        "environment: {x-kept: 1}",
    ],
)
def test_x_keys_are_ignored_everywhere(body: str) -> None:
    top = "  db:\n    image: x\nx-top: {anything: [1]}\nnetworks:\n  default:\n    x-n: 1\n"
    assert service_problems(body, top) == []


def test_every_problem_is_reported_in_file_order() -> None:
    text = """services:
  web:
    imagee: x
    ports: ["a:b"]
    mem_limit: 1zb
    depends_on: [nope]
  db:
    image: x
    restart: sometimes
    healthcheck: {interval: 1x}
networks:
  n: {drivr: x}
"""
    with pytest.raises(SpecError) as caught:
        from raw_tree_builder import load_text

        load_text(text)
    lines = [str(p) for p in caught.value.problems]
    assert [line.split(": ")[0] for line in lines] == [
        "compose.yaml:3:5",
        "compose.yaml:4:13",
        "compose.yaml:5:16",
        "compose.yaml:6:18",
        "compose.yaml:9:14",
        "compose.yaml:10:29",
        "compose.yaml:12:7",
    ]
    assert str(caught.value).startswith("7 problems in the Compose files:\n  compose.yaml:3:5: ")
