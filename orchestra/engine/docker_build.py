"""Image builds through the engine's build endpoint (the classic builder; no buildx needed).

Blocking: runs in a worker thread under the adapter's limiter. Progress is one line per build
step (``Step 2/7 : RUN apt-get ...``), handed to the callback on the event loop; the output of
the steps is kept only to explain a failure. A failed build becomes ``ImageBuildError``
carrying the failing step and the last lines of its output. Must not import ``orchestra.spec``.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import anyio.from_thread
from docker import APIClient

from orchestra.engine.base import BuildSpec, ProgressCallback
from orchestra.errors import ImageBuildError

__all__ = ["build_blocking"]

_TAIL = 12  # output lines kept to explain a failure
# The classic builder's own bookkeeping lines, which explain nothing about a failure.
_BUILDER_NOISE = (" ---> ", "Removing intermediate container ", "Successfully ")


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


class _BuildLog:
    """The build's output so far: the current step and the last lines, to explain a failure."""

    def __init__(self, tag: str, progress: ProgressCallback | None) -> None:
        self._tag = tag
        self._progress = progress
        self.step = ""
        self.tail: deque[str] = deque(maxlen=_TAIL)

    def add(self, text: str) -> None:
        for line in text.splitlines():
            line = line.rstrip()
            if not line.strip() or line.startswith(_BUILDER_NOISE):
                continue
            if line.startswith("Step "):
                # The tail explains the failing step: only that step's own output.
                self.step = line.strip()
                self.tail.clear()
                if self._progress is not None:
                    anyio.from_thread.run_sync(self._progress, self.step)
            else:
                self.tail.append(line)

    def failure(self, detail: str) -> ImageBuildError:
        where = f" at {self.step}" if self.step else ""
        lines = "\n".join(f"    {t}" for t in self.tail)
        output = f"\n  last output:\n{lines}" if lines else ""
        return ImageBuildError(f"build of {self._tag} failed{where}: {detail.strip()}{output}")


def build_blocking(api: APIClient, spec: BuildSpec, progress: ProgressCallback | None) -> str:
    """Build ``spec`` and return the image id; ImageBuildError on a failing step."""
    log = _BuildLog(spec.tag, progress)
    image_id = ""
    for chunk in api.build(**_kwargs(spec)):
        log.add(str(chunk.get("stream") or ""))
        aux = chunk.get("aux") or {}
        if isinstance(aux, dict) and aux.get("ID"):
            image_id = str(aux["ID"])
        if chunk.get("error"):
            raise log.failure(str(chunk.get("error")))
    return image_id
