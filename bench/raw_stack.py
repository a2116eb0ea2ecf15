"""The generated stack as the raw lower-bound client needs it: read from compose.yaml.

Understands only what ``bench.generate`` writes (image, command, init, healthcheck with
seconds, depends_on conditions, networks, named volumes, mem_limit, cpu_shares). Imports only
the stdlib and ``yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["PROJECT_LABEL", "RawService", "RawStack", "read_stack"]

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
_NS = 1_000_000_000


@dataclass(frozen=True)
class RawService:
    """One service, already turned into engine terms (names carry the project prefix)."""

    name: str
    container: str
    image: str
    command: list[str]
    init: bool
    depends_on: dict[str, str]  # dependency → condition
    networks: list[str]
    binds: list[str]
    mem_limit: str | None
    cpu_shares: int | None
    healthcheck: dict[str, Any] | None

    def labels(self, project: str) -> dict[str, str]:
        return {
            PROJECT_LABEL: project,
            SERVICE_LABEL: self.name,
            "com.docker.compose.container-number": "1",
            "com.docker.compose.oneoff": "False",
        }


@dataclass(frozen=True)
class RawStack:
    """The project's services, networks and volumes (engine names)."""

    project: str
    services: dict[str, RawService]
    networks: list[str]
    volumes: list[str]


def _seconds(value: str) -> int:
    if not value.endswith("s"):
        raise ValueError(f"raw client reads durations in seconds only, got {value!r}")
    return int(float(value[:-1]) * _NS)


def _healthcheck(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    if not raw:
        return None
    return {
        "test": list(raw["test"]),
        "interval": _seconds(raw["interval"]),
        "timeout": _seconds(raw["timeout"]),
        "retries": int(raw["retries"]),
    }


def _service(project: str, name: str, raw: dict[str, Any]) -> RawService:
    binds = []
    for mount in raw.get("volumes", []):
        source, target = mount.split(":", 1)
        binds.append(f"{project}_{source}:{target}:rw")
    return RawService(
        name=name,
        container=f"{project}-{name}-1",
        image=raw["image"],
        command=list(raw.get("command", [])),
        init=bool(raw.get("init", False)),
        depends_on={dep: spec["condition"] for dep, spec in raw.get("depends_on", {}).items()},
        networks=[f"{project}_{net}" for net in raw.get("networks", ["default"])],
        binds=binds,
        mem_limit=raw.get("mem_limit"),
        cpu_shares=raw.get("cpu_shares"),
        healthcheck=_healthcheck(raw.get("healthcheck")),
    )


def read_stack(path: Path, project: str) -> RawStack:
    """Read a generated compose.yaml for ``project``."""
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    services = {name: _service(project, name, raw) for name, raw in tree["services"].items()}
    return RawStack(
        project=project,
        services=services,
        networks=[f"{project}_{net}" for net in tree.get("networks", {})],
        volumes=[f"{project}_{vol}" for vol in tree.get("volumes", {})],
    )
