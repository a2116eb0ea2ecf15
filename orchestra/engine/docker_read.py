"""Blocking reads of the engine, on the caller's thread: observe a project, look up images.

A no-op ``up``, ``up --dry-run`` and ``ps`` read the engine and change nothing. ``EngineReader``
does that over the same ``docker_transport`` as ``DockerEngine`` (raw HTTP, or the SDK for TLS,
ssh and contexts), without an event loop: importing anyio and asyncio (which imports ``ssl``)
and starting a loop cost such a command about a fifth of its instructions, more than its engine
calls. ``read_observed`` is the observation both share (three label-filtered list calls, no
inspect). Failures are mapped as the adapter maps them (``docker_faults``).

Must not import ``anyio`` or ``orchestra.spec``; ``docker`` only through the transport's
fallback.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from orchestra import labels
from orchestra.engine.base import Observed, ObservedContainer
from orchestra.engine.docker_faults import http_failure
from orchestra.engine.docker_http import DEFAULT_HOST, quote_ref
from orchestra.engine.docker_observe import observed_container, observed_network, observed_volume
from orchestra.engine.docker_transport import Transport, open_transport
from orchestra.errors import NotFoundError

__all__ = ["EngineReader", "read_containers", "read_observed", "together"]

_TIMEOUT = 120.0
_READERS = 4  # connections kept: the reads of one observation run at the same time


def _project_filter(project: str) -> dict[str, str]:
    return {"filters": json.dumps({"label": [labels.project_filter(project)]})}


def read_containers(transport: Transport, project: str) -> tuple[ObservedContainer, ...]:
    """Every container of ``project`` (stopped ones and one-offs too), by name: one call."""
    params = {"all": "1", **_project_filter(project)}
    rows = transport.call("GET", "/containers/json", params=params) or []
    return tuple(sorted(map(observed_container, rows), key=lambda c: c.name))


def together(*calls: Callable[[], Any]) -> list[Any]:
    """The results of ``calls``, made at the same time (the first on this thread, the others on
    threads of their own); the first exception raised, if any. On an engine saturated by
    healthchecks each call waits its turn for a while, so waiting for them one after the other
    added up (issue 6: a no-op ``up`` of 50 health services spent 1.2 s on five reads)."""
    results: list[Any] = [None] * len(calls)
    failures: list[BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # re-raised on the caller's thread below
            failures[index] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(1, len(calls))]
    for thread in threads:
        thread.start()
    run(0)
    for thread in threads:
        thread.join()
    for failure in failures:
        if failure is not None:
            raise failure
    return results


def read_observed(transport: Transport, project: str) -> Observed:
    """The project's containers, networks and volumes: three label-filtered list calls, made at
    the same time (``together``)."""
    flt = _project_filter(project)
    containers, networks, volumes = together(
        lambda: read_containers(transport, project),
        lambda: transport.call("GET", "/networks", params=flt) or [],
        lambda: (transport.call("GET", "/volumes", params=flt) or {}).get("Volumes") or [],
    )
    return Observed(
        containers=containers,
        networks=tuple(sorted(map(observed_network, networks), key=lambda n: n.name)),
        volumes=tuple(sorted(map(observed_volume, volumes), key=lambda v: v.name)),
    )


def _mapped(exc: Exception, action: str, host: str, image: str | None = None) -> Exception:
    """The orchestra error for a failed call on either transport (``exc`` when none fits)."""
    found = http_failure(exc, action, host, image)
    # Only the SDK fallback raises requests' exceptions: if it was never imported, there is none.
    if found is None and "requests" in sys.modules:
        from orchestra.engine.docker_errors import translate

        found = translate(exc, action, host, image)
    return exc if found is None else found


class EngineReader:
    """Blocking reads over one connection; use it as a context manager (it closes it).

    Every method raises EngineUnavailableError when the engine does not answer and EngineError
    for a refusal.
    """

    def __init__(self, transport: Transport, host: str = DEFAULT_HOST) -> None:
        self.transport = transport
        self.host = host

    @classmethod
    def from_env(cls) -> EngineReader:
        """Connect as ``DockerEngine.from_env`` does (DOCKER_HOST, TLS, contexts)."""
        host = os.environ.get("DOCKER_HOST") or DEFAULT_HOST
        try:
            transport, host = open_transport(_READERS, _TIMEOUT)
        except Exception as exc:
            raise _mapped(exc, "connect to the Docker Engine", host) from exc
        return cls(transport, host)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.transport.close()

    def _read(self, action: str, path: str, params: Any = None, image: str | None = None) -> Any:
        try:
            return self.transport.call("GET", path, params=params)
        except Exception as exc:
            raise _mapped(exc, action, self.host, image) from exc

    def observe(self, project: str) -> Observed:
        """What the engine holds of ``project`` (as ``Engine.observe``)."""
        try:
            return read_observed(self.transport, project)
        except Exception as exc:
            raise _mapped(exc, f"observe project {project}", self.host) from exc

    def containers(self, project: str) -> tuple[ObservedContainer, ...]:
        """The containers of ``project`` alone, sorted by name (one list call)."""
        try:
            return read_containers(self.transport, project)
        except Exception as exc:
            raise _mapped(exc, f"list the containers of {project}", self.host) from exc

    def image_id(self, ref: str) -> str | None:
        """The id of the local image ``ref``; None when it is not present."""
        try:
            info = self._read(f"inspect image {ref}", f"/images/{quote_ref(ref)}/json", image=ref)
        except NotFoundError:
            return None
        return str(info["Id"])

    def image_ids(self, refs: set[str]) -> dict[str, str | None]:
        """``image_id`` of each ref (one call each, in order: a stack has few images)."""
        return {ref: self.image_id(ref) for ref in sorted(refs)}

    def observe_with_images(
        self, project: str, refs: set[str]
    ) -> tuple[Observed, dict[str, str | None]]:
        """``observe(project)`` and ``image_ids(refs)``, read at the same time."""
        observed, images = together(lambda: self.observe(project), lambda: self.image_ids(refs))
        return observed, images
