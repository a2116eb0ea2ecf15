"""Which engine events a swarm project sees: service, node and task-container events.

Swarm's service and node events carry no labels (only the service's name), so the engine's
label filter would drop them all: the stream is filtered by type and action on the engine and
by project here. A container event belongs to the project by its label (task containers carry
the service's container labels), a service event by its id (the project's services when the
stream opened, plus those created since) or its name (``<project>_<service>``), and every node
event is kept (a node going down concerns every project). Never imports ``docker``; must not
import ``orchestra.spec``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from orchestra import labels
from orchestra.engine.docker_events import LIFECYCLE_EVENTS, EventStream

__all__ = ["SWARM_EVENT_TYPES", "ProjectEvents", "event_filters", "event_query", "keeps_event"]

SWARM_EVENT_TYPES = ("service", "node", "container")
# Services and nodes change by "update" (replicas, update state, a node's state): the
# container lifecycle actions alone would filter those out.
_SWARM_ACTIONS = ("update",)


def event_filters() -> dict[str, list[str]]:
    """The engine-side filters of a swarm event stream (no label filter: see the docstring)."""
    return {
        "type": list(SWARM_EVENT_TYPES),
        "event": [*LIFECYCLE_EVENTS, *_SWARM_ACTIONS],
    }


def event_query(filters: Mapping[str, list[str]]) -> dict[str, str]:
    return {"filters": json.dumps(filters)}


def _attributes(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    attributes: Mapping[str, Any] = (raw.get("Actor") or {}).get("Attributes") or {}
    return attributes


def keeps_event(raw: Mapping[str, Any], project: str, service_ids: set[str]) -> bool:
    """Whether ``raw`` (one decoded event) concerns ``project``; records services it creates.

    A name match is by prefix, so project ``a`` also sees the events of project ``a_b``'s
    services: a spurious wake-up of a watcher, never a missed one.
    """
    kind = raw.get("Type")
    attributes = _attributes(raw)
    if kind == "container":
        return attributes.get(labels.PROJECT) == project
    if kind == "node":
        return True
    if kind != "service":
        return False
    service_id = str((raw.get("Actor") or {}).get("ID") or "")
    if service_id in service_ids:
        return True
    if str(attributes.get("name") or "").startswith(f"{project}_"):
        service_ids.add(service_id)
        return True
    return False


class ProjectEvents:
    """An ``EventStream`` passing on only the events of one project."""

    def __init__(self, stream: EventStream, project: str, service_ids: Iterable[str]) -> None:
        self._stream = stream
        self._project = project
        self._service_ids = set(service_ids)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for raw in self._stream:
            if keeps_event(raw, self._project, self._service_ids):
                yield raw

    def close(self) -> None:
        self._stream.close()
