"""Engine failures as orchestra errors: the rules shared by the raw HTTP and the SDK paths.

Ordered most specific first: image not found, not found (404), a stale runtime task (a start
refused because containerd kept the container's task or shim directory across a daemon restart),
conflict (409 or a host port already allocated), any other engine refusal, and an engine that
cannot be reached. The HTTP client's exceptions are mapped here; ``docker_errors`` maps the SDK's
with the same rules, so a message never depends on which path made the call. Imports only the
standard library, ``orchestra.errors`` and ``docker_http``; never ``docker`` or ``requests``.
"""

from __future__ import annotations

import re

from orchestra.engine.docker_http import EngineConnectError, EngineHttpError
from orchestra.errors import (
    ConflictError,
    EngineError,
    EngineUnavailableError,
    ImageNotFoundError,
    NotFoundError,
    StaleTaskError,
)

__all__ = ["http_failure", "image_missing", "refusal", "root_reason", "stale_task", "unavailable"]

_PORT_TAKEN = re.compile(r"Bind for (\S+) failed: port is already allocated")
_ADDRESS_IN_USE = re.compile(r"listen \w+ (\S+): bind: address already in use")
# containerd's gRPC "Unavailable", as dockerd passes it on while it shuts down; and libnetwork's
# store once the shutdown has closed it (its file path is then empty: "open : no such file").
_RUNTIME_GONE = re.compile(
    r"transport is closing|code = Unavailable|: unavailable$"
    r"|failed to update store for object type \S+: open : no such file or directory"
)
# Engine 20.10 after a restart that cut a start short: containerd still has the container's task
# ("task <id>: already exists") or the shim's bundle directory ("failed to start shim: mkdir
# .../<id>: file exists"); every later start of that container is refused so.
# A third wording, seen in CI: containerd still holds the container itself ("id already in use").
_STALE_TASK = re.compile(
    r"\btask [0-9a-f]{12,}: already exists|failed to start shim: mkdir \S+: file exists"
    r"|: id already in use$"
)
# What the engine says when an image is missing, as opposed to any other 404.
_IMAGE_MISSING = (
    "no such image",
    "not found: does not exist or no pull access",
    "repository does not exist",
    "was found but does not match the specified platform",
)


def image_missing(status: int, text: str) -> bool:
    """Whether a refusal means "that image is not here" rather than another missing thing."""
    lowered = text.lower()
    return status == 404 and any(fragment in lowered for fragment in _IMAGE_MISSING)


def root_reason(exc: BaseException) -> str:
    """The innermost reason in the cause chain, which is what tells the user something."""
    current = exc
    while current.__cause__ is not None or current.__context__ is not None:
        nxt = current.__cause__ or current.__context__
        if nxt is None or nxt is current:
            break
        current = nxt
    return str(current) or type(current).__name__


def stale_task(action: str, text: str) -> StaleTaskError | None:
    """The error for a start refused over a task the runtime kept, or None for any other text."""
    if _STALE_TASK.search(text) is None:
        return None
    return StaleTaskError(
        f"{action}: the engine kept a stale task of this container after a restart ({text}); "
        "orchestra up replaces such a container"
    )


def unavailable(host: str, exc: BaseException) -> EngineUnavailableError:
    """The error for an engine that does not answer, with how to fix it."""
    return EngineUnavailableError(
        f"cannot reach the Docker Engine at {host} ({root_reason(exc)}). "
        f"Is dockerd running? Point DOCKER_HOST at it, e.g. DOCKER_HOST=unix:///var/run/docker.sock"
    )


def _port_conflict(action: str, text: str) -> ConflictError | None:
    match = _PORT_TAKEN.search(text) or _ADDRESS_IN_USE.search(text)
    if match is None:
        return None
    return ConflictError(
        f"{action}: host port {match.group(1)} is already allocated by another container or "
        f"process; free it or publish a different port ({text})"
    )


def refusal(
    status: int, text: str, action: str, image: str | None, *, no_image: bool | None = None
) -> EngineError:
    """The error for an engine refusal with ``status`` and the engine's message ``text``.

    ``no_image`` overrides the text-based "image is missing" test (the SDK decides it itself).
    """
    if image_missing(status, text) if no_image is None else no_image:
        return ImageNotFoundError(f"{action}: image {image or 'the image'} is not present ({text})")
    if status == 404:
        return NotFoundError(f"{action}: {text}")
    stale = stale_task(action, text)
    if stale is not None:
        return stale
    port = _port_conflict(action, text)
    if port is not None:
        return port
    if status == 409:
        return ConflictError(f"{action}: {text}")
    if status >= 500 and _RUNTIME_GONE.search(text):
        # dockerd shutting down (a restart) answers calls in flight with its containerd
        # connection closing: the engine is going away, not refusing this one request.
        return EngineUnavailableError(
            f"{action}: the Docker Engine stopped serving requests ({text}); is dockerd restarting?"
        )
    return EngineError(f"{action}: {text}")


def http_failure(
    exc: BaseException, action: str, host: str, image: str | None = None
) -> EngineError | None:
    """The orchestra error for a failed raw HTTP call, or None when ``exc`` is not one."""
    if isinstance(exc, EngineHttpError):
        return refusal(exc.status, exc.explanation, action, image)
    if isinstance(exc, EngineConnectError):
        return unavailable(host, exc)
    if isinstance(exc, TimeoutError):
        return EngineError(f"{action}: the Docker Engine at {host} did not answer in time")
    if isinstance(exc, ConnectionError):
        # The engine went away in the middle of a call (docker_wire's errors are these too).
        return unavailable(host, exc)
    return None
