"""Test helper: YAML text → RMap/RList trees with marks, and a stand-in for ``RawProject``.

Kept in the tests so the back half of the loader can be tested without the front half: the
trees look like the front half's output (marks 1-based; YAML 1.1 scalars are fine here because
the test texts avoid ``yes``/``no``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestra.errors import Mark, SpecError
from orchestra.spec.load import project_from_raw
from orchestra.spec.model import Project, Service
from orchestra.spec.raw import RList, RMap


def _mark(node: yaml.Node, file: str) -> Mark:
    return Mark(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(node: yaml.Node, file: str, constructor: yaml.constructor.SafeConstructor) -> Any:
    if isinstance(node, yaml.MappingNode):
        result = RMap(mark=_mark(node, file))
        for key_node, value_node in node.value:
            key = str(constructor.construct_object(key_node))
            value = _convert(value_node, file, constructor)
            result.set(key, value, _mark(key_node, file), _mark(value_node, file))
        return result
    if isinstance(node, yaml.SequenceNode):
        items = RList(mark=_mark(node, file))
        for item in node.value:
            items.add(_convert(item, file, constructor), _mark(item, file))
        return items
    return constructor.construct_object(node)


def raw_tree(text: str, file: str = "compose.yaml") -> RMap:
    """The marked tree of ``text`` (a YAML mapping)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    assert node is not None, "empty YAML"
    tree = _convert(node, file, yaml.constructor.SafeConstructor())
    assert isinstance(tree, RMap)
    return tree


@dataclass(frozen=True)
class FakeRaw:
    """The fields of the front half's ``RawProject`` that ``project_from_raw`` reads."""

    tree: RMap
    name: str = "demo"
    directory: Path = Path("/proj")
    files: tuple[Path, ...] = (Path("/proj/compose.yaml"),)
    environment: Mapping[str, str] = field(default_factory=dict)
    profiles: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def raw_project(text: str, **overrides: Any) -> FakeRaw:
    """A ``FakeRaw`` for the YAML ``text``; keyword arguments replace the other fields."""
    return FakeRaw(tree=raw_tree(text), **overrides)


def load_text(text: str, **overrides: Any) -> Project:
    """``project_from_raw`` of the YAML ``text``."""
    services = overrides.pop("services", ())
    return project_from_raw(raw_project(text, **overrides), services=services)


def one_service(body: str, top: str = "") -> str:
    """A project text: service ``web`` (image busybox) with attributes ``body``, then ``top``."""
    indented = "\n".join(f"    {line}" for line in textwrap.dedent(body).strip().splitlines())
    return f"services:\n  web:\n    image: busybox\n{indented}\n{textwrap.dedent(top)}"


def service_of(body: str, top: str = "", **overrides: Any) -> Service:
    """Service ``web`` of ``one_service(body, top)``, loaded."""
    return load_text(one_service(body, top), **overrides).services["web"]


def problems_of(text: str, **overrides: Any) -> list[str]:
    """The problems ``project_from_raw`` reports for ``text``, one string each (none: [])."""
    try:
        load_text(text, **overrides)
    except SpecError as exc:
        return [str(p) for p in exc.problems]
    return []


def service_problems(body: str, top: str = "", **overrides: Any) -> list[str]:
    """The problems reported for ``one_service(body, top)``."""
    return problems_of(one_service(body, top), **overrides)
