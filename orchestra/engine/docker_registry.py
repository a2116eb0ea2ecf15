"""Pulling and pushing images through the engine: per-layer progress, and failures that name
the image and the registry.

The engine streams one JSON message per layer change (``Downloading`` 1.2MB/40MB, ``Pull
complete``, ``Pushed``, ...). ``TransferBoard`` folds them into few lines: one when a layer
finishes and, at most every ``interval`` seconds, a summary of the bytes moved so far.

The blocking functions run in a worker thread under the adapter's limiter and hand each line to
``progress`` on the event loop (through ``anyio.from_thread``). Only ``orchestra.engine.docker*``
may import this module; it must not import ``orchestra.spec``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio.from_thread
from docker import errors as docker_errors
from docker.api import APIClient

from orchestra.engine.base import ProgressCallback
from orchestra.errors import EngineError, ImageNotFoundError

__all__ = [
    "TransferBoard",
    "pull_blocking",
    "push_blocking",
    "registry_failure",
    "registry_of",
    "split_reference",
]

DEFAULT_REGISTRY = "docker.io"

# A layer is finished in one of these states (compared lower-case).
_FINISHED = ("pull complete", "already exists", "pushed", "layer already exists", "mounted from")
# States that come with byte counts, reported only as a throttled summary.
_MOVING = ("downloading", "extracting", "pushing")

# What the engine's error text means for the user, first match wins (compared lower-case).
_REASONS: tuple[tuple[str, str], ...] = (
    ("connection refused", "refused the connection"),
    ("no such host", "does not resolve (unknown host name)"),
    ("server misbehaving", "does not resolve (DNS failure)"),
    ("temporary failure in name resolution", "does not resolve (DNS failure)"),
    ("i/o timeout", "did not answer in time"),
    ("no route to host", "cannot be reached (no route to host)"),
    ("network is unreachable", "cannot be reached (network unreachable)"),
    ("http response to https client", "answers plain HTTP where the engine expects HTTPS"),
    ("x509", "presented a TLS certificate the engine does not trust"),
    ("manifest unknown", "does not have it"),
    ("not found", "does not have it"),
    ("unauthorized", "denied access (log in with `docker login`)"),
    ("denied", "denied access (log in with `docker login`)"),
)


def registry_of(ref: str) -> str:
    """The registry host of an image reference, as the engine decides it (``docker.io`` when
    the first path part is not a host: it has no ``.`` or ``:`` and is not ``localhost``)."""
    first, sep, _ = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return DEFAULT_REGISTRY


def split_reference(ref: str) -> tuple[str, str]:
    """``host:5000/app:1`` -> (``host:5000/app``, ``1``); a digest stays whole after ``@``;
    no tag means ``latest`` (never "every tag", which is what the engine does for a push)."""
    if "@" in ref:
        repository, _, digest = ref.partition("@")
        return repository, digest
    head, _, last = ref.rpartition("/")
    name, sep, tag = last.partition(":")
    repository = f"{head}/{name}" if head else name
    return repository, (tag if sep and tag else "latest")


def registry_failure(verb: str, ref: str, text: str) -> str:
    """One line: ``cannot pull image X: registry H refused the connection (engine text)``."""
    host = registry_of(ref)
    detail = " ".join(str(text).split())  # the engine's text may span lines
    lowered = detail.lower()
    for needle, meaning in _REASONS:
        if needle in lowered:
            return f"cannot {verb} image {ref}: registry {host} {meaning} ({detail})"
    return f"cannot {verb} image {ref}: registry {host} answered: {detail}"


@dataclass
class _Layer:
    status: str = ""
    current: int = 0
    total: int = 0
    finished: bool = False


def _size(count: int) -> str:
    # Decimal units, as the engine's own progress bars count.
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"


class TransferBoard:
    """Per-layer state of one pull or push, turned into the lines worth showing."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, interval: float = 0.5) -> None:
        self._clock = clock
        self._interval = interval
        self._layers: dict[str, _Layer] = {}
        self._last_summary: float | None = None

    def feed(self, message: Mapping[str, Any]) -> list[str]:
        """The lines ``message`` calls for (often none)."""
        status = str(message.get("status") or "").strip()
        if not status:
            return []
        layer_id = message.get("id")
        if layer_id is None or "progressDetail" not in message:
            return [status]  # "Pulling from app", "Digest: ...", "The push refers to ..."
        layer = self._layers.setdefault(str(layer_id), _Layer())
        layer.status = status
        lowered = status.lower()
        if lowered.startswith(_FINISHED):
            layer.finished = True
            layer.current = max(layer.current, layer.total)
            return [f"{layer_id}: {status}"]
        if lowered in _MOVING:
            detail = message.get("progressDetail") or {}
            layer.current = int(detail.get("current") or 0)
            layer.total = int(detail.get("total") or layer.total)
            return self._summary(status)
        return []

    def summary(self, verb: str) -> str:
        """``Downloading 2/5 layers, 12.3 MB/40.1 MB``."""
        done = sum(1 for layer in self._layers.values() if layer.finished)
        moved = sum(min(layer.current, layer.total) for layer in self._layers.values())
        total = sum(layer.total for layer in self._layers.values())
        line = f"{verb} {done}/{len(self._layers)} layers"
        return f"{line}, {_size(moved)}/{_size(total)}" if total else line

    def _summary(self, verb: str) -> list[str]:
        now = self._clock()
        if self._last_summary is not None and now - self._last_summary < self._interval:
            return []
        self._last_summary = now
        return [self.summary(verb)]


def _report(board: TransferBoard, messages: Iterable[Mapping[str, Any]], report: _Sender) -> None:
    for message in messages:
        if message.get("error"):
            raise _StreamError(str(message["error"]))
        for line in board.feed(message):
            report(line)


_Sender = Callable[[str], None]


class _StreamError(Exception):
    """An ``error`` message inside the engine's progress stream."""


def _sender(progress: ProgressCallback | None) -> _Sender:
    if progress is None:
        return lambda line: None
    return lambda line: anyio.from_thread.run_sync(progress, line)


def pull_blocking(api: APIClient, ref: str, progress: ProgressCallback | None) -> None:
    """Blocking: pull ``ref``; ImageNotFoundError naming the image, the registry and why."""
    repository, tag = split_reference(ref)
    try:
        stream = api.pull(repository, tag=tag, stream=True, decode=True)
        _report(TransferBoard(), stream, _sender(progress))
    except docker_errors.APIError as exc:
        text = exc.explanation or str(exc)
        raise ImageNotFoundError(registry_failure("pull", ref, str(text))) from exc
    except _StreamError as exc:
        raise ImageNotFoundError(registry_failure("pull", ref, str(exc))) from exc


def push_blocking(api: APIClient, ref: str, progress: ProgressCallback | None) -> None:
    """Blocking: push ``ref`` to its registry.

    ImageNotFoundError when no local image has that name; EngineError naming the registry
    when it cannot be reached or refuses the push.
    """
    repository, tag = split_reference(ref)
    try:
        stream = api.push(repository, tag=tag, stream=True, decode=True)
        _report(TransferBoard(), stream, _sender(progress))
    except docker_errors.APIError as exc:
        text = exc.explanation or str(exc)
        raise EngineError(registry_failure("push", ref, str(text))) from exc
    except _StreamError as exc:
        if "does not exist locally" in str(exc):
            raise ImageNotFoundError(
                f"cannot push image {ref}: no local image has that name (build or tag it first)"
            ) from exc
        raise EngineError(registry_failure("push", ref, str(exc))) from exc
