"""Summaries of measured samples: median with min-max, failures counted apart.

Imports only the stdlib.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["METRICS", "Key", "Summary", "group", "ratio"]

# metric → (record field, unit, heading)
METRICS = {
    "wall": ("wall", "s", "Wall time"),
    "cpu": ("cpu", "s", "Client CPU time (user + sys)"),
    "rss": ("rss_mb", "MB", "Peak RSS of the client"),
}

Key = tuple[str, int, bool, str]  # (step, services, health, tool)


@dataclass(frozen=True)
class Summary:
    """The successful samples of one (step, stack, tool), and how many runs failed."""

    values: tuple[float, ...]
    failed: int
    failed_walls: tuple[float, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def cell(self, unit: str) -> str:
        """``1.23 (1.10-1.40)``, plus ``, 1/3 failed`` or just ``failed x3 (after 170 s)``."""
        if not self.values:
            after = f" (after {statistics.median(self.failed_walls):.0f} s)" if self.failed else ""
            return f"failed x{self.failed}{after}" if self.failed else "-"
        fmt = _fmt_mb if unit == "MB" else _fmt_s
        text = f"{fmt(self.median)} ({fmt(min(self.values))}-{fmt(max(self.values))})"
        if self.failed:
            text += f", {self.failed}/{self.failed + len(self.values)} failed"
        return text


def _fmt_s(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _fmt_mb(value: float) -> str:
    return f"{value:.0f}"


def group(records: Iterable[Mapping[str, Any]], field: str) -> dict[Key, Summary]:
    """Summaries of ``field`` keyed by (step, services, health, tool)."""
    ok: dict[Key, list[float]] = {}
    failed: dict[Key, list[float]] = {}
    for record in records:
        key: Key = (record["step"], record["services"], record["health"], record["tool"])
        ok.setdefault(key, [])
        failed.setdefault(key, [])
        if record["rc"] == 0 and not record.get("timed_out"):
            ok[key].append(float(record[field]))
        else:
            failed[key].append(float(record["wall"]))
    return {
        key: Summary(tuple(ok[key]), len(failed[key]), tuple(failed[key])) for key in sorted(ok)
    }


def ratio(top: Summary | None, bottom: Summary | None) -> float | None:
    """``top.median / bottom.median`` when both have successful samples."""
    if top is None or bottom is None or not top.ok or not bottom.ok or bottom.median <= 0:
        return None
    return top.median / bottom.median
