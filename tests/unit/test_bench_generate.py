"""bench/generate.py: seeded, reproducible stacks that orchestra's loader accepts as designed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.generate import StackShape, compose_tree, compose_yaml, layer_sizes, write_stack
from orchestra.spec.files import LoadOptions
from orchestra.spec.load import load_project


def _layer_of(tree: dict[str, object], shape: StackShape) -> dict[str, int]:
    names = list(tree)
    out: dict[str, int] = {}
    start = 0
    for layer, size in enumerate(layer_sizes(shape.services, shape.layers)):
        for name in names[start : start + size]:
            out[name] = layer
        start += size
    return out


@pytest.mark.parametrize(
    ("services", "layers", "expected"),
    [(10, 5, [2, 2, 2, 2, 2]), (53, 5, [11, 11, 11, 10, 10]), (3, 5, [1, 1, 1]), (7, 1, [7])],
)
def test_layer_sizes_split_evenly(services: int, layers: int, expected: list[int]) -> None:
    assert layer_sizes(services, layers) == expected


def test_same_seed_gives_the_same_text_and_another_seed_another_graph() -> None:
    shape = StackShape(50, seed=7)
    assert compose_yaml(shape) == compose_yaml(StackShape(50, seed=7))
    assert compose_yaml(shape) != compose_yaml(StackShape(50, seed=8))


def test_health_variant_keeps_the_topology() -> None:
    plain = compose_tree(StackShape(50))["services"]
    healthy = compose_tree(StackShape(50, health=True))["services"]
    for name, service in plain.items():
        assert list(service.get("depends_on", {})) == list(healthy[name].get("depends_on", {}))
        conditions = {d["condition"] for d in healthy[name].get("depends_on", {}).values()}
        assert conditions <= {"service_healthy"}
        assert healthy[name]["healthcheck"]["interval"] == "1s"
        assert "healthcheck" not in service


@pytest.mark.parametrize("services", [10, 50, 100])
def test_each_service_depends_on_one_to_three_of_the_layer_above(services: int) -> None:
    shape = StackShape(services)
    tree = compose_tree(shape)["services"]
    layer = _layer_of(tree, shape)
    for name, service in tree.items():
        deps = list(service.get("depends_on", {}))
        if layer[name] == 0:
            assert deps == []
        else:
            assert 1 <= len(deps) <= 3
            assert {layer[d] for d in deps} == {layer[name] - 1}


def test_volumes_limits_and_networks_follow_the_recipe() -> None:
    tree = compose_tree(StackShape(20))
    services = tree["services"]
    with_volume = [n for n, s in services.items() if "volumes" in s]
    limited = [n for n, s in services.items() if s.get("mem_limit") == "64m"]
    assert with_volume == ["s000", "s005", "s010", "s015"]
    assert limited == ["s000", "s004", "s008", "s012", "s016"]
    assert sorted(tree["volumes"]) == [f"vol-{n}" for n in with_volume]
    assert sorted(tree["networks"]) == ["back", "front"]
    used = {net for s in services.values() for net in s["networks"]}
    assert used == {"front", "back"}


def test_the_text_has_no_yaml_aliases() -> None:
    # Aliases are valid YAML, but keep the file plain for every tool and for a reader.
    text = compose_yaml(StackShape(30, health=True))
    assert "*id" not in text
    assert yaml.safe_load(text) == compose_tree(StackShape(30, health=True))


def test_shape_rejects_an_empty_stack() -> None:
    with pytest.raises(ValueError, match="at least one service"):
        StackShape(0)


@pytest.mark.parametrize("health", [False, True])
def test_orchestra_loads_the_stack_as_generated(tmp_path: Path, health: bool) -> None:
    shape = StackShape(50, health=health)
    path = write_stack(shape, tmp_path / "stack")
    project = load_project(LoadOptions(files=(str(path),), project_name="bench-unit"))
    tree = compose_tree(shape)
    assert sorted(project.services) == sorted(tree["services"])
    for name, raw in tree["services"].items():
        service = project.services[name]
        assert sorted(service.depends_on) == sorted(raw.get("depends_on", {}))
        assert sorted(service.networks) == sorted(raw["networks"])
        assert (service.healthcheck is not None) == health
        assert service.init is True
        assert service.mem_limit == (64 * 1024 * 1024 if "mem_limit" in raw else None)
        if health and raw.get("depends_on"):
            assert {d.condition for d in service.depends_on.values()} == {"service_healthy"}
    assert sorted(project.volumes) == sorted(tree["volumes"])
