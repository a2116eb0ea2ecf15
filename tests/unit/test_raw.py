"""Raw trees keep the marks that errors point at."""

from __future__ import annotations

from orchestra.errors import Mark
from orchestra.spec.raw import RList, RMap, copy_marks, key_mark, value_mark

M1, M2, M3 = Mark("c.yaml", 1, 1), Mark("c.yaml", 2, 3), Mark("c.yaml", 2, 10)


def test_map_marks_for_key_and_value() -> None:
    tree = RMap(mark=M1)
    tree.set("image", "busybox", key_mark=M2, value_mark=M3)
    assert key_mark(tree, "image") == M2
    assert value_mark(tree, "image") == M3
    assert key_mark(tree, "missing") == M1


def test_list_marks_fall_back_to_the_list() -> None:
    items = RList(mark=M1)
    items.add("a", M2)
    assert items.mark_at(0) == M2
    assert items.mark_at(5) == M1


def test_copy_marks_between_maps() -> None:
    source = RMap(mark=M1)
    source.set("a", 1, key_mark=M2)
    target = copy_marks(source, RMap({"a": 2}))
    assert target.mark == M1 and target.key_marks["a"] == M2
