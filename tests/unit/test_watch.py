"""The watch loop's logic without an engine: triggers and coalescing, the one-pass-at-a-time
loop, file polling, what container events mean, pass metrics, options of later passes."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from orchestra.engine.base import EngineEvent
from orchestra.errors import UsageError
from orchestra.plan.options import UpOptions
from orchestra.watch import PassRecord, WatchSettings, drive, steady
from orchestra.watch_triggers import (
    Batch,
    ContainerHistory,
    FileWatch,
    Triggers,
    watched_paths,
)

pytestmark = pytest.mark.anyio

SERVICE = "com.docker.compose.service"


# --- triggers and the loop -------------------------------------------------------------------


async def test_a_burst_of_triggers_is_one_batch() -> None:
    triggers = Triggers()
    for name in ("web-1 die", "web-1 destroy", "web-1 die"):
        triggers.fire("events", name)
    triggers.fire("files", "compose.yaml")
    assert await triggers.wait(0) is True
    batch = triggers.take()
    assert batch == Batch(("events", "files"), ("web-1 die", "web-1 destroy", "compose.yaml"))
    assert batch.trigger == "events+files"
    assert not triggers.pending
    assert await triggers.wait(0.01) is False


async def test_details_are_capped_but_the_trigger_is_kept() -> None:
    triggers = Triggers()
    for n in range(50):
        triggers.fire("events", f"c{n} die")
    batch = triggers.take()
    assert batch.kinds == ("events",)
    assert 0 < len(batch.details) < 10


class _Passes:
    """A stand-in pass that takes ``duration`` seconds and records its batches and overlap."""

    def __init__(self, duration: float) -> None:
        self.duration = duration
        self.batches: list[Batch] = []
        self.running = 0
        self.max_running = 0

    async def __call__(self, batch: Batch) -> None:
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        self.batches.append(batch)
        await anyio.sleep(self.duration)
        self.running -= 1


def _never() -> tuple[float, str]:
    return anyio.current_time() + 3600, "resync"


async def test_triggers_during_a_pass_make_exactly_one_more_pass() -> None:
    triggers, passes = Triggers(), _Passes(duration=0.3)
    async with anyio.create_task_group() as group:
        group.start_soon(drive, triggers, passes, _never, 0.05)
        triggers.fire("start")
        await anyio.sleep(0.15)  # inside the first pass
        for n in range(5):
            triggers.fire("events", f"c{n} die")
            await anyio.sleep(0.01)
        await anyio.sleep(1.0)
        group.cancel_scope.cancel()
    assert [b.trigger for b in passes.batches] == ["start", "events"]
    assert len(passes.batches[1].details) == 5
    assert passes.max_running == 1


async def test_the_timer_runs_a_pass_when_nothing_else_does() -> None:
    triggers, passes = Triggers(), _Passes(duration=0.0)
    due = anyio.current_time() + 0.2

    def timer() -> tuple[float, str]:
        return (due, "backoff") if not passes.batches else _never()

    async with anyio.create_task_group() as group:
        group.start_soon(drive, triggers, passes, timer, 0.0)
        await anyio.sleep(0.1)
        assert passes.batches == []
        await anyio.sleep(0.3)
        group.cancel_scope.cancel()
    assert [b.trigger for b in passes.batches] == ["backoff"]


async def test_debounce_gathers_a_burst_that_straddles_the_first_trigger() -> None:
    triggers, passes = Triggers(), _Passes(duration=0.0)
    async with anyio.create_task_group() as group:
        group.start_soon(drive, triggers, passes, _never, 0.2)
        triggers.fire("events", "a die")
        await anyio.sleep(0.1)
        triggers.fire("files", "compose.yaml")
        await anyio.sleep(0.4)
        group.cancel_scope.cancel()
    assert [b.trigger for b in passes.batches] == ["events+files"]


# --- files -----------------------------------------------------------------------------------


def _bump_mtime(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_file_watch_sees_content_changes_not_touches(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("services: {}\n")
    watch = FileWatch([compose])
    assert watch.changed() == []
    _bump_mtime(compose)
    assert watch.changed() == [], "same content: not a change"
    compose.write_text("services: {web: {image: x}}\n")
    _bump_mtime(compose)
    assert watch.changed() == [compose]
    assert watch.changed() == []


def test_file_watch_sees_files_appear_and_disappear(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    watch = FileWatch([env])
    env.write_text("TAG=1\n")
    assert watch.changed() == [env]
    env.unlink()
    assert watch.changed() == [env]


def test_tracking_new_paths_keeps_the_state_of_old_ones(tmp_path: Path) -> None:
    one, two = tmp_path / "a.yaml", tmp_path / "b.yaml"
    one.write_text("a")
    watch = FileWatch([one])
    one.write_text("changed")
    _bump_mtime(one)
    two.write_text("b")
    watch.track([one, two])
    assert watch.changed() == [one], "the change before track() is still reported"
    assert watch.paths == (one, two)


def test_watched_paths_are_the_files_and_the_env_file(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    assert watched_paths([compose], tmp_path) == (compose, tmp_path / ".env")
    custom = tmp_path / "prod.env"
    assert watched_paths([compose], tmp_path, [custom]) == (compose, custom)


# --- what container events mean --------------------------------------------------------------


def _event(
    action: str, ident: str = "a" * 64, at: float = 0.0, service: str = "web", **attrs: str
) -> EngineEvent:
    attributes = {SERVICE: service, "name": f"demo-{service}-1", **attrs}
    return EngineEvent("container", action, ident, attributes, int(at * 1e9))


def test_an_exit_without_a_stop_is_a_crash_with_its_run_time() -> None:
    history = ContainerHistory()
    assert history.note(_event("start", at=10.0)) is None
    ending = history.note(_event("die", at=10.25, exitCode="1"))
    assert ending is not None
    assert (ending.kind, ending.service, ending.exit_code) == ("crashed", "web", "1")
    assert ending.ran_for == pytest.approx(0.25)
    assert ending.reason == "exit 1 after 0.2 s"


@pytest.mark.parametrize("signal_action", ["kill", "stop"])
def test_an_exit_after_a_kill_or_stop_is_a_stop(signal_action: str) -> None:
    history = ContainerHistory()
    history.note(_event("start", at=1.0))
    history.note(_event(signal_action, at=5.0))
    ending = history.note(_event("die", at=5.1, exitCode="0"))
    assert ending is not None and ending.kind == "stopped"
    assert history.completed == frozenset()


def test_exit_0_by_itself_completes_until_the_next_start_or_destroy() -> None:
    history, job = ContainerHistory(), "b" * 64
    history.note(_event("start", job, at=1.0))
    ending = history.note(_event("die", job, at=1.5, exitCode="0"))
    assert ending is not None and ending.kind == "completed"
    assert history.completed == {job}
    history.note(_event("start", job, at=9.0))
    assert history.completed == frozenset()
    history.note(_event("die", job, at=9.5, exitCode="0"))
    history.note(_event("destroy", job, at=10.0))
    assert history.completed == frozenset()


def test_a_start_after_a_kill_forgets_the_kill() -> None:
    history = ContainerHistory()
    history.note(_event("kill", at=1.0))
    history.note(_event("start", at=2.0))
    ending = history.note(_event("die", at=2.1, exitCode="2"))
    assert ending is not None and ending.kind == "crashed"


def test_unseen_start_gives_no_run_time() -> None:
    ending = ContainerHistory().note(_event("die", exitCode="137"))
    assert ending is not None and ending.ran_for is None and ending.reason == "exit 137"


def test_unhealthy_is_reported_with_its_run_time() -> None:
    history = ContainerHistory()
    history.note(_event("start", at=3.0))
    ending = history.note(_event("health_status: unhealthy", at=9.0))
    assert ending is not None and ending.kind == "unhealthy" and ending.ran_for == 6.0


def test_starts_orchestra_did_not_make_name_their_services() -> None:
    history, ours, theirs = ContainerHistory(), "c" * 64, "d" * 64
    history.note(_event("start", ours))
    history.note(_event("start", theirs, service="db"))
    history.expect_starts([ours[:12]])  # the report may hold short or long ids
    assert history.take_restarted() == {"db"}
    assert history.take_restarted() == frozenset()


def test_expected_starts_do_not_outlive_one_take() -> None:
    history, ident = ContainerHistory(), "e" * 64
    history.expect_starts([ident])
    history.take_restarted()
    history.note(_event("start", ident))  # the engine restarts it later by its policy
    assert history.take_restarted() == {"web"}


def test_assumed_completed_ids_count_until_a_start() -> None:
    history, ident = ContainerHistory(), "f" * 64
    history.assume_completed([ident])
    assert history.completed == {ident}
    history.note(_event("start", ident))
    assert history.completed == frozenset()


def test_other_event_types_mean_nothing() -> None:
    event = EngineEvent("network", "destroy", "n1", {}, 0)
    assert ContainerHistory().note(event) is None


# --- metrics and options ---------------------------------------------------------------------


def test_pass_line_and_json_line() -> None:
    record = PassRecord(3, "events", "demo-web-1 die", ops=4, failed=1, duration_s=1.23456)
    assert record.line() == "pass 3 [events] 4 ops, 1 failed, 1.23 s (demo-web-1 die)"
    at = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert json.loads(record.to_json(at)) == {
        "time": "2030-01-02T03:04:05.678+00:00",
        "trigger": "events",
        "ops": 4,
        "failed": 1,
        "duration_s": 1.235,
    }


def test_a_pass_that_could_not_run_says_why() -> None:
    record = PassRecord(1, "resync", "", ops=0, failed=0, duration_s=0.0, error="engine gone")
    assert record.line().endswith(": error: engine gone")
    assert json.loads(record.to_json(datetime.now(UTC)))["error"] == "engine gone"


def test_later_passes_drop_one_time_requests() -> None:
    first = UpOptions(force_recreate=True, build=True, pull="always", wait=True, services=("a",))
    later = steady(first)
    assert not (later.force_recreate or later.build or later.wait)
    assert later.pull is None
    assert later.services == ("a",)
    assert steady(UpOptions(pull="never")).pull == "never"


def test_watch_settings_refuse_a_zero_resync() -> None:
    with pytest.raises(UsageError, match="resync"):
        WatchSettings(resync=0)
