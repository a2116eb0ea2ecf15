"""Per-field config diffs: the walk over hash inputs, rendering, JSON, and the config label."""

from __future__ import annotations

from typing import Any

import pytest
from planfix import container, load

from orchestra import labels as lbl
from orchestra.plan.diff import (
    ChangeKind,
    FieldChange,
    config_changes,
    diff_config,
    summarize,
)

CHANGED, ADDED, REMOVED = ChangeKind.CHANGED, ChangeKind.ADDED, ChangeKind.REMOVED


@pytest.mark.parametrize(
    ("desired", "observed", "expected"),
    [
        ({"a": 1}, {"a": 1}, []),
        ({"image": "b"}, {"image": "a"}, [("image", CHANGED, "b", "a")]),
        ({"environment": {"X": "1"}}, {"environment": {}}, [("environment.X", ADDED, "1", None)]),
        ({}, {"user": "me"}, [("user", REMOVED, None, "me")]),
        (
            {"deploy": {"resources": {"limits": {"memory": 2}}}},
            {"deploy": {"resources": {"limits": {"memory": 1}}}},
            [("deploy.resources.limits.memory", CHANGED, 2, 1)],
        ),
        # Lists of plain values are one field: a changed command is shown whole.
        (
            {"command": ["sleep", "2"]},
            {"command": ["sleep", "1"]},
            [("command", CHANGED, ["sleep", "2"], ["sleep", "1"])],
        ),
        # Lists of objects item by item, extra items added or removed at the end.
        (
            {"ports": [{"target": 80, "published": "8081"}]},
            {"ports": [{"target": 80, "published": "8080"}]},
            [("ports[0].published", CHANGED, "8081", "8080")],
        ),
        (
            {"volumes": [{"target": "/a"}, {"target": "/b"}]},
            {"volumes": [{"target": "/a"}]},
            [("volumes[1]", ADDED, {"target": "/b"}, None)],
        ),
        (
            {"volumes": []},
            {"volumes": [{"target": "/a"}]},
            [("volumes[0]", REMOVED, None, {"target": "/a"})],
        ),
        # Keys that are not identifiers are quoted, so the path reads back unambiguously.
        (
            {"sysctls": {"net.core.somaxconn": "1024"}},
            {"sysctls": {"net.core.somaxconn": "512"}},
            [('sysctls["net.core.somaxconn"]', CHANGED, "1024", "512")],
        ),
        ({"a": {"x": 1}}, {"a": "flat"}, [("a", CHANGED, {"x": 1}, "flat")]),
    ],
)
def test_diff_walks_mappings_and_lists_of_objects(
    desired: dict[str, Any], observed: dict[str, Any], expected: list[tuple[Any, ...]]
) -> None:
    found = [(c.path, c.kind, c.desired, c.observed) for c in diff_config(desired, observed)]
    assert found == expected


def test_changes_come_in_path_order() -> None:
    desired = {"b": 1, "a": {"z": 1, "y": 1}, "c": 1}
    observed = {"b": 2, "a": {"z": 2, "y": 2}}
    assert [c.path for c in diff_config(desired, observed)] == ["a.y", "a.z", "b", "c"]


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (FieldChange("environment.HOST", CHANGED, "db2", "db"), '~ environment.HOST: "db" → "db2"'),
        (FieldChange("environment.NEW", ADDED, desired="x"), '+ environment.NEW: "x"'),
        (FieldChange("user", REMOVED, observed="me"), '- user: "me"'),
        (FieldChange("init", CHANGED, True, False), "~ init: false → true"),
        (FieldChange("x", CHANGED, "a" * 70, "b"), f'~ x: "b" → "{"a" * 58}…'),
    ],
)  # fmt: skip
def test_render_shows_observed_then_desired(change: FieldChange, text: str) -> None:
    assert change.render() == text


@pytest.mark.parametrize(
    ("change", "data"),
    [
        (FieldChange("p", CHANGED, 2, 1), {"path": "p", "desired": 2, "observed": 1}),
        (FieldChange("p", ADDED, desired=None), {"path": "p", "desired": None}),
        (FieldChange("p", REMOVED, observed=[1]), {"path": "p", "observed": [1]}),
    ],
)
def test_json_leaves_out_the_absent_side_and_reads_back(
    change: FieldChange, data: dict[str, Any]
) -> None:
    assert change.to_dict() == data
    assert FieldChange.from_dict(data) == change


@pytest.mark.parametrize("data", [{"path": "p"}, {"desired": 1}, {"path": 3, "desired": 1}])
def test_json_without_a_side_or_path_is_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="not a field change"):
        FieldChange.from_dict(data)


def test_summary_names_three_paths_then_counts_the_rest() -> None:
    changes = tuple(FieldChange(p, CHANGED, 1, 0) for p in ("a", "b", "c", "d", "e"))
    assert summarize(changes[:1]) == "a"
    assert summarize(changes[:3]) == "a, b, c"
    assert summarize(changes) == "a, b, c +2 more"


def test_config_label_round_trips_small_configs_as_plain_json() -> None:
    value = lbl.encode_config({"b": 1, "a": "é"})
    assert value == '{"a":"é","b":1}'
    assert lbl.decode_config(value) == {"a": "é", "b": 1}


def test_config_label_compresses_large_configs() -> None:
    data = {"environment": {f"K{i}": "v" * 40 for i in range(200)}}
    value = lbl.encode_config(data)
    assert value.startswith("zlib:")
    assert len(value) < 4096
    assert lbl.decode_config(value) == data


@pytest.mark.parametrize("value", [None, "", "not json", "[1, 2]", "zlib:!!!", "zlib:aGVsbG8="])
def test_unreadable_config_labels_mean_unknown(value: str | None) -> None:
    assert lbl.decode_config(value) is None


WEB = """
services:
  web:
    image: nginx:1
    environment: {DB_HOST: %s}
"""


def test_config_changes_compare_the_service_with_the_containers_label() -> None:
    before, after = load(WEB % "db"), load(WEB % "db2")
    old = container(before, "web")
    assert config_changes(after.services["web"], old.labels) == (
        FieldChange("environment.DB_HOST", CHANGED, "db2", "db"),
    )
    assert config_changes(before.services["web"], old.labels) == ()


def test_a_container_without_the_config_label_has_unknown_changes() -> None:
    project = load(WEB % "db")
    labels = {k: v for k, v in container(project, "web").labels.items() if k != lbl.CONFIG}
    assert config_changes(project.services["web"], labels) is None
