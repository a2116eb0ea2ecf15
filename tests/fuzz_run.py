"""Running fuzz examples: settings per environment, per-example budgets, and the counts.

Under ``CI`` (or ``ORCHESTRA_FUZZ_FULL=1``) every fuzz test runs its full number of examples,
derandomized so a CI failure replays the same inputs; elsewhere a tenth of them, randomly, so
``pytest tests/unit`` stays quick. Each example's CPU time (``process_time``: on this shared
2-core machine wall time runs 5-8x the CPU time when other test jobs are busy, so it measures
them, not the loader) and its peak Python allocation (``tracemalloc``) are checked against
the budgets; a run over the time budget is timed again without tracemalloc, which slows
allocation down. ``FuzzStats`` counts the examples and prints one summary line per test;
with ``ORCHESTRA_FUZZ_STATS=path`` it also appends it there as a JSON line
(how the figures in docs/reliability.md are collected).

Test helper only: imports ``hypothesis`` and the standard library.
"""

from __future__ import annotations

import json
import os
import resource
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from hypothesis import HealthCheck, settings

__all__ = ["MAX_BYTES", "MAX_SECONDS", "FuzzStats", "full_run", "fuzz_settings", "measured"]

MAX_SECONDS = 1.0
MAX_BYTES = 200 * 1024 * 1024
T = TypeVar("T")


def full_run() -> bool:
    """True when the fuzz tests must run all their examples (CI, or asked for)."""
    return bool(os.environ.get("CI") or os.environ.get("ORCHESTRA_FUZZ_FULL"))


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings for ``examples`` examples in a full run (a tenth otherwise)."""
    full = full_run()
    return settings(
        max_examples=examples if full else max(10, examples // 10),
        deadline=None,  # time is checked per example by ``measured``, with one retry
        derandomize=full,
        database=None if full else getattr(settings.default, "database", None),
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
        print_blob=True,
    )


@dataclass
class FuzzStats:
    """Counts and maxima of one fuzz test's examples."""

    name: str
    examples: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    max_seconds: float = 0.0
    max_bytes: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add(self, outcome: str, seconds: float, peak: int) -> None:
        self.examples += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.max_seconds = max(self.max_seconds, seconds)
        self.max_bytes = max(self.max_bytes, peak)

    def report(self) -> str:
        """Print (and maybe record) the summary line; returns it."""
        total = time.perf_counter() - self.started
        line = (
            f"fuzz {self.name}: {self.examples} examples in {total:.1f} s, "
            f"slowest {self.max_seconds * 1000:.0f} ms CPU, peak {self.max_bytes / 2**20:.1f} MiB, "
            f"outcomes {dict(sorted(self.outcomes.items()))}"
        )
        print(line)
        target = os.environ.get("ORCHESTRA_FUZZ_STATS")
        if target:
            record = {
                "test": self.name,
                "examples": self.examples,
                "seconds": round(total, 2),
                "slowest_ms": round(self.max_seconds * 1000),
                "peak_mib": round(self.max_bytes / 2**20, 1),
                "outcomes": self.outcomes,
            }
            with open(target, "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
        return line


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    start = time.process_time()
    result = work()
    return result, time.process_time() - start


def _once(work: Callable[[], T]) -> tuple[T, float, int]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.process_time()
    try:
        result = work()
    finally:
        seconds = time.process_time() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, seconds, peak


def _rss_growth(work: Callable[[], T]) -> tuple[T, float, int]:
    """Cheaper than tracemalloc: how far ``work`` raised the process's peak RSS."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result, seconds = _timed(work)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result, seconds, (after - before) * 1024  # ru_maxrss is in KiB on Linux


def measured(work: Callable[[], T], *, traced: bool = True) -> tuple[T, float, int]:
    """``work()``, its CPU time and peak memory; asserts both budgets.

    The memory is tracemalloc's peak, or with ``traced=False`` the growth of the process's
    peak RSS (any example over the budget would raise it past the budget). ``work`` must be
    repeatable (it is run again when only the time budget was broken).
    """
    result, seconds, peak = _once(work) if traced else _rss_growth(work)
    assert peak < MAX_BYTES, f"peak memory {peak / 2**20:.0f} MiB (max 200 MiB)"
    if seconds >= MAX_SECONDS:
        # tracemalloc slows allocation-heavy code down, and the cores are shared: time again,
        # untraced, before calling it too slow.
        result, seconds = _timed(work)
    assert seconds < MAX_SECONDS, f"took {seconds:.2f} s of CPU (max {MAX_SECONDS} s)"
    return result, seconds, peak
