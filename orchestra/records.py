"""``@record``: a frozen dataclass that is cheap to define.

On Python 3.11 ``@dataclass(frozen=True)`` compiles six methods for every class from generated
source (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``),
about 1 ms a class. orchestra's model, engine and plan types are about a hundred such classes
that every command imports, and defining them was a third of a no-op ``up``'s CPU time. A
``record`` is a dataclass whose ``__init__`` is generated as usual; the other five are written
once, here, for all records. Everything else is plain ``dataclasses``: ``fields``, ``replace``,
``asdict``, ``field(default_factory=..., compare=..., hash=..., repr=...)``, ``__post_init__``
(setting a field there still takes ``object.__setattr__``), and type checkers see a frozen
dataclass (``dataclass_transform``).

How freezing works: ``__init__`` assigns each field once; the shared ``__setattr__`` allows
exactly that first assignment of a field and refuses everything else with
``FrozenInstanceError``, as a frozen dataclass does. Equality, hashing and the repr follow the
fields' ``compare``/``hash``/``repr`` flags exactly as the generated methods would.

Imports only the standard library.
"""

from __future__ import annotations

import dataclasses
from dataclasses import FrozenInstanceError
from typing import Any, TypeVar, dataclass_transform

__all__ = ["record"]

T = TypeVar("T")


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


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T]) -> type[T]:
    """Make ``cls`` a frozen dataclass (see the module docstring for how)."""
    built: Any = dataclasses.dataclass(cls, repr=False, eq=False)
    fields = dataclasses.fields(built)
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
