"""The issue's performance targets, checked against a run's summaries (wall medians etc.).

Each check says "met", "missed" (with the measured value) or "no data" (not measured in this
run, e.g. ``bench-quick`` has no health stacks). Imports only the stdlib and ``bench.stats``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bench.stats import Key, Summary, ratio

__all__ = ["Verdict", "check_targets"]

Table = Mapping[Key, Summary]
Check = tuple[str, str]  # (status, detail)
COLD, WAIT, NOOP, DOWN, PS, HELP = (
    "cold up -d",
    "cold up -d --wait",
    "no-op up -d",
    "down -v",
    "ps --format json",
    "--help",
)


@dataclass(frozen=True)
class Verdict:
    """One target: its wording, "met" / "missed" / "no data", and the measured value."""

    target: str
    status: str
    detail: str


def _ratio(wall: Table, step: str, n: int, health: bool, peer: str, limit: float) -> Check:
    mine, theirs = wall.get((step, n, health, "orchestra")), wall.get((step, n, health, peer))
    value = ratio(mine, theirs)
    label = f"N={n}{' h' if health else ''}"
    if mine is None or theirs is None:
        return "no data", f"{label}: not measured"
    if value is None:
        failed = [name for name, s in (("orchestra", mine), (peer, theirs)) if not s.ok]
        status = "missed" if "orchestra" in failed else "no data"
        return status, f"{label}: {' and '.join(failed)} failed"
    return ("met" if value <= limit else "missed"), f"{label}: {value:.2f}x"


def _all(parts: list[Check]) -> Check:
    if not parts:
        return "no data", "not measured"
    statuses = {status for status, _ in parts}
    status = "missed" if "missed" in statuses else "no data" if "no data" in statuses else "met"
    return status, "; ".join(detail for _, detail in parts)


def _absolute(summary: Summary | None, limit: float, unit: str) -> Check:
    if summary is None:
        return "no data", "not measured"
    if not summary.ok:
        return "missed", f"failed x{summary.failed}"
    return ("met" if summary.median <= limit else "missed"), f"{summary.median:.2f} {unit}"


def _wait_100(wall: Table) -> Check:
    status, detail = _absolute(wall.get((WAIT, 100, True, "orchestra")), 120.0, "s")
    compose = wall.get((WAIT, 100, True, "compose"))
    if compose is not None:
        detail += f" (compose: {compose.cell('s')})"
    return status, detail


def _max_rss(rss: Table, n: int) -> Check:
    values = [
        value
        for (_, size, _, tool), summary in rss.items()
        if size == n and tool == "orchestra"
        for value in summary.values
    ]
    if not values:
        return "no data", f"no orchestra run at N={n}"
    return ("met" if max(values) <= 120 else "missed"), f"max {max(values):.0f} MB"


def _help(wall: Table) -> Check:
    found = [s for (step, _, _, tool), s in wall.items() if step == HELP and tool == "orchestra"]
    best = min(found, key=lambda s: s.median if s.ok else float("inf"), default=None)
    return _absolute(best, 0.25, "s")


def _down(wall: Table) -> Check:
    parts = [
        _ratio(wall, DOWN, n, h, "compose", 1.0)
        for n in (50, 100)
        for h in (False, True)
        if (DOWN, n, h, "orchestra") in wall
    ]
    return _all(parts)


def check_targets(wall: Table, cpu: Table, rss: Table) -> list[Verdict]:
    """Every target of the issue that a benchmark run can speak to."""
    sizes = (50, 100)
    checks: list[tuple[str, Callable[[], Check]]] = [
        (
            "cold `up -d`, 50/100, no health: <= 1.0x compose",
            lambda: _all([_ratio(wall, COLD, n, False, "compose", 1.0) for n in sizes]),
        ),
        (
            "cold `up -d`, 50/100, no health: <= 1.1x raw",
            lambda: _all([_ratio(wall, COLD, n, False, "raw", 1.1) for n in sizes]),
        ),
        (
            "cold `up -d --wait`, 50 h: <= 0.7x compose",
            lambda: _ratio(wall, WAIT, 50, True, "compose", 0.7),
        ),
        ("cold `up -d --wait`, 100 h: succeeds in < 120 s", lambda: _wait_100(wall)),
        (
            "no-op `up -d`, 50 h: <= 0.1x compose",
            lambda: _ratio(wall, NOOP, 50, True, "compose", 0.1),
        ),
        (
            "no-op `up -d`, 50 no health: <= 1.5x compose",
            lambda: _ratio(wall, NOOP, 50, False, "compose", 1.5),
        ),
        ("`down`, 50/100: <= 1.0x compose", lambda: _down(wall)),
        (
            "`ps --format json`, 500 containers: <= 1.0x compose",
            lambda: _ratio(wall, PS, 500, False, "compose", 1.0),
        ),
        ("`orchestra --help` <= 0.25 s", lambda: _help(wall)),
        (
            "`orchestra ps`, 10 services: <= 0.40 s",
            lambda: _absolute(wall.get((PS, 10, False, "orchestra")), 0.40, "s"),
        ),
        (
            "client CPU, cold `up` of 100: <= 2x compose",
            lambda: _ratio(cpu, COLD, 100, False, "compose", 2.0),
        ),
        ("peak RSS of any command at 100 services: <= 120 MB", lambda: _max_rss(rss, 100)),
    ]
    return [Verdict(name, *check()) for name, check in checks]
