"""Crash-loop backoff: doubling delays per service, the cap, the reset after a long run."""

from __future__ import annotations

import pytest

from orchestra.backoff import Backoff, BackoffPolicy


def test_quick_crashes_double_the_delay_up_to_the_cap() -> None:
    backoff = Backoff(BackoffPolicy(first=1.0, cap=60.0, stable=10.0))
    delays = [backoff.crashed("web", 0.1, now=100.0 * i).delay for i in range(9)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_long_run_ends_the_loop_and_restarts_at_once() -> None:
    backoff = Backoff(BackoffPolicy(first=1.0, stable=10.0))
    for i in range(4):
        backoff.crashed("web", 0.5, now=float(i))
    assert backoff.crashes("web") == 4
    crash = backoff.crashed("web", 10.0, now=50.0)
    assert (crash.crashes, crash.delay) == (0, 0.0)
    assert backoff.held(50.0) == frozenset()
    assert backoff.crashed("web", 0.5, now=51.0).delay == 1.0, "a new loop starts from first"


def test_an_unseen_start_counts_as_a_long_run() -> None:
    backoff = Backoff()
    assert backoff.crashed("web", None, now=0.0).delay == 0.0


def test_hold_lasts_for_the_delay_and_only_for_that_service() -> None:
    backoff = Backoff(BackoffPolicy(first=2.0))
    backoff.crashed("web", 0.1, now=10.0)
    assert backoff.held(10.0) == {"web"}
    assert backoff.held(11.9) == {"web"}
    assert backoff.held(12.0) == frozenset()
    assert backoff.crashes("db") == 0


def test_next_release_is_the_earliest_hold_end() -> None:
    backoff = Backoff(BackoffPolicy(first=1.0))
    backoff.crashed("web", 0.1, now=0.0)
    backoff.crashed("web", 0.1, now=0.0)  # 2 s
    backoff.crashed("api", 0.1, now=0.5)  # 1 s → 1.5
    assert backoff.next_release(0.0) == 1.5
    assert backoff.next_release(1.6) == 2.0
    assert backoff.next_release(2.0) is None


def test_forget_drops_services_no_longer_defined() -> None:
    backoff = Backoff()
    backoff.crashed("gone", 0.1, now=0.0)
    backoff.crashed("kept", 0.1, now=0.0)
    backoff.forget({"kept"})
    assert backoff.held(0.0) == {"kept"}


def test_messages_say_what_happens_next() -> None:
    backoff = Backoff(BackoffPolicy(first=1.0))
    backoff.crashed("web", 0.1, now=0.0)
    backoff.crashed("web", 0.1, now=0.0)
    backoff.crashed("web", 0.1, now=0.0)
    crash = backoff.crashed("web", 0.1, now=0.0)
    assert crash.message("exit 1 after 0.1 s") == (
        "web is crash-looping (exit 1 after 0.1 s, 4 quick crashes in a row): next start in 8 s"
    )
    again = backoff.crashed("web", 30.0, now=0.0)
    assert again.message("exit 3") == "web stopped (exit 3): starting it again"


def test_huge_crash_counts_stay_at_the_cap() -> None:
    policy = BackoffPolicy(first=1.0, cap=60.0)
    assert policy.delay(10_000) == 60.0
    assert policy.delay(0) == 0.0


@pytest.mark.parametrize(
    "kwargs", [{"first": 0.0}, {"first": 5.0, "cap": 1.0}, {"stable": 0.0}], ids=str
)
def test_impossible_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff"):
        BackoffPolicy(**kwargs)
