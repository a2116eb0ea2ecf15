"""``make_dataclass_fields`` does what ``dataclass(init=False, repr=False, eq=False)`` does.

Each class body is defined twice from the same source, once through each, and everything
``dataclasses`` and the class expose is compared: fields with every attribute, class
attributes, ``__match_args__``, the parameters, the errors.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import types
from typing import Any

import pytest

from orchestra.record_fields import make_dataclass_fields

BODIES = {
    "defaults": """
class Made:
    name: str
    size: int = 0
    tags: tuple[str, ...] = ()
""",
    "field options": """
class Made:
    name: str = dataclasses.field(repr=False)
    items: list[int] = dataclasses.field(default_factory=list, compare=False)
    note: str = dataclasses.field(default="", hash=False, metadata={"m": 1})
    later: int = dataclasses.field(default=3, init=False)
    total: int = dataclasses.field(init=False)
""",
    "methods and plain attributes": """
class Made:
    LIMIT = 3
    name: str
    def size(self) -> int:
        return len(self.name)
    @property
    def shout(self) -> str:
        return self.name.upper()
""",
    "own match args": """
class Made:
    __match_args__ = ("b",)
    a: int
    b: int = 1
""",
    "subclass": """
@make
class Base:
    a: int
    b: str = "b"
    c: list[int] = dataclasses.field(default_factory=list)
class Made(Base):
    b: str = "other"
    d: int = dataclasses.field(default=4, repr=False)
""",
    "subclass of a plain class": """
class Base:
    a: int = 5
    def hello(self) -> str:
        return "hi"
class Made(Base):
    a: int
    b: int = dataclasses.field(default=2)
""",
    "no fields": """
class Made:
    pass
""",
}

ERRORS = {
    "mutable default": "class Made:\n    items: list[int] = []\n",
    "field without annotation": "class Made:\n    a: int\n    b = dataclasses.field(default=1)\n",
    "frozen base": (
        "@dataclasses.dataclass(frozen=True)\nclass Base:\n    a: int\n"
        "class Made(Base):\n    b: int = 0\n"
    ),
}


def _define(source: str, make: Any, future: bool = True) -> Any:
    """``Made`` from ``source``, in a module of its own, with ``make`` applied to it."""
    module = types.ModuleType("record_fields_probe")
    module.__dict__["make"] = make
    header = "from __future__ import annotations\n" if future else ""
    sys.modules[module.__name__] = module
    try:
        exec(
            compile(header + "import dataclasses\n" + source, "<probe>", "exec", dont_inherit=True),
            module.__dict__,
        )
        return make(module.Made)
    finally:
        del sys.modules[module.__name__]


def _by_dataclass(cls: Any) -> Any:
    return dataclasses.dataclass(cls, init=False, repr=False, eq=False)


def _by_records(cls: Any) -> Any:
    make_dataclass_fields(cls)
    return cls


def _shape(cls: Any) -> dict[str, Any]:
    kept = ("__dict__", "__weakref__", "__doc__", "__dataclass_fields__", "__dataclass_params__")
    return {
        "fields": [
            (
                *(f.name, f.type, f.default, f.default_factory, f.init, f.repr),
                *(f.hash, f.compare, dict(f.metadata), f.kw_only, f._field_type),
            )
            for f in cls.__dataclass_fields__.values()
        ],
        "public": [f.name for f in dataclasses.fields(cls)],
        "attributes": {
            name: value if isinstance(value, (int, str, tuple, dict)) else type(value).__name__
            for name, value in vars(cls).items()
            if name not in kept
        },
        "params": repr(cls.__dataclass_params__),
        "match_args": cls.__match_args__,
        "defaults": {f.name: getattr(cls, f.name, "absent") for f in dataclasses.fields(cls)},
    }


@pytest.mark.parametrize("body", BODIES.values(), ids=list(BODIES))
def test_the_class_comes_out_as_dataclass_makes_it(body: str) -> None:
    ours, theirs = _define(body, _by_records), _define(body, _by_dataclass)
    assert _shape(ours) == _shape(theirs)
    returned: list[tuple[dataclasses.Field[Any], ...]] = []

    def recording(cls: Any) -> Any:
        returned.append(make_dataclass_fields(cls))
        return cls

    assert returned == [] and dataclasses.fields(_define(body, recording)) == returned[-1]


@pytest.mark.parametrize("body", ERRORS.values(), ids=list(ERRORS))
def test_it_refuses_what_dataclass_refuses_with_the_same_error(body: str) -> None:
    with pytest.raises((TypeError, ValueError)) as theirs:
        _define(body, _by_dataclass)
    with pytest.raises(theirs.type, match=f"^{re.escape(str(theirs.value))}$"):
        _define(body, _by_records)


@pytest.mark.parametrize("annotation", ["typing.ClassVar[int]", "dataclasses.InitVar[int]"])
def test_pseudo_field_annotations_are_refused(annotation: str) -> None:
    with pytest.raises(TypeError, match="ClassVar, InitVar and KW_ONLY are not supported"):
        _define(f"import typing\nclass Made:\n    a: {annotation}\n", _by_records)


def test_classes_without_string_annotations_go_to_dataclass_itself() -> None:
    body = BODIES["field options"]
    ours = _define(body, _by_records, future=False)
    assert _shape(ours) == _shape(_define(body, _by_dataclass, future=False))
    assert ours.__dataclass_fields__["name"].type is str
