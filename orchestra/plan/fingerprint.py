"""The fingerprint of the engine state a plan was made against, and what moved since.

A saved plan (``plan -o``) is only right for the state it was computed from. The fingerprint
keeps, per container id: its name, status, config-hash label and image; the ids of the project's
networks, the names of its volumes, and the local id of every image the plan's services use.
Health is left out on purpose: it changes by itself (starting → healthy) and would make every
plan made during a start stale. ``changes`` says in words what differs.

Pure; imports ``labels`` and ``engine.base`` types only, never ``docker``/``anyio``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestra import labels as lbl
from orchestra.engine.base import Observed

__all__ = ["Fingerprint", "changes", "fingerprint"]


@dataclass(frozen=True)
class Fingerprint:
    """What a plan depends on, as plain sorted data (JSON-ready)."""

    # id → {"name", "status", "config_hash", "image"}
    containers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    networks: Mapping[str, str] = field(default_factory=dict)  # id → name
    volumes: tuple[str, ...] = ()
    images: Mapping[str, str | None] = field(default_factory=dict)  # reference → local id

    def to_dict(self) -> dict[str, Any]:
        """The fingerprint as JSON data, with its sha256 ``digest`` for quick comparison."""
        data: dict[str, Any] = {
            "containers": {k: dict(v) for k, v in sorted(self.containers.items())},
            "networks": dict(sorted(self.networks.items())),
            "volumes": list(self.volumes),
            "images": dict(sorted(self.images.items())),
        }
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return {**data, "digest": hashlib.sha256(text.encode()).hexdigest()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fingerprint:
        """The inverse of ``to_dict``; ValueError when a part is missing or malformed."""
        try:
            containers = {
                str(cid): {str(k): str(v) for k, v in entry.items()}
                for cid, entry in data["containers"].items()
            }
            networks = {str(k): str(v) for k, v in data["networks"].items()}
            volumes = tuple(str(v) for v in data["volumes"])
            images = {str(k): None if v is None else str(v) for k, v in data["images"].items()}
        except (KeyError, AttributeError, TypeError) as exc:
            raise ValueError(f"malformed fingerprint: {exc}") from exc
        return cls(containers, networks, volumes, images)


def fingerprint(observed: Observed, images: Mapping[str, str | None]) -> Fingerprint:
    """The fingerprint of a project's observed state and the images its services use."""
    containers = {
        c.id: {
            "name": c.name,
            "status": c.status.value,
            "config_hash": c.labels.get(lbl.CONFIG_HASH, ""),
            "image": c.labels.get(lbl.IMAGE_ID) or c.image_id,
        }
        for c in sorted(observed.containers, key=lambda c: c.id)
    }
    networks = {n.id: n.name for n in sorted(observed.networks, key=lambda n: n.id)}
    volumes = tuple(sorted(v.name for v in observed.volumes))
    return Fingerprint(containers, networks, volumes, dict(sorted(images.items())))


_STATUS_WORDS: Mapping[tuple[str, str], str] = {
    ("exited", "running"): "started",
    ("created", "running"): "started",
    ("running", "exited"): "stopped",
    ("running", "restarting"): "restarting",
}


def _container_changes(before: Fingerprint, after: Fingerprint) -> list[str]:
    found = []
    for cid in sorted(set(before.containers) | set(after.containers)):
        old, new = before.containers.get(cid), after.containers.get(cid)
        if old is None:
            assert new is not None
            found.append(f"container {new['name']} created")
        elif new is None:
            found.append(f"container {old['name']} removed")
        else:
            name = new["name"]
            if old["status"] != new["status"]:
                pair = (old["status"], new["status"])
                word = _STATUS_WORDS.get(pair, f"{old['status']} → {new['status']}")
                found.append(f"container {name} {word}")
            if old["name"] != new["name"]:
                found.append(f"container {old['name']} renamed to {name}")
            if (old["config_hash"], old["image"]) != (new["config_hash"], new["image"]):
                found.append(f"container {name} changed")
    return found


def changes(before: Fingerprint, after: Fingerprint) -> list[str]:
    """What differs from ``before`` to ``after``, one phrase each; empty when nothing does."""
    found = _container_changes(before, after)
    for nid in sorted(set(before.networks) ^ set(after.networks)):
        name = before.networks.get(nid) or after.networks[nid]
        found.append(f"network {name} {'removed' if nid in before.networks else 'created'}")
    for name in sorted(set(before.volumes) ^ set(after.volumes)):
        found.append(f"volume {name} {'removed' if name in before.volumes else 'created'}")
    for ref in sorted(set(before.images) | set(after.images)):
        old, new = before.images.get(ref), after.images.get(ref)
        if old != new:
            word = "removed" if new is None else "pulled or built" if old is None else "changed"
            found.append(f"image {ref} {word}")
    return found
