"""Raw YAML trees that remember where each value came from.

The loader turns a file into plain ``RMap``/``RList``/scalar trees; every container keeps the
``Mark`` of itself, of each key and of each value, so that any later stage (interpolation,
merge, validation) can point an error at ``file:line:column``. Scalars stay plain Python values
(str, int, float, bool, None); their marks live in the container that holds them.

Imports nothing but ``orchestra.errors``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orchestra.errors import Mark

__all__ = ["RList", "RMap", "Raw", "copy_marks", "key_mark", "value_mark"]

Raw = Any  # RMap | RList | str | int | float | bool | None


class RMap(dict[str, Any]):
    """A YAML mapping with marks. ``tags`` holds ``!reset``/``!override`` on values by key."""

    # Slots: a file of 500 services makes ~5000 maps, and an instance dict for each costs.
    __slots__ = ("key_marks", "mark", "tags", "value_marks")

    def __init__(
        self,
        items: Iterable[tuple[str, Any]] = (),
        mark: Mark | None = None,
    ) -> None:
        super().__init__(items)
        self.mark: Mark | None = mark
        self.key_marks: dict[str, Mark] = {}
        self.value_marks: dict[str, Mark] = {}
        self.tags: dict[str, str] = {}

    def set(
        self,
        key: str,
        value: Any,
        key_mark: Mark | None = None,
        value_mark: Mark | None = None,
    ) -> None:
        """Store ``value`` under ``key`` with its marks (a missing mark keeps the old one)."""
        self[key] = value
        if key_mark is not None:
            self.key_marks[key] = key_mark
        if value_mark is not None:
            self.value_marks[key] = value_mark


class RList(list[Any]):
    """A YAML sequence with marks; ``item_marks[i]`` is where item ``i`` starts."""

    __slots__ = ("item_marks", "mark")

    def __init__(self, items: Iterable[Any] = (), mark: Mark | None = None) -> None:
        super().__init__(items)
        self.mark: Mark | None = mark
        self.item_marks: list[Mark | None] = [None] * len(self)

    def add(self, value: Any, mark: Mark | None) -> None:
        """Append ``value`` and remember where it came from."""
        self.append(value)
        self.item_marks.append(mark)

    def mark_at(self, index: int) -> Mark | None:
        """The mark of item ``index``, falling back to the sequence's own mark."""
        if 0 <= index < len(self.item_marks) and self.item_marks[index] is not None:
            return self.item_marks[index]
        return self.mark


def key_mark(parent: Any, key: str | int) -> Mark | None:
    """Where ``key`` is written in ``parent`` (for an unknown or misplaced key)."""
    if isinstance(parent, RMap) and isinstance(key, str):
        return parent.key_marks.get(key, parent.mark)
    if isinstance(parent, RList) and isinstance(key, int):
        return parent.mark_at(key)
    return getattr(parent, "mark", None)


def value_mark(parent: Any, key: str | int) -> Mark | None:
    """Where the value of ``key`` in ``parent`` is written (for a bad value)."""
    if isinstance(parent, RMap) and isinstance(key, str):
        found = parent.value_marks.get(key) or parent.key_marks.get(key)
        return found if found is not None else parent.mark
    return key_mark(parent, key)


def copy_marks(source: Any, target: Any) -> Any:
    """Give ``target`` the marks of ``source`` when both are the same kind of container."""
    if isinstance(source, RMap) and isinstance(target, RMap):
        target.mark = source.mark
        target.key_marks.update(source.key_marks)
        target.value_marks.update(source.value_marks)
        target.tags.update(source.tags)
    elif isinstance(source, RList) and isinstance(target, RList):
        target.mark = source.mark
        target.item_marks = list(source.item_marks[: len(target)])
        target.item_marks += [None] * (len(target) - len(target.item_marks))
    return target
