"""Make a class a dataclass without methods, as ``@record`` needs it, at a fraction of the cost.

``dataclass(cls, init=False, repr=False, eq=False)`` compiles nothing, but still spends most of
a record's definition time telling, for every string annotation, whether it names
``ClassVar``, ``InitVar`` or ``KW_ONLY`` (three regex matches and namespace lookups per field).
Records support none of these, so :func:`make_dataclass_fields` refuses any annotation that
mentions one of the three names (a ``TypeError``, never a silent misreading) and otherwise does
what ``dataclass`` does for such a class: the same ``Field`` objects (bases' fields first, class
attributes holding ``field()`` replaced by their default or removed, the same errors for a
mutable default and for a ``field()`` without annotation), ``__dataclass_fields__``,
``__dataclass_params__``, ``__match_args__``; it leaves ``__doc__`` alone (``records``
builds the docstring dataclass would, when it is read). A class whose annotations are not all
strings (a module without ``from __future__ import annotations``) goes to ``dataclass`` itself,
as does every class on a Python whose ``Field`` lacks the attribute marking real fields.

Imports only the standard library; must not import other orchestra modules.
"""

from __future__ import annotations

import abc
import dataclasses
import inspect
import types
from dataclasses import MISSING, Field
from typing import Any

__all__ = ["make_dataclass_fields"]


def _probe() -> tuple[Any, Any]:
    """The parameters object and the real-field marker ``dataclass`` gives such a class."""

    class Probe:
        """A docstring, so that dataclass does not build one from ``inspect.signature``."""

        x: int = 0

    made: Any = dataclasses.dataclass(Probe, init=False, repr=False, eq=False)
    return made.__dataclass_params__, getattr(made.__dataclass_fields__["x"], "_field_type", None)


_PARAMS, _REAL_FIELD = _probe()


def make_dataclass_fields(cls: Any) -> tuple[Field[Any], ...]:
    """Do what ``dataclass(cls, init=False, repr=False, eq=False)`` does; return the fields.

    Raises ``TypeError`` for a ``ClassVar``/``InitVar``/``KW_ONLY`` annotation and for what
    ``dataclass`` refuses (a ``field()`` without annotation, a frozen dataclass base),
    ``ValueError`` for a mutable default.
    """
    annotations = inspect.get_annotations(cls)
    if _REAL_FIELD is None or not all(isinstance(a, str) for a in annotations.values()):
        dataclasses.dataclass(cls, init=False, repr=False, eq=False)
        return dataclasses.fields(cls)
    fields: dict[str, Field[Any]] = {}
    frozen_base = False
    for base in cls.__mro__[-1:0:-1]:
        inherited = getattr(base, "__dataclass_fields__", None)
        if inherited is not None:
            fields.update((f.name, f) for f in inherited.values())
            frozen_base = frozen_base or base.__dataclass_params__.frozen
    own = [_own_field(cls, name, annotation) for name, annotation in annotations.items()]
    # In dataclass's order: every field read, then class attributes settled, then the checks.
    for f in own:
        fields[f.name] = f
        if isinstance(getattr(cls, f.name, None), Field):
            if f.default is MISSING:
                delattr(cls, f.name)
            else:
                setattr(cls, f.name, f.default)
    for name, value in cls.__dict__.items():
        if isinstance(value, Field) and name not in annotations:
            raise TypeError(f"{name!r} is a field but has no type annotation")
    if frozen_base:
        raise TypeError("cannot inherit non-frozen dataclass from a frozen one")
    cls.__dataclass_params__ = _PARAMS
    cls.__dataclass_fields__ = fields
    if "__match_args__" not in cls.__dict__:
        match_args = tuple(f.name for f in fields.values() if f.init and not f.kw_only)
        cls.__match_args__ = match_args  # type: ignore[misc]
    abc.update_abstractmethods(cls)
    return tuple(f for f in fields.values() if f._field_type is _REAL_FIELD)  # type: ignore[attr-defined]


def _own_field(cls: Any, name: str, annotation: str) -> Field[Any]:
    """The field of one annotation of ``cls`` itself (its class attribute is left as it is)."""
    if "ClassVar" in annotation or "InitVar" in annotation or "KW_ONLY" in annotation:
        raise TypeError(
            f"@record {cls.__qualname__}: ClassVar, InitVar and KW_ONLY are not supported "
            f"({name}: {annotation})"
        )
    default = getattr(cls, name, MISSING)
    if isinstance(default, Field):
        made = default
    else:
        if isinstance(default, types.MemberDescriptorType):
            default = MISSING  # a slot of a base class: no default
        made = dataclasses.field() if default is MISSING else dataclasses.field(default=default)
    made.name = name
    made.type = annotation
    made._field_type = _REAL_FIELD  # type: ignore[attr-defined]
    if made.kw_only is MISSING:
        made.kw_only = False
    if made.default.__class__.__hash__ is None:
        raise ValueError(
            f"mutable default {type(made.default)} for field {name} is not allowed: "
            "use default_factory"
        )
    return made
