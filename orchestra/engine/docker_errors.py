"""Translate docker SDK and HTTP failures into orchestra's error tree, at the adapter seam only.

The mapping is ordered most specific first: image not found, not found (404), conflict (409 or
a port already allocated), any other engine refusal, and last an engine that cannot be reached.
Only ``orchestra.engine.docker*`` may import this module; it must not import ``orchestra.spec``.
"""

from __future__ import annotations

import re

import requests
import urllib3.exceptions
from docker import errors as docker_errors

from orchestra.errors import (
    ConflictError,
    EngineError,
    EngineUnavailableError,
    ImageNotFoundError,
    NotFoundError,
)

__all__ = ["translate", "unavailable"]

_PORT_TAKEN = re.compile(r"Bind for (\S+) failed: port is already allocated")
_ADDRESS_IN_USE = re.compile(r"listen \w+ (\S+): bind: address already in use")


def _explanation(exc: docker_errors.APIError) -> str:
    text = exc.explanation
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text or exc).strip()


def _caused_by_connection(exc: BaseException) -> bool:
    """True when ``exc`` or anything in its cause chain means the engine did not answer."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current,
            requests.exceptions.ConnectionError
            | urllib3.exceptions.NewConnectionError
            | urllib3.exceptions.ProtocolError
            | ConnectionRefusedError
            | FileNotFoundError,
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def unavailable(host: str, exc: BaseException) -> EngineUnavailableError:
    """The error for an engine that does not answer, with how to fix it."""
    return EngineUnavailableError(
        f"cannot reach the Docker Engine at {host} ({_root_reason(exc)}). "
        f"Is dockerd running? Point DOCKER_HOST at it, e.g. DOCKER_HOST=unix:///var/run/docker.sock"
    )


def _root_reason(exc: BaseException) -> str:
    """The innermost reason in the cause chain, which is what tells the user something."""
    current = exc
    while current.__cause__ is not None or current.__context__ is not None:
        nxt = current.__cause__ or current.__context__
        if nxt is None or nxt is current:
            break
        current = nxt
    return str(current) or type(current).__name__


def _port_conflict(action: str, text: str) -> ConflictError | None:
    match = _PORT_TAKEN.search(text) or _ADDRESS_IN_USE.search(text)
    if match is None:
        return None
    return ConflictError(
        f"{action}: host port {match.group(1)} is already allocated by another container or "
        f"process; free it or publish a different port ({text})"
    )


def _api_error(exc: docker_errors.APIError, action: str, image: str | None) -> EngineError:
    text = _explanation(exc)
    if isinstance(exc, docker_errors.ImageNotFound):
        name = image or "the image"
        return ImageNotFoundError(f"{action}: image {name} is not present ({text})")
    if isinstance(exc, docker_errors.NotFound):
        return NotFoundError(f"{action}: {text}")
    port = _port_conflict(action, text)
    if port is not None:
        return port
    if exc.status_code == 409:
        return ConflictError(f"{action}: {text}")
    return EngineError(f"{action}: {text}")


def translate(
    exc: BaseException, action: str, host: str, image: str | None = None
) -> EngineError | None:
    """The orchestra error for a failed SDK call, or None when ``exc`` is not an engine failure.

    ``action`` names what was attempted ("create container web-1"); ``image`` names the image
    the call needed, so a missing image is reported by name.
    """
    if isinstance(exc, docker_errors.APIError):
        return _api_error(exc, action, image)
    if isinstance(exc, requests.exceptions.ConnectTimeout) or _caused_by_connection(exc):
        return unavailable(host, exc)
    if isinstance(exc, requests.exceptions.Timeout):
        return EngineError(f"{action}: the Docker Engine at {host} did not answer in time")
    if isinstance(exc, docker_errors.DockerException | requests.exceptions.RequestException):
        return EngineError(f"{action}: {exc}")
    return None
