"""Image builds through the engine's build endpoint (the classic builder; no buildx needed).

Blocking: runs in a worker thread under the adapter's limiter. A failed build becomes
``ImageBuildError`` carrying the failing step and the last lines of its output.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from docker import APIClient

from orchestra.engine.base import BuildSpec, ProgressCallback
from orchestra.errors import ImageBuildError

__all__ = ["build_blocking"]

_TAIL = 12  # output lines kept to explain a failure


def _kwargs(spec: BuildSpec) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "path": spec.context,
        "tag": spec.tag,
        "rm": True,
        "forcerm": True,
        "decode": True,
        "nocache": spec.no_cache,
        "pull": spec.pull,
    }
    optional = {
        "dockerfile": spec.dockerfile,
        "buildargs": dict(spec.args) or None,
        "target": spec.target,
        "labels": dict(spec.labels) or None,
        "network_mode": spec.network,
        "shmsize": spec.shm_size,
        "extra_hosts": dict(h.split(":", 1) for h in spec.extra_hosts) or None,
    }
    kwargs.update({key: value for key, value in optional.items() if value is not None})
    return kwargs


def build_blocking(api: APIClient, spec: BuildSpec, progress: ProgressCallback | None) -> str:
    """Build ``spec`` and return the image id; ImageBuildError on a failing step."""
    tail: deque[str] = deque(maxlen=_TAIL)
    step = ""
    image_id = ""
    for chunk in api.build(**_kwargs(spec)):
        text = str(chunk.get("stream") or "")
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith("Step "):
                step = line.strip()
            tail.append(line.rstrip())
            if progress is not None:
                progress(line.rstrip())
        aux = chunk.get("aux") or {}
        if isinstance(aux, dict) and aux.get("ID"):
            image_id = str(aux["ID"])
        if chunk.get("error"):
            detail = str(chunk.get("error")).strip()
            lines = "\n".join(f"    {t}" for t in tail)
            where = f" at {step}" if step else ""
            raise ImageBuildError(
                f"build of {spec.tag} failed{where}: {detail}\n  last output:\n{lines}"
            )
    return image_id
