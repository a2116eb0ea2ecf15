"""Per-field differences between the configuration a container was created from and the desired one.

Both sides are the canonical hash input of a service (``hashing.hash_input``): the desired side
from the Compose model, the observed side from the container's ``io.orchestra.config`` label
(read from the list call, no inspect). Mappings are compared key by key (``environment.DB_HOST``);
lists of objects item by item (``ports[0].published``, ``volumes[1]`` added or removed at the
end); lists of plain values and scalars as a whole. Keys that are not plain identifiers are
quoted (``sysctls["net.core.x"]``).

Pure and deterministic; imports ``labels`` and ``hashing`` only, never ``docker``/``anyio``.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from orchestra import labels as lbl
from orchestra.hashing import hash_input
from orchestra.records import record

if TYPE_CHECKING:
    from orchestra.spec.model import Service

__all__ = [
    "ChangeKind",
    "FieldChange",
    "config_changes",
    "diff_config",
    "summarize",
]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_SHOWN = 60  # characters of a value shown in text before it is cut


class ChangeKind(enum.StrEnum):
    CHANGED = "changed"  # ``~``: both sides have the field, with different values
    ADDED = "added"  # ``+``: only the desired configuration has it
    REMOVED = "removed"  # ``-``: only the container's configuration has it


@record
class FieldChange:
    """One changed field; a side the field is absent from is None (see ``kind``)."""

    path: str
    kind: ChangeKind
    desired: Any = None
    observed: Any = None

    def render(self) -> str:
        """``~ environment.DB_HOST: "db" → "db2"`` (observed → desired), ``+ ...``, ``- ...``."""
        if self.kind is ChangeKind.ADDED:
            return f"+ {self.path}: {_show(self.desired)}"
        if self.kind is ChangeKind.REMOVED:
            return f"- {self.path}: {_show(self.observed)}"
        return f"~ {self.path}: {_show(self.observed)} → {_show(self.desired)}"

    def to_dict(self) -> dict[str, Any]:
        """``{path, desired, observed}``; a side the field is absent from is left out."""
        out: dict[str, Any] = {"path": self.path}
        if self.kind is not ChangeKind.REMOVED:
            out["desired"] = self.desired
        if self.kind is not ChangeKind.ADDED:
            out["observed"] = self.observed
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldChange:
        """The inverse of ``to_dict``; ValueError when neither side is present."""
        has_desired, has_observed = "desired" in data, "observed" in data
        if not (has_desired or has_observed) or not isinstance(data.get("path"), str):
            raise ValueError(f"not a field change: {dict(data)!r}")
        if has_desired and has_observed:
            kind = ChangeKind.CHANGED
        else:
            kind = ChangeKind.ADDED if has_desired else ChangeKind.REMOVED
        return cls(data["path"], kind, data.get("desired"), data.get("observed"))


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _join(prefix: str, key: str) -> str:
    if _PLAIN_KEY.match(key):
        return f"{prefix}.{key}" if prefix else key
    return f"{prefix}[{json.dumps(key, ensure_ascii=False)}]"


def _walk(path: str, desired: Any, observed: Any) -> Iterator[FieldChange]:
    if desired == observed:
        return
    if isinstance(desired, Mapping) and isinstance(observed, Mapping):
        for key in sorted(set(desired) | set(observed)):
            where = _join(path, str(key))
            if key not in observed:
                yield FieldChange(where, ChangeKind.ADDED, desired=desired[key])
            elif key not in desired:
                yield FieldChange(where, ChangeKind.REMOVED, observed=observed[key])
            else:
                yield from _walk(where, desired[key], observed[key])
        return
    if (
        isinstance(desired, list)
        and isinstance(observed, list)
        and any(isinstance(item, Mapping) for item in (*desired, *observed))
    ):
        yield from _walk_items(path, desired, observed)
        return
    yield FieldChange(path, ChangeKind.CHANGED, desired=desired, observed=observed)


def _walk_items(path: str, desired: list[Any], observed: list[Any]) -> Iterator[FieldChange]:
    """Lists of objects (ports, volumes) item by item; extra items are added or removed."""
    for index, (want, have) in enumerate(zip(desired, observed, strict=False)):
        yield from _walk(f"{path}[{index}]", want, have)
    for index in range(len(observed), len(desired)):
        yield FieldChange(f"{path}[{index}]", ChangeKind.ADDED, desired=desired[index])
    for index in range(len(desired), len(observed)):
        yield FieldChange(f"{path}[{index}]", ChangeKind.REMOVED, observed=observed[index])


def diff_config(desired: Mapping[str, Any], observed: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """Every field that differs between two hash inputs, in path order."""
    return tuple(_walk("", desired, observed))


def config_changes(
    service: Service, container_labels: Mapping[str, str]
) -> tuple[FieldChange, ...] | None:
    """How ``service`` differs from the config a container was made from; None when unknown.

    Unknown means the container has no readable CONFIG label (made by an older orchestra or by
    another tool).
    """
    observed = lbl.decode_config(container_labels.get(lbl.CONFIG))
    if observed is None:
        return None
    # Through JSON, so both sides have the same types (tuples as lists, numbers as JSON has them).
    desired = lbl.decode_config(lbl.encode_config(hash_input(service)))
    assert desired is not None
    return diff_config(desired, observed)


def summarize(changes: tuple[FieldChange, ...], limit: int = 3) -> str:
    """The first ``limit`` paths, comma-separated, then ``+N more``."""
    paths = [change.path for change in changes[:limit]]
    extra = len(changes) - limit
    return ", ".join(paths) + (f" +{extra} more" if extra > 0 else "")
