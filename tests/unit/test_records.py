"""``@record`` behaves as ``@dataclass(frozen=True)`` does, checked side by side on twin classes."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any

import pytest

from orchestra.records import record


@record
class Rec:
    name: str
    size: int = 0
    tags: tuple[str, ...] = ()
    note: str = field(default="", compare=False)
    cache: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    key: str = field(default="k", hash=False)


@dataclass(frozen=True)
class Ref:
    name: str
    size: int = 0
    tags: tuple[str, ...] = ()
    note: str = field(default="", compare=False)
    cache: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    key: str = field(default="k", hash=False)


@record
class Derived:
    base: int
    double: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "double", self.base * 2)


CASES: list[dict[str, Any]] = [
    {"name": "a"},
    {"name": "a", "size": 2, "tags": ("x",)},
    {"name": "a", "note": "other note", "cache": {"z": 1}},
    {"name": "a", "key": "other key"},
    {"name": "b", "size": 2},
]


def test_repr_equality_and_hash_match_a_frozen_dataclass() -> None:
    for left in CASES:
        assert repr(Rec(**left)) == repr(Ref(**left)).replace("Ref(", "Rec(", 1)
        for right in CASES:
            same = Rec(**left) == Rec(**right)
            assert same == (Ref(**left) == Ref(**right)), (left, right)
            if same:
                assert hash(Rec(**left)) == hash(Rec(**right))
    twin: object = Ref("a")
    other: object = ("a", 0, ())
    assert Rec("a") != twin and Rec("a") != other
    assert len({Rec("a"), Rec("a", note="n"), Rec("b")}) == 2


def test_it_is_frozen_after_init() -> None:
    item = Rec("a")
    for name, value in (("name", "b"), ("size", 1), ("extra", 1)):
        with pytest.raises(FrozenInstanceError):
            setattr(item, name, value)
    with pytest.raises(FrozenInstanceError):
        del item.name
    assert item == Rec("a")


def test_dataclass_tools_keep_working() -> None:
    item = Rec("a", 1, ("t",), cache={"c": 1})
    assert dataclasses.is_dataclass(item)
    assert [f.name for f in dataclasses.fields(item)] == [f.name for f in dataclasses.fields(Ref)]
    assert dataclasses.replace(item, size=5) == Rec("a", 5, ("t",))
    assert dataclasses.asdict(item)["cache"] == {"c": 1}
    assert copy.copy(item) == item and copy.deepcopy(item) == item
    assert pickle.loads(pickle.dumps(item)) == item
    with pytest.raises(TypeError):
        Rec()  # type: ignore[call-arg]


def test_post_init_sets_derived_fields_as_with_frozen_dataclasses() -> None:
    item = Derived(3)
    assert item.double == 6 and item == Derived(3) and "double=6" in repr(item)
    with pytest.raises(FrozenInstanceError):
        item.double = 1  # type: ignore[misc]
