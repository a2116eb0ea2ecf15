"""Variable substitution: template syntax (as `docker compose config` does it) and whole trees."""

from __future__ import annotations

import pytest

from orchestra.errors import Mark, Problem
from orchestra.spec.interpolate import (
    InterpolationError,
    interpolate_tree,
    substitute,
    unset_warning,
)
from orchestra.spec.yamlload import parse_yaml

ENV = {"SET": "val", "EMPTY": ""}


def run(template: str) -> tuple[str, list[str]]:
    unset: list[str] = []
    return substitute(template, ENV.get, unset.append), unset


# Expected values are what docker compose v2.40.3 printed for the same label value.
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plain", "plain"), ("$SET", "val"), ("${SET}", "val"), ("a$SET.b", "aval.b"),
        ("$SET-x", "val-x"), ("{$SET}", "{val}"), ("${SET}}", "val}"),
        ("$$SET", "$SET"), ("$$", "$"), ("$", "$"), ("a$", "a$"), ("$1", "$1"), ("$-x", "$-x"),
        ("$é", "$é"), ("${SET:-}", "val"), ("${SET-}", "val"),
        ("${UNSET:-d}", "d"), ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""), ("${UNSET-d}", "d"),
        ("${EMPTY:+a}", ""), ("${EMPTY+a}", "a"), ("${SET:+a}", "a"), ("${UNSET+a}", ""),
        ("${UNSET:+a}", ""), ("${EMPTY?oops}", ""), ("${SET:?oops}", "val"),
        ("${UNSET:-${SET:-x}}", "val"), ("${UNSET:-${UNSET2:-x}}", "x"),
        ("${UNSET:-a}b}", "ab}"), ("${UNSET:-$SET}", "val"), ("${SET:+${SET}x}", "valx"),
        ("${SE-T}", "T"), ("${UNSET:-a:b}", "a:b"), ("${UNSET:-a$$b}", "a$b"),
        ("${UNSET:-$}", "$"), ('${UNSET:-"q"}', '"q"'), ("${UNSET:-{a}}", "{a}"),
        ("${SET:-$UNSET}", "val"),
    ],
)  # fmt: skip
def test_substitution_matches_compose(template: str, expected: str) -> None:
    assert run(template)[0] == expected


@pytest.mark.parametrize(
    ("template", "unset"),
    [
        ("$UNSET", ["UNSET"]),
        ("${UNSET}", ["UNSET"]),
        ("$SET_x", ["SET_x"]),
        ("$set", ["set"]),
        ("$_", ["_"]),
        ("${UNSET:-d}", []),
        ("${SET:-$UNSET}", []),  # a default that is not used is not evaluated
        ("${UNSET:-$UNSET2}", ["UNSET2"]),
        ("$UNSET$UNSET", ["UNSET", "UNSET"]),
    ],
)
def test_unset_variables_become_empty_and_are_reported(template: str, unset: list[str]) -> None:
    value, reported = run(template)
    assert reported == unset
    if reported:
        assert value == ""


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("${UNSET:?oops it}", "required variable UNSET is missing a value: oops it"),
        ("${EMPTY:?oops}", "required variable EMPTY is missing a value: oops"),
        ("${UNSET?}", "required variable UNSET is missing a value"),
        ("${UNSET:?}", "required variable UNSET is missing a value"),
        ("${UNSET:?$SET}", "required variable UNSET is missing a value: val"),
        ("x ${UNSET:-${UNSET2:?inner}}", "required variable UNSET2 is missing a value: inner"),
    ],
)
def test_required_variables(template: str, message: str) -> None:
    with pytest.raises(InterpolationError) as caught:
        run(template)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "template",
    ["${1}", "${", "${SET", "${SET:x}", "${ SET}", "${SET }", "${}", "${UNSET:-${}",
     "${UNSET:=x}", "${a.b}", "${UNSET:-a\nb}", "ok ${"],
)  # fmt: skip
def test_bad_syntax_is_an_error(template: str) -> None:
    with pytest.raises(InterpolationError) as caught:
        run(template)
    assert str(caught.value) == (
        f'invalid interpolation format "{template}": you may need to escape any $ with another $'
    )


def test_unset_warning_text_is_compose_s() -> None:
    assert unset_warning("X") == 'The "X" variable is not set. Defaulting to a blank string.'


TREE = """\
name: ${NAME:-demo}
services:
  web:
    image: "nginx:${TAG}"
    ports: ["${PORT:-80}:80", 8080]
    ${KEY}: value
    environment:
      A: $$literal
      B: ${MISSING}
      C: 5
      D: true
x-extra: {nested: ["${TAG}", {deep: "${TAG}"}]}
"""


def test_tree_values_are_substituted_but_keys_and_non_strings_are_not() -> None:
    doc = parse_yaml(TREE, "compose.yaml")[0]
    result = interpolate_tree(doc, {"TAG": "1.25", "KEY": "no"})
    web = result.tree["services"]["web"]
    assert result.tree["name"] == "demo"
    assert web["image"] == "nginx:1.25"
    assert web["ports"] == ["80:80", 8080]
    assert web["${KEY}"] == "value"
    assert web["environment"] == {"A": "$literal", "B": "", "C": 5, "D": True}
    assert result.tree["x-extra"] == {"nested": ["1.25", {"deep": "1.25"}]}
    assert result.unset == ["MISSING"]
    assert result.problems == []


def test_tree_interpolation_keeps_marks_and_tags_and_does_not_touch_the_input() -> None:
    doc = parse_yaml("s:\n  image: ${TAG}\n  ports: !reset []\n  cmd: ['${TAG}']\n", "f.yaml")[0]
    result = interpolate_tree(doc, {"TAG": "t"})
    service = result.tree["s"]
    assert service.value_marks["image"] == Mark("f.yaml", 2, 10)
    assert service.tags == {"ports": "!reset"}
    assert service["cmd"].item_marks == [Mark("f.yaml", 4, 9)]
    assert doc["s"]["image"] == "${TAG}"


def test_tree_problems_carry_the_path_and_the_mark_of_the_value() -> None:
    text = "services:\n  web:\n    image: ${IMAGE:?set IMAGE}\n    command: [ok, '${BAD']\n"
    result = interpolate_tree(parse_yaml(text, "compose.yaml")[0], {})
    assert result.problems == [
        Problem(
            "services.web.image",
            "required variable IMAGE is missing a value: set IMAGE",
            Mark("compose.yaml", 3, 12),
        ),
        Problem(
            "services.web.command[1]",
            'invalid interpolation format "${BAD": you may need to escape any $ with another $',
            Mark("compose.yaml", 4, 19),
        ),
    ]
    assert str(result.problems[0]) == (
        "compose.yaml:3:12: services.web.image: required variable IMAGE is missing a value: "
        "set IMAGE"
    )


def test_unset_names_are_listed_once_in_first_use_order() -> None:
    doc = parse_yaml("a: $B\nb: [$A, $B, '${A}']\n", "f.yaml")[0]
    assert interpolate_tree(doc, {}).unset == ["B", "A"]
