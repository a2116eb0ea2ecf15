"""Label keys orchestra writes on engine resources, and their encoding.

The ``com.docker.compose.*`` keys make orchestra's stacks look like compose's to the ecosystem
(``docker compose ps``, dashboards); the ``io.orchestra.*`` keys are orchestra's own state.
Labels are the only state orchestra keeps. Imports nothing but the standard library.
"""

from __future__ import annotations

__all__ = [
    "CONFIG_HASH",
    "CONTAINER_NUMBER",
    "IMAGE_ID",
    "NETWORK",
    "ONEOFF",
    "ORCHESTRA_VERSION",
    "PROJECT",
    "SERVICE",
    "VOLUME",
    "project_filter",
]

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
CONTAINER_NUMBER = "com.docker.compose.container-number"
ONEOFF = "com.docker.compose.oneoff"
NETWORK = "com.docker.compose.network"
VOLUME = "com.docker.compose.volume"
CONFIG_HASH = "io.orchestra.config-hash"
IMAGE_ID = "io.orchestra.image-id"
ORCHESTRA_VERSION = "io.orchestra.version"


def project_filter(project: str) -> str:
    """The engine label filter selecting every resource of ``project``."""
    return f"{PROJECT}={project}"
