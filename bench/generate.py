"""Seeded generator of benchmark stacks: N services in D layers, written as a compose.yaml.

Each service of a layer depends on 1-3 services of the layer above; every 5th service mounts
a named volume of its own, every 4th has ``mem_limit: 64m`` and ``cpu_shares: 512``; services
join one or both of two networks. With ``health``, every service has a 1 s healthcheck and
its dependencies are ``service_healthy`` edges (as in shared/recipes/peer-timings.md).

The same (services, layers, seed) always gives the same YAML text, with or without health
(health adds keys; it does not change the topology). Imports only the stdlib and ``yaml``;
must not import ``orchestra`` (the stacks feed every tool alike).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["IMAGE", "StackShape", "compose_tree", "compose_yaml", "layer_sizes", "write_stack"]

IMAGE = "orchestra-test/busybox:1"
NETWORKS = ("front", "back")
# `init: true` so that SIGTERM stops `sleep` at once (as PID 1 it would ignore it for 10 s).
_SLEEP = ["sleep", "3600"]
_SLEEP_HEALTHY = ["sh", "-c", "touch /tmp/healthy && exec sleep 3600"]
_HEALTHCHECK: dict[str, Any] = {
    "test": ["CMD", "test", "-f", "/tmp/healthy"],
    "interval": "1s",
    "timeout": "1s",
    "retries": 30,
}


@dataclass(frozen=True)
class StackShape:
    """What to generate: ``services`` in ``layers`` layers, optional healthchecks, a seed."""

    services: int
    layers: int = 5
    health: bool = False
    seed: int = 1

    def __post_init__(self) -> None:
        if self.services < 1 or self.layers < 1:
            raise ValueError("a stack needs at least one service and one layer")

    @property
    def tag(self) -> str:
        """Short name of the shape, e.g. ``50-h`` or ``10-n``."""
        return f"{self.services}-{'h' if self.health else 'n'}"


def layer_sizes(services: int, layers: int) -> list[int]:
    """Split ``services`` into ``min(layers, services)`` layers, the first ones one larger."""
    count = min(layers, services)
    base, extra = divmod(services, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def _names(shape: StackShape) -> list[list[str]]:
    layers: list[list[str]] = []
    index = 0
    for size in layer_sizes(shape.services, shape.layers):
        layers.append([f"s{index + i:03d}" for i in range(size)])
        index += size
    return layers


def _dependencies(shape: StackShape) -> dict[str, list[str]]:
    # Seeded by the topology only, so health/no-health variants share their graph.
    rng = random.Random(f"{shape.seed}:{shape.services}:{shape.layers}")
    layers = _names(shape)
    deps: dict[str, list[str]] = {name: [] for name in layers[0]}
    for above, layer in itertools.pairwise(layers):
        for name in layer:
            count = min(len(above), rng.randint(1, 3))
            deps[name] = sorted(rng.sample(above, count))
    return deps


def _service(shape: StackShape, index: int, deps: list[str]) -> dict[str, Any]:
    name = f"s{index:03d}"
    service: dict[str, Any] = {
        "image": IMAGE,
        "command": list(_SLEEP_HEALTHY if shape.health else _SLEEP),
        "init": True,
    }
    if deps:
        condition = "service_healthy" if shape.health else "service_started"
        service["depends_on"] = {dep: {"condition": condition} for dep in deps}
    if shape.health:
        # Fresh lists: shared ones would come out as YAML anchors and aliases.
        service["healthcheck"] = {**_HEALTHCHECK, "test": list(_HEALTHCHECK["test"])}
    if index % 5 == 0:
        service["volumes"] = [f"vol-{name}:/data"]
    if index % 4 == 0:
        service["mem_limit"] = "64m"
        service["cpu_shares"] = 512
    on_both = index % 3 == 0
    service["networks"] = list(NETWORKS) if on_both else [NETWORKS[index % 2]]
    return service


def compose_tree(shape: StackShape) -> dict[str, Any]:
    """The stack as a plain compose mapping (services, networks, volumes)."""
    deps = _dependencies(shape)
    services = {name: _service(shape, int(name[1:]), deps[name]) for name in sorted(deps, key=str)}
    volumes: dict[str, dict[str, Any]] = {
        f"vol-{name}": {} for name in services if int(name[1:]) % 5 == 0
    }
    tree: dict[str, Any] = {"services": services, "networks": {n: {} for n in NETWORKS}}
    if volumes:
        tree["volumes"] = volumes
    return tree


def compose_yaml(shape: StackShape) -> str:
    """The stack as compose.yaml text (stable key order)."""
    return yaml.safe_dump(compose_tree(shape), sort_keys=False, default_flow_style=False)


def write_stack(shape: StackShape, directory: Path) -> Path:
    """Write ``compose.yaml`` for ``shape`` into ``directory`` (created); returns the file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "compose.yaml"
    path.write_text(compose_yaml(shape), encoding="utf-8")
    return path
