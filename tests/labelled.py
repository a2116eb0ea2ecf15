"""Sweeping a test project off the engine by its compose project label (shared by the test
fixtures of every suite)."""

from __future__ import annotations

import contextlib
from typing import Any

PROJECT_LABEL = "com.docker.compose.project"


def sweep_project(client: Any, project: str) -> None:
    """Remove every container, network and volume labelled with ``project``."""
    flt = {"label": f"{PROJECT_LABEL}={project}"}
    for container in client.containers.list(all=True, filters=flt):
        container.remove(force=True, v=True)
    for network in client.networks.list(filters=flt):
        with contextlib.suppress(Exception):  # the engine's spurious "active endpoints"
            network.remove()
    for volume in client.volumes.list(filters=flt):
        with contextlib.suppress(Exception):
            volume.remove(force=True)
