"""``@record``: a frozen dataclass that is cheap to define and compiles no code.

On Python 3.11 ``@dataclass(frozen=True)`` compiles six methods for every class from generated
source (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``),
about 1 ms a class. orchestra's model, engine and plan types are about a hundred such classes
that every command imports, and defining them was a third of a no-op ``up``'s CPU time. A
``record``'s methods are all written once, here, for all records: ``__init__`` is a closure over
the class's field names and defaults (no source compiled per class), the other five read the
names they need from tuples stored on the class. Its fields are made by
``orchestra.record_fields`` as ``dataclass`` makes them, minus dataclass's per-annotation
lookups. Everything else is plain ``dataclasses``: ``fields``, ``replace``, ``asdict``,
``field(default=..., default_factory=..., init=..., compare=..., hash=..., repr=...,
metadata=...)``, ``__post_init__`` (setting a field there still takes ``object.__setattr__``),
and type checkers see a frozen dataclass (``dataclass_transform``).

``__init__`` binds arguments as the generated one does (positional or keyword, the same
``TypeError`` messages for missing, unexpected, duplicate and surplus arguments; defaults shared,
factories called per instance; ``__post_init__`` last), and ``inspect.signature`` of the class and
the generated docstring of an undocumented class are the dataclass's, computed when first asked
for (building them at definition was most of a no-docstring class's cost). A class body that
defines its own ``__init__`` keeps it, as with ``dataclass``. Dataclass features a record does not
implement are refused with a ``TypeError`` when the class is defined, so they cannot silently
misbehave: keyword-only fields (``kw_only``, ``KW_ONLY``), ``InitVar`` and ``ClassVar``
pseudo-fields, and ``__slots__``.

How freezing works: ``__init__`` sets the instance's ``__dict__`` to a fresh dict of its fields in
field order (one assignment, and attribute reads then cost what a plain dataclass's do); the
shared ``__setattr__`` allows only the first assignment of a field (``__post_init__`` of a field
with ``init=False``) and refuses everything else with ``FrozenInstanceError``, as a frozen
dataclass does. Equality, hashing and the repr follow the fields' ``compare``/``hash``/``repr``
flags exactly as the generated methods would.

Imports only the standard library and ``orchestra.record_fields``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError
from typing import Any, TypeVar, dataclass_transform

from orchestra.record_fields import make_dataclass_fields

__all__ = ["record"]

T = TypeVar("T")

Init = Callable[..., None]


class _Marker:
    """A placeholder value no caller can pass: a field still unbound in ``__init__``."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


_FACTORY = _Marker("<factory>")
# What a generated __init__'s signature shows as a factory field's default (a private name of
# dataclasses, hence the stand-in of the same repr).
_FACTORY_SHOWN = getattr(dataclasses, "_HAS_DEFAULT_FACTORY", _FACTORY)
_REQUIRED = _Marker("<required>")


def _values(obj: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple([getattr(obj, name) for name in names])


def _setattr(self: Any, name: str, value: Any) -> None:
    if name in self.__dict__ or name not in self.__dataclass_fields__:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).__record_repr__)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names: tuple[str, ...] = self.__record_compare__
    return _values(self, names) == _values(other, names)


def _hash(self: Any) -> int:
    return hash(_values(self, self.__record_hash__))


def _quoted(names: list[str]) -> str:
    """Names as CPython lists them in a "missing arguments" error: 'a', 'b', and 'c'."""
    quoted = [repr(name) for name in names]
    if len(quoted) < 3:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def _binding_error(
    cls: Any, names: tuple[str, ...], required: int, args: tuple[Any, ...], kwargs: Any
) -> TypeError:
    """The ``TypeError`` CPython raises for this call of ``cls``'s generated ``__init__``.

    Checked in CPython's order: keywords first (unknown, then already given by position), then
    too many positional arguments, then missing ones. ``required``: how many leading parameters
    have no default.
    """
    qualname = f"{cls.__qualname__}.__init__"
    # The generated __init__ renames its instance parameter when a field is called "self".
    instance = "__dataclass_self__" if "self" in cls.__dataclass_fields__ else "self"
    for key in kwargs:
        if key == instance or (key in names and names.index(key) < len(args)):
            return TypeError(f"{qualname}() got multiple values for argument {key!r}")
        if key not in names:
            return TypeError(f"{qualname}() got an unexpected keyword argument {key!r}")
    if len(args) > len(names):
        bounds = f"from {required + 1} to " if required < len(names) else ""
        plural = "s" if bounds or len(names) != 0 else ""
        return TypeError(
            f"{qualname}() takes {bounds}{len(names) + 1} positional argument{plural} "
            f"but {len(args) + 1} were given"
        )
    missing = [name for name in names[len(args) : required] if name not in kwargs]
    plural = "s" if len(missing) > 1 else ""
    return TypeError(
        f"{qualname}() missing {len(missing)} required positional argument{plural}: "
        f"{_quoted(missing)}"
    )


def _template(
    fields: tuple[Field[Any], ...],
) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    """Every field a generated ``__init__`` assigns, in field order, with what it starts as (its
    default, or a marker for "call the factory" / "must be given"); and the factories."""
    template: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    for f in fields:
        if f.default_factory is not MISSING:
            template[f.name] = _FACTORY
            factories.append((f.name, f.default_factory))
        elif f.init:
            template[f.name] = _REQUIRED if f.default is MISSING else f.default
    return template, tuple(factories)


def _initializer(cls: Any, fields: tuple[Field[Any], ...]) -> Init:
    """A shared-code ``__init__`` for ``cls``, bound to its fields by a closure."""
    names = tuple(f.name for f in fields if f.init)
    required = sum(1 for f in fields if f.init and _missing_default(f))
    template, factories = _template(fields)
    size = len(template)
    # Fields with init=False and a factory are in the template: no keyword may name them.
    late = frozenset(template) - frozenset(names)
    required_names = names[:required]
    post_init = hasattr(cls, "__post_init__")
    qualname = f"{cls.__qualname__}.__init__"

    def __init__(self: Any, /, *args: Any, **kwargs: Any) -> None:
        if kwargs:
            if args:
                if len(args) > len(names) or not kwargs.keys().isdisjoint(names[: len(args)]):
                    raise _binding_error(cls, names, required, args, kwargs)
                values = template.copy()
                values.update(zip(names, args, strict=False))
                values.update(kwargs)
            else:
                values = template | kwargs
            if len(values) != size or (late and not late.isdisjoint(kwargs)):
                # A keyword that names no field with init=True.
                raise _binding_error(cls, names, required, args, kwargs)
        elif len(args) > len(names):
            raise _binding_error(cls, names, required, args, kwargs)
        elif len(args) == size:  # every field given by position, none left to fill in
            values = dict(zip(names, args, strict=False))
        else:
            values = template.copy()
            values.update(zip(names, args, strict=False))
        if len(args) < required:
            for name in required_names:
                if values[name] is _REQUIRED:
                    raise _binding_error(cls, names, required, args, kwargs)
        for name, factory in factories:
            if values[name] is _FACTORY:
                values[name] = factory()
        object.__setattr__(self, "__dict__", values)
        if post_init:
            self.__post_init__()

    __init__.__qualname__ = qualname
    __init__.__module__ = cls.__module__
    __init__.__record_fields__ = tuple(f for f in fields if f.init)  # type: ignore[attr-defined]
    return __init__


def _missing_default(f: Field[Any]) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def _default_shown(f: Field[Any]) -> Any:
    if f.default_factory is not MISSING:
        return _FACTORY_SHOWN
    return inspect.Parameter.empty if f.default is MISSING else f.default


class _Signature:
    """``inspect.signature`` of a record class: the one of a generated ``__init__``, built on
    first use. Absent (``AttributeError``) for a subclass with an ``__init__`` of its own, so
    ``inspect`` reads that one instead."""

    def __get__(self, obj: object, owner: Any) -> inspect.Signature:
        fields = getattr(owner.__init__, "__record_fields__", None)
        if fields is None:
            raise AttributeError("__signature__")
        keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
        return inspect.Signature(
            [
                inspect.Parameter(
                    f.name,
                    keyword,
                    default=_default_shown(f),
                    annotation=f.type,
                )
                for f in fields
            ],
            return_annotation=None,
        )


class _Doc:
    """The docstring ``dataclass`` gives an undocumented class ("Name(a: 'int', b: 'str' = '')"),
    built on first use."""

    def __get__(self, obj: object, owner: type) -> str:
        try:
            text = str(inspect.signature(owner)).replace(" -> None", "")
        except (TypeError, ValueError):
            text = ""
        return owner.__name__ + text


def _refuse_unsupported(cls: Any, fields: tuple[Field[Any], ...]) -> None:
    """Raise ``TypeError`` for a dataclass feature records do not implement."""
    name = cls.__qualname__
    if "__slots__" in cls.__dict__:
        raise TypeError(f"@record {name}: __slots__ is not supported")
    pseudo = sorted(set(cls.__dataclass_fields__) - {f.name for f in fields})
    if pseudo:
        raise TypeError(f"@record {name}: ClassVar and InitVar are not supported: {pseudo}")
    keyword_only = [f.name for f in fields if f.kw_only]
    if keyword_only:
        raise TypeError(f"@record {name}: keyword-only fields are not supported: {keyword_only}")
    defaulted = False
    for f in fields:
        if not f.init:
            continue
        if not _missing_default(f):
            defaulted = True
        elif defaulted:
            # The message dataclasses gives when it compiles such an __init__.
            raise TypeError(f"non-default argument {f.name!r} follows default argument")


_SIGNATURE = _Signature()
_DOC = _Doc()


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen dataclass (see the module docstring for how).

    Raises ``TypeError`` for a dataclass feature records do not implement.
    """
    undocumented = not cls.__doc__
    if undocumented:
        # A truthy placeholder keeps dataclass (record_fields' fallback) from building the
        # docstring from a signature now.
        cls.__doc__ = "record"
    built: Any = cls
    fields = make_dataclass_fields(built)
    _refuse_unsupported(built, fields)
    if undocumented:
        built.__doc__ = _DOC
    if "__init__" not in built.__dict__:
        built.__init__ = _initializer(built, fields)
        built.__signature__ = _SIGNATURE
    built.__record_repr__ = tuple(f.name for f in fields if f.repr)
    built.__record_compare__ = tuple(f.name for f in fields if f.compare)
    built.__record_hash__ = tuple(
        f.name for f in fields if (f.compare if f.hash is None else f.hash)
    )
    built.__repr__ = _repr
    built.__eq__ = _eq
    built.__hash__ = _hash
    built.__setattr__ = _setattr
    built.__delattr__ = _delattr
    return cls
