"""The YAML reader: yaml.v3 scalars, anchors and merge keys, tags, marks, errors and limits."""

from __future__ import annotations

import math
import resource
import time
from pathlib import Path
from typing import Any

import pytest

from orchestra.errors import Mark, SpecError
from orchestra.spec.raw import RList, RMap
from orchestra.spec.read import MAX_FILE_BYTES, read_compose_file
from orchestra.spec.yamlload import MAX_ALIAS_NODES, parse_yaml, resolve_plain


def one(text: str) -> RMap:
    docs = parse_yaml(text, "f.yaml")
    assert len(docs) == 1
    return docs[0]


def error_of(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        parse_yaml(text, "f.yaml")
    return str(caught.value)


# What `docker compose config` (yaml.v3) makes of each plain scalar, checked with the oracle.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"),
        ("Yes", "Yes"), ("true", True), ("True", True), ("TRUE", True), ("tRUE", "tRUE"),
        ("false", False), ("FALSE", False), ("~", None), ("null", None), ("Null", None),
        ("NULL", None), ("", None), ("12", 12), ("-12", -12), ("+12", 12), ("0755", 493),
        ("0o755", 493), ("0o8", "0o8"), ("00", 0), ("09", 9.0), ("0x1F", 31), ("-0x10", -16),
        ("0b101", 5), ("1_000", 1000), ("1e3", 1000.0), ("1E3", 1000.0), ("1.0e+3", 1000.0),
        ("1.5", 1.5), (".5", 0.5), ("5.", 5.0), ("1_0.5", 10.5), ("1:20", "1:20"),
        ("2001-12-14", "2001-12-14"), ("123456789012345678901234567890", 1.2345678901234568e29),
        ("-", "-"), ("1.2.3", "1.2.3"), ("80/tcp", "80/tcp"), ("0.0.0.0:80:80", "0.0.0.0:80:80"),
    ],
)  # fmt: skip
def test_plain_scalars_resolve_like_yaml_v3(text: str, expected: Any) -> None:
    value = resolve_plain(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(("text", "sign"), [(".inf", 1), ("+.Inf", 1), ("-.INF", -1)])
def test_infinities(text: str, sign: int) -> None:
    value = resolve_plain(text)
    assert math.isinf(value) and math.copysign(1, value) == sign


def test_nan() -> None:
    assert math.isnan(resolve_plain(".NaN"))


def test_values_in_a_document_use_the_same_rules() -> None:
    doc = one("a: yes\nb: 0755\nc: '0755'\nd: \"on\"\ne: 1e3\nf:\ng: [on, 1, '1']\n")
    assert doc == {"a": "yes", "b": 493, "c": "0755", "d": "on", "e": 1000.0, "f": None,
                   "g": ["on", 1, "1"]}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !!str 12", "12"),
        ("a: !!int '12'", 12),
        ("a: !!float 1", 1.0),
        ("a: !!bool 'true'", True),
        ("a: !!null ''", None),
        ("a: !!binary aGVsbG8=", "hello"),
        ("a: !!timestamp 2001-12-14", "2001-12-14"),
        ("a: !!map {b: 1}", {"b": 1}),
        ("a: !!seq [1]", [1]),
    ],
)
def test_core_tags_are_honoured(text: str, expected: Any) -> None:
    value = one(text)["a"]
    assert value == expected
    assert type(value) is type(expected) or isinstance(value, RMap | RList)


def test_reset_and_override_tags_are_recorded_and_a_reset_value_is_dropped() -> None:
    doc = one("s:\n  ports: !reset ['80:80']\n  labels: !override {a: 1}\n  image: x\n")
    service = doc["s"]
    assert service.tags == {"ports": "!reset", "labels": "!override"}
    assert service["ports"] is None
    assert service["labels"] == {"a": 1}


def test_reset_items_of_a_sequence_are_dropped() -> None:
    assert one("a: [1, !reset 2, 3]\n")["a"] == [1, 3]


def test_anchors_and_aliases_are_expanded_into_independent_copies() -> None:
    doc = one("x-base: &b {image: x, env: [A]}\nservices:\n  a: *b\n  c: *b\n")
    a, c = doc["services"]["a"], doc["services"]["c"]
    assert a == c == {"image": "x", "env": ["A"]}
    assert a is not c and a["env"] is not c["env"]


def test_merge_keys_with_a_list_earlier_maps_win_and_explicit_keys_win_over_all() -> None:
    doc = one(
        "x-a: &a {image: x, environment: {A: 1}}\n"
        "x-b: &b {labels: {L: 1}, image: z, command: b}\n"
        "s:\n  <<: [*a, *b]\n  command: c\n"
    )
    assert doc["s"] == {
        "command": "c",
        "image": "x",
        "environment": {"A": 1},
        "labels": {"L": 1},
    }


def test_merge_key_keeps_marks_of_the_merged_values() -> None:
    doc = one("x-a: &a\n  image: x\ns:\n  <<: *a\n")
    assert doc["s"].value_marks["image"] == Mark("f.yaml", 2, 10)


def test_marks_are_one_based_for_keys_values_and_items() -> None:
    doc = one("services:\n  web:\n    image: nginx\n    ports:\n      - '80:80'\n")
    web = doc["services"]["web"]
    assert web.key_marks["image"] == Mark("f.yaml", 3, 5)
    assert web.value_marks["image"] == Mark("f.yaml", 3, 12)
    assert web["ports"].item_marks == [Mark("f.yaml", 5, 9)]
    assert doc.mark == Mark("f.yaml", 1, 1)


def test_several_documents_are_returned_in_order_and_empty_ones_skipped() -> None:
    docs = parse_yaml("a: 1\n---\n---\nb: 2\n---\n", "f.yaml")
    assert docs == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\na: 2\n", 'f.yaml:2:1: mapping key "a" already defined at line 1'),
        ("", "f.yaml:1:1: empty compose file"),
        ("# only a comment\n", "f.yaml:1:1: empty compose file"),
        ("---\n---\n", "f.yaml:1:1: empty compose file"),
        ("- a\n- b\n", "f.yaml:1:1: the top level must be a mapping, found a sequence"),
        ("hello\n", "f.yaml:1:1: the top level must be a mapping, found a scalar"),
        ("a: !!python/object:os.system x\n",
         "f.yaml:1:4: unsupported YAML tag !!python/object:os.system"),
        ("a: !!python/name:os.system\n", "f.yaml:1:4: unsupported YAML tag !!python/name"),
        ("a: !custom x\n", "f.yaml:1:4: unsupported YAML tag !custom"),
        ("a: !custom {b: 1}\n", "f.yaml:1:4: unsupported YAML tag !custom"),
        ("services:\n\tweb: {}\n",
         "f.yaml:2:1: invalid YAML: found character that cannot start any token"),
        ("a: [\n", "f.yaml:2:1: invalid YAML: did not find expected node content"),
        ("1: a\n", "f.yaml:1:1: non-string key '1': quote it to make it a string"),
        ("true: a\n", "f.yaml:1:1: non-string key 'true'"),
        ("? [a]\n: b\n", "f.yaml:1:3: a mapping key must be a string, not a collection"),
        ("a: &x [*x]\n", "f.yaml:1:4: an alias refers to a node that contains it"),
        ("a:\n  <<: 5\n", "f.yaml:2:7: a merge key '<<' needs a mapping or a list of mappings"),
        ("a: !!int x\n", "f.yaml:1:4: cannot read 'x' as !!int"),
        ("a: !!binary '%%%'\n", "f.yaml:1:4: a !!binary value must be base64 of UTF-8 text"),
        ("a: *nowhere\n", "f.yaml:1:4: invalid YAML: found undefined alias"),
    ],
)  # fmt: skip
def test_errors_name_file_line_and_column(text: str, expected: str) -> None:
    assert error_of(text).startswith(expected)


def test_nesting_deeper_than_the_limit_is_an_error() -> None:
    text = "a: " + "[" * 300 + "]" * 300 + "\n"
    assert "nesting" in error_of(text)


def billion_laughs_list() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


def billion_laughs_map() -> str:
    lines = ["a: &a {" + ", ".join(f"x{i}: 1" for i in range(10)) + "}"]
    previous = "a"
    for name in "bcdefghij":
        lines.append(
            f"{name}: &{name} {{" + ", ".join(f"k{i}: *{previous}" for i in range(10)) + "}"
        )
        previous = name
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("bomb", [billion_laughs_list(), billion_laughs_map()])
def test_an_alias_bomb_fails_fast_and_small(bomb: str) -> None:
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    message = error_of(bomb)
    elapsed = time.process_time() - started
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert f"aliases expand to more than {MAX_ALIAS_NODES} nodes" in message
    assert elapsed < 1.0
    assert grown_kib < 200 * 1024  # the peak resident size grew by less than 200 MB


def test_legitimate_aliases_stay_within_the_limit() -> None:
    services = "\n".join(f"  s{i}:\n    <<: *base\n    image: i{i}" for i in range(300))
    text = (
        "x-base: &base\n" + "".join(f"  k{i}: v\n" for i in range(30)) + f"services:\n{services}\n"
    )
    doc = one(text)
    assert len(doc["services"]) == 300
    assert doc["services"]["s7"]["k29"] == "v"


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "compose.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: reading it would take long, stat does not
    with pytest.raises(SpecError) as caught:
        read_compose_file(big, "compose.yaml")
    assert str(caught.value) == (
        f"compose.yaml:1:1: file is {MAX_FILE_BYTES + 1} bytes, "
        f"over the {MAX_FILE_BYTES} byte limit"
    )


def test_read_compose_file_handles_bom_bad_encoding_and_missing_files(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_bytes("\ufeffservices: {}\n".encode())
    assert read_compose_file(good, "good.yaml") == [{"services": {}}]
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: \xff\n")
    with pytest.raises(SpecError, match=r"bad.yaml:1:1: the file is not UTF-8"):
        read_compose_file(bad, "bad.yaml")
    with pytest.raises(SpecError, match=r"gone.yaml:1:1: cannot read the file"):
        read_compose_file(tmp_path / "gone.yaml", "gone.yaml")
