"""Translate docker SDK and HTTP failures into orchestra's error tree, at the adapter seam only.

The rules live in ``docker_faults``, shared with the raw HTTP path: image not found, not found
(404), a stale runtime task, conflict (409 or a port already allocated), any other engine
refusal, and last an engine that cannot be reached. Imported lazily, only where the SDK is used.
Only ``orchestra.engine.docker*`` may import this module; it must not import ``orchestra.spec``.
"""

from __future__ import annotations

import requests
import urllib3.exceptions
from docker import errors as docker_errors

from orchestra.engine.docker_faults import http_failure, refusal, unavailable
from orchestra.errors import EngineError

__all__ = ["translate", "unavailable"]


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


def _api_error(exc: docker_errors.APIError, action: str, image: str | None) -> EngineError:
    no_image = isinstance(exc, docker_errors.ImageNotFound)
    return refusal(exc.status_code or 500, _explanation(exc), action, image, no_image=no_image)


def translate(
    exc: BaseException, action: str, host: str, image: str | None = None
) -> EngineError | None:
    """The orchestra error for a failed SDK call, or None when ``exc`` is not an engine failure.

    ``action`` names what was attempted ("create container web-1"); ``image`` names the image
    the call needed, so a missing image is reported by name.
    """
    if isinstance(exc, docker_errors.APIError):
        return _api_error(exc, action, image)
    raw = http_failure(exc, action, host, image)
    if raw is not None:
        return raw
    if isinstance(exc, requests.exceptions.ConnectTimeout) or _caused_by_connection(exc):
        return unavailable(host, exc)
    if isinstance(exc, requests.exceptions.Timeout):
        return EngineError(f"{action}: the Docker Engine at {host} did not answer in time")
    if isinstance(exc, docker_errors.DockerException | requests.exceptions.RequestException):
        return EngineError(f"{action}: {exc}")
    return None
