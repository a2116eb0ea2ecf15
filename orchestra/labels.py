"""Label keys orchestra writes on engine resources, and their encoding.

The ``com.docker.compose.*`` keys make orchestra's stacks look like compose's to the ecosystem
(``docker compose ps``, dashboards); the ``io.orchestra.*`` keys are orchestra's own state.
Labels are the only state orchestra keeps. Imports nothing but the standard library.

``io.orchestra.config`` holds the canonical hash input of the service a container was created
from (compact JSON; above 4 KB ``zlib:`` + base64 of the zlib-compressed JSON), so a plan can say
which fields changed without another engine call.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CONFIG",
    "CONFIG_HASH",
    "CONTAINER_NUMBER",
    "IMAGE_ID",
    "NETWORK",
    "ONEOFF",
    "ORCHESTRA_VERSION",
    "PROJECT",
    "SERVICE",
    "VOLUME",
    "decode_config",
    "encode_config",
    "project_filter",
]

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
CONTAINER_NUMBER = "com.docker.compose.container-number"
ONEOFF = "com.docker.compose.oneoff"
NETWORK = "com.docker.compose.network"
VOLUME = "com.docker.compose.volume"
CONFIG_HASH = "io.orchestra.config-hash"
CONFIG = "io.orchestra.config"
IMAGE_ID = "io.orchestra.image-id"
ORCHESTRA_VERSION = "io.orchestra.version"


def project_filter(project: str) -> str:
    """The engine label filter selecting every resource of ``project``."""
    return f"{PROJECT}={project}"


_COMPRESSED = "zlib:"
_PLAIN_LIMIT = 4096  # bytes; larger configs are compressed to keep the label small


def encode_config(data: Mapping[str, Any]) -> str:
    """``data`` as the value of the CONFIG label: compact JSON, compressed above 4 KB."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    raw = text.encode()
    if len(raw) <= _PLAIN_LIMIT:
        return text
    return _COMPRESSED + base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def decode_config(value: str | None) -> dict[str, Any] | None:
    """The mapping a CONFIG label holds; None when absent or unreadable (an older container)."""
    if not value:
        return None
    try:
        if value.startswith(_COMPRESSED):
            value = zlib.decompress(base64.b64decode(value[len(_COMPRESSED) :])).decode()
        data = json.loads(value)
    except (ValueError, zlib.error):  # bad base64, JSON or UTF-8 are ValueErrors
        return None
    return data if isinstance(data, dict) else None
