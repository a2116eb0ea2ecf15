"""A record's shared ``__init__`` binds arguments as a dataclass's generated one does.

Every call is made on a ``@record`` and on its ``@dataclass(frozen=True)`` twin: the same
instance, or the same ``TypeError`` message (class names aside).
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from typing import Any

import pytest

from orchestra.records import record

made: list[str] = []


def _listed() -> list[str]:
    made.append("list")
    return ["fresh"]


@record
class Rec:
    name: str
    size: int
    tags: tuple[str, ...] = ()
    items: list[str] = field(default_factory=_listed)
    note: str = field(default="", compare=False)


@dataclass(frozen=True)
class Ref:
    name: str
    size: int
    tags: tuple[str, ...] = ()
    items: list[str] = field(default_factory=_listed)
    note: str = field(default="", compare=False)


@record
class Trio:
    a: int
    b: int
    c: int


@dataclass(frozen=True)
class TrioRef:
    a: int
    b: int
    c: int


@record
class Empty:
    pass


@dataclass(frozen=True)
class EmptyRef:
    pass


@record
class Late:
    """Fields __init__ does not take: one from a factory, one set by ``__post_init__``."""

    base: int
    seen: list[int] = field(default_factory=list, init=False)
    double: int = field(init=False)
    label: str = "x"

    def __post_init__(self) -> None:
        self.seen.append(self.base)
        object.__setattr__(self, "double", self.base * 2)


@dataclass(frozen=True)
class LateRef:
    """Fields __init__ does not take: one from a factory, one set by ``__post_init__``."""

    base: int
    seen: list[int] = field(default_factory=list, init=False)
    double: int = field(init=False)
    label: str = "x"

    def __post_init__(self) -> None:
        self.seen.append(self.base)
        object.__setattr__(self, "double", self.base * 2)


@record
class Child(Rec):
    extra: int = 7


@dataclass(frozen=True)
class ChildRef(Ref):
    extra: int = 7


@record
class Selfish:
    self: int
    other: int = 0


@dataclass(frozen=True)
class SelfishRef:
    self: int
    other: int = 0


TWINS: list[tuple[Any, Any]] = [
    (Rec, Ref),
    (Trio, TrioRef),
    (Empty, EmptyRef),
    (Late, LateRef),
    (Child, ChildRef),
    (Selfish, SelfishRef),
]

CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((), {}),
    (("n",), {}),
    (("n", 1), {}),
    (("n", 1, ("t",), ["i"], "note"), {}),
    (("n", 1, ("t",), ["i"], "note", 8), {}),
    (("n", 1, ("t",), ["i"], "note", 8, 9), {}),
    ((1, 2, 3, 4), {}),
    ((), {"name": "n", "size": 1}),
    ((), {"size": 1, "name": "n", "note": "z"}),
    (("n",), {"size": 1, "tags": ("u",)}),
    (("n",), {"name": "again"}),
    (("n", 1), {"bogus": 1, "name": "again"}),
    (("n", 1, 2, 3, 4, 5, 6, 7), {"bogus": 1}),
    (("n", 1, 2, 3, 4, 5, 6, 7), {"name": "again"}),
    ((), {"size": 1}),
    ((), {"bogus": 1}),
    ((), {"a": 1}),
    ((1,), {"c": 3}),
    ((1, 2), {"c": 3}),
    ((), {"b": 2}),
    ((1,), {"seen": []}),
    ((1,), {"double": 2}),
    ((), {"base": 1, "label": "y"}),
    ((), {"self": 1}),
    ((1,), {"self": 1}),
    ((), {"self": 1, "other": 2}),
    ((1,), {}),
]


def _outcome(cls: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, object]:
    try:
        made = cls(*args, **dict(kwargs))
    except TypeError as exc:
        return "error", str(exc).replace(cls.__qualname__, "Cls")
    return "made", [getattr(made, f.name) for f in dataclasses.fields(made)]


@pytest.mark.parametrize(("ours", "twin"), TWINS, ids=lambda c: c.__qualname__)
def test_every_call_binds_or_fails_as_the_generated_init_does(ours: Any, twin: Any) -> None:
    outcomes = set()
    for args, kwargs in CALLS:
        expected = _outcome(twin, args, kwargs)
        assert _outcome(ours, args, kwargs) == expected, (args, kwargs)
        outcomes.add(expected[0])
    assert outcomes == {"error", "made"}


def test_the_messages_are_pythons() -> None:
    with pytest.raises(TypeError, match=r"^Trio\.__init__\(\) missing 3 required positional "):
        Trio()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"arguments: 'b' and 'c'$"):
        Trio(1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"^Rec\.__init__\(\) takes from 3 to 6 positional "):
        Rec("n", 1, (), [], "", 0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'seen'$"):
        Late(1, seen=[])  # type: ignore[call-arg]


def test_defaults_are_shared_and_factories_run_once_per_instance() -> None:
    made.clear()
    first, second = Rec("a", 1), Rec("b", 2, items=["given"])
    third = Rec("c", 3)
    assert made == ["list", "list"]
    assert first.items == ["fresh"] and first.items is not third.items
    assert second.items == ["given"] and first.tags is Rec.tags
    assert Late(1).seen == [1] and Late(1).seen is not Late(1).seen


def test_post_init_runs_last_and_sees_every_field() -> None:
    item = Late(4, label="z")
    assert (item.base, item.seen, item.double, item.label) == (4, [4], 8, "z")
    assert repr(item) == repr(LateRef(4, label="z")).replace("LateRef(", "Late(", 1)
    assert item == Late(4, label="z") and item != Late(5)


def test_instances_hold_their_fields_in_field_order() -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((1,), {}),
        ((), {"label": "y", "base": 2}),
    ]
    for args, kwargs in calls:
        assert list(vars(Late(*args, **kwargs))) == list(vars(LateRef(*args, **kwargs)))
    named: dict[str, Any] = {"note": "z", "size": 1, "name": "n"}
    assert list(vars(Child(**named))) == list(vars(ChildRef(**named)))


def test_subclass_records_bind_their_bases_fields_first() -> None:
    item = Child("n", 1, extra=3)
    assert (item.name, item.size, item.extra, item.items) == ("n", 1, 3, ["fresh"])
    assert dataclasses.replace(item, size=2) == Child("n", 2, extra=3)
    assert Child("n", 1) != Rec("n", 1)


@pytest.mark.parametrize(("ours", "twin"), TWINS, ids=lambda c: c.__qualname__)
def test_signature_docstring_and_match_args_are_the_dataclasss(ours: Any, twin: Any) -> None:
    assert inspect.signature(ours) == inspect.signature(twin)
    assert str(inspect.signature(ours)) == str(inspect.signature(twin))
    name = ours.__name__
    assert (ours.__doc__ or "").replace(name, "Cls") == (twin.__doc__ or "").replace(
        twin.__name__, "Cls"
    )
    assert ours.__match_args__ == twin.__match_args__
    assert ours.__init__.__qualname__ == f"{ours.__qualname__}.__init__"


def test_a_plain_subclass_with_its_own_init_keeps_its_own_signature() -> None:
    class Wrapped(Trio):
        def __init__(self, total: int) -> None:
            super().__init__(total, 0, 0)

    assert str(inspect.signature(Wrapped)) == "(total: 'int') -> 'None'"
    assert Wrapped(3) == Wrapped(3) and Wrapped(3).a == 3
    assert str(inspect.signature(Trio)) == "(a: 'int', b: 'int', c: 'int') -> None"


def test_replace_builds_through_init_and_refuses_init_false_fields_as_dataclass_does() -> None:
    item = dataclasses.replace(Late(2), label="y")
    assert (item.base, item.seen, item.double, item.label) == (2, [2], 4, "y")
    for made in (Late(2), LateRef(2)):
        with pytest.raises(ValueError, match="init=False"):
            dataclasses.replace(made, double=1)
