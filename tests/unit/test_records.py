"""``@record`` behaves as ``@dataclass(frozen=True)`` does, checked side by side on twin classes."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import sys
import types
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


def _define(body: str) -> type:
    """A class defined from source in a module of its own (``from __future__ import
    annotations``, as in orchestra, so dataclasses reads its annotations as strings)."""
    module = types.ModuleType("records_probe")
    module.__dict__["record"] = record
    source = "from __future__ import annotations\nimport dataclasses, typing\n" + body
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, "<record>", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    made: type = module.Made
    return made


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        ("    a: int = dataclasses.field(default=0, kw_only=True)\n", "keyword-only"),
        ("    a: int\n    _: dataclasses.KW_ONLY\n    b: int = 0\n", "KW_ONLY"),
        ("    a: dataclasses.InitVar[int]\n", "InitVar"),
        ("    a: typing.ClassVar[int] = 1\n", "ClassVar"),
        ("    __slots__ = ('a',)\n    a: int\n", "__slots__"),
    ],
)
def test_unsupported_dataclass_features_are_refused_at_definition(body: str, refusal: str) -> None:
    with pytest.raises(TypeError, match=refusal):
        _define(f"@record\nclass Made:\n{body}")
    # The same class is accepted by dataclass: the refusal is the record's, not a typo.
    assert dataclasses.is_dataclass(_define(f"@dataclasses.dataclass\nclass Made:\n{body}"))


def test_a_field_without_default_after_one_with_is_refused_as_by_dataclass() -> None:
    body = "class Made:\n    a: int = 0\n    b: int\n"
    message = "non-default argument 'b' follows default argument"
    for decorator in ("@record", "@dataclasses.dataclass(frozen=True)"):
        with pytest.raises(TypeError, match=f"^{message}$"):
            _define(f"{decorator}\n{body}")


def test_defining_a_record_compiles_no_code(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[str] = []

    def counting(name: str, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name)
        return generate(name, *args, **kwargs)

    generate = dataclasses._create_fn  # type: ignore[attr-defined]
    monkeypatch.setattr(dataclasses, "_create_fn", counting)
    made: Any = _define(
        "@record\nclass Made:\n    a: int\n"
        "    b: list[int] = dataclasses.field(default_factory=list)\n"
    )
    assert made(1) == made(1, []) and compiled == []
    _define("@dataclasses.dataclass(frozen=True)\nclass Made:\n    a: int\n")
    assert "__init__" in compiled


def test_a_class_bodys_own_init_and_docstring_are_kept() -> None:
    @record
    class Own:
        """Own words."""

        a: int
        b: int = 0

        def __init__(self, total: int) -> None:
            object.__setattr__(self, "a", total)
            object.__setattr__(self, "b", -total)

    assert Own(3) == Own(3) and (Own(3).a, Own(3).b) == (3, -3)
    assert Own.__doc__ == "Own words." and str(inspect.signature(Own)) == "(total: 'int') -> 'None'"
    assert Rec.__doc__ == Ref.__doc__.replace("Ref(", "Rec(", 1)  # type: ignore[union-attr]
