"""Profiles, explicitly named services, and pruning of unused resources."""

from __future__ import annotations

import pytest
from raw_tree_builder import load_text, problems_of

from orchestra.errors import UsageError
from orchestra.spec.profiles import select_services

TEXT = """
services:
  base:
    image: x
  debug:
    image: x
    profiles: [dev]
    networks: [tools]
  both:
    image: x
    profiles: [dev, test]
  tester:
    image: x
    profiles: [test]
    depends_on: [both]
networks:
  tools: {}
volumes:
  unused: {}
"""


@pytest.mark.parametrize(
    ("profiles", "enabled"),
    [
        ((), ["base"]),
        (("dev",), ["base", "both", "debug"]),
        (("test",), ["base", "both", "tester"]),
        (("*",), ["base", "both", "debug", "tester"]),
        (("other",), ["base"]),
    ],
)
def test_profiles_enable_services(profiles: tuple[str, ...], enabled: list[str]) -> None:
    project = load_text(TEXT, profiles=profiles)
    assert sorted(project.services) == enabled
    assert sorted(project.disabled_services) == sorted(
        {"base", "debug", "both", "tester"} - set(enabled)
    )
    assert project.profiles == profiles


def test_resources_of_disabled_services_are_pruned() -> None:
    assert sorted(load_text(TEXT).networks) == ["default"]
    assert sorted(load_text(TEXT, profiles=("dev",)).networks) == ["default", "tools"]
    assert dict(load_text(TEXT).volumes) == {}


def test_an_enabled_service_may_not_need_a_disabled_one() -> None:
    text = (
        "services:\n  a:\n    image: x\n    depends_on: [b]\n"
        "  b:\n    image: x\n    profiles: [p]\n"
    )
    assert problems_of(text) == [
        'compose.yaml:4:18: services.a.depends_on[0]: service "a" depends on service "b", which '
        "is disabled (its profiles: p; enable one with --profile)"
    ]
    assert sorted(load_text(text, profiles=("p",)).services) == ["a", "b"]


def test_implicit_dependencies_on_disabled_services_are_located() -> None:
    text = "services:\n  a:\n    image: x\n    links: [b]\n  b:\n    image: x\n    profiles: [p]\n"
    assert problems_of(text)[0].startswith("compose.yaml:4:13: services.a.links[0]: ")


def test_optional_dependency_on_a_disabled_service_is_fine() -> None:
    text = (
        "services:\n  a:\n    image: x\n    depends_on: {b: {required: false}}\n"
        "  b:\n    image: x\n    profiles: [p]\n"
    )
    assert sorted(load_text(text).services) == ["a"]


def test_naming_a_service_activates_its_profiles_and_selects_its_dependencies() -> None:
    project = load_text(TEXT, services=("tester",))
    assert sorted(project.services) == ["both", "tester"]
    assert project.profiles == ("test",)
    assert sorted(project.networks) == ["default"]


def test_select_services_keeps_dependencies_and_prunes() -> None:
    project = load_text(TEXT, profiles=("*",))
    assert sorted(select_services(project, ["debug"]).services) == ["debug"]
    assert sorted(select_services(project, ["debug"]).networks) == ["tools"]
    assert sorted(select_services(project, ["tester", "base"]).services) == [
        "base",
        "both",
        "tester",
    ]


def test_select_unknown_or_disabled_service() -> None:
    project = load_text(TEXT)
    with pytest.raises(UsageError, match="no such service: nope"):
        select_services(project, ["nope"])
    with pytest.raises(UsageError, match="debug \\(disabled by its profiles\\)"):
        select_services(project, ["debug"])
