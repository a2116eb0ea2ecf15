"""Progress rendering: compose-like rows and words, plain lines, quiet mode, the live view."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from orchestra.engine.base import ReadyCondition
from orchestra.events import OpEvent, Phase
from orchestra.plan.ops import OpKind
from orchestra.progress import ProgressMode, describe_target, progress_sink

WEB = "container:web:1"


def ev(
    phase: Phase,
    kind: OpKind,
    target: str = WEB,
    cause: str = "",
    elapsed: float = 0.0,
    message: str = "",
    condition: ReadyCondition | None = None,
) -> OpEvent:
    return OpEvent(phase, 1, kind, target, cause, elapsed, message, condition)


def recreate_events() -> list[OpEvent]:
    why = "config changed: environment.DB_HOST"
    return [
        ev(Phase.STARTED, OpKind.STOP_CONTAINER, cause=why),
        ev(Phase.DONE, OpKind.STOP_CONTAINER, elapsed=0.25),
        ev(Phase.STARTED, OpKind.REMOVE_CONTAINER, cause=why),
        ev(Phase.DONE, OpKind.REMOVE_CONTAINER, elapsed=0.04),
        ev(Phase.STARTED, OpKind.CREATE_CONTAINER, cause=why),
        ev(Phase.DONE, OpKind.CREATE_CONTAINER, elapsed=0.1),
        ev(Phase.STARTED, OpKind.START_CONTAINER, cause="recreated"),
        ev(Phase.DONE, OpKind.START_CONTAINER, elapsed=0.4),
        ev(Phase.WAITING, OpKind.WAIT_READY, "container:db:1", "web depends on db"),
        ev(
            Phase.DONE,
            OpKind.WAIT_READY,
            "container:db:1",
            elapsed=2.0,
            condition=ReadyCondition.HEALTHY,
        ),
        ev(Phase.STARTED, OpKind.CREATE_NETWORK, "network:default", "not found"),
        ev(Phase.FAILED, OpKind.CREATE_NETWORK, "network:default", elapsed=0.01, message="boom"),
        ev(Phase.SKIPPED, OpKind.START_CONTAINER, "container:api:2", message="#11 failed"),
    ]


def render(mode: str, events: list[OpEvent]) -> str:
    out = io.StringIO()
    with progress_sink(mode, out) as sink:
        for event in events:
            sink(event)
    return out.getvalue()


@pytest.mark.parametrize(
    ("target", "label"),
    [
        ("container:web:1", "Container web-1"),
        ("container:my:svc:12", "Container my:svc-12"),
        ("network:default", "Network default"),
        ("volume:data", "Volume data"),
        ("image:busybox:1.36", "Image busybox:1.36"),
    ],
)
def test_targets_read_like_compose(target: str, label: str) -> None:
    assert describe_target(target) == label


def test_plain_mode_prints_one_line_per_event_with_compose_words() -> None:
    assert render("plain", recreate_events()).splitlines() == [
        "Container web-1  Stopping (config changed: environment.DB_HOST)",
        "Container web-1  Stopped 0.2s",
        "Container web-1  Removing (config changed: environment.DB_HOST)",
        "Container web-1  Removed 0.0s",
        "Container web-1  Recreate (config changed: environment.DB_HOST)",
        "Container web-1  Recreated 0.1s",
        "Container web-1  Starting (recreated)",
        "Container web-1  Started 0.4s",
        "Container db-1  Waiting (web depends on db)",
        "Container db-1  Healthy 2.0s",
        "Network default  Creating (not found)",
        "Network default  Error: boom",
        "Container api-2  Skipped: #11 failed",
    ]


def test_wait_words_follow_the_condition() -> None:
    events = [
        ev(Phase.DONE, OpKind.WAIT_READY, condition=ReadyCondition.STARTED),
        ev(Phase.DONE, OpKind.WAIT_READY, "container:job:1", condition=ReadyCondition.COMPLETED),
    ]
    assert render("plain", events).splitlines() == [
        "Container web-1  Running 0.0s",
        "Container job-1  Exited 0.0s",
    ]


def test_quiet_mode_prints_only_errors() -> None:
    assert render("quiet", recreate_events()) == "Network default  Error: boom\n"


def test_auto_mode_is_plain_off_a_terminal() -> None:
    assert (
        render(ProgressMode.AUTO, recreate_events()[:2])
        .splitlines()[0]
        .startswith("Container web-1  Stopping")
    )


def test_tty_mode_draws_a_live_table() -> None:
    text = render("tty", recreate_events())
    assert "\x1b[" in text  # drawn with terminal control codes
    assert "Container web-1" in text and "Started" in text and "0.4s" in text
    assert "Healthy" in text and "Error" in text and "boom" in text


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError), progress_sink("loud", io.StringIO()):
        pass


def test_rich_is_not_imported_unless_a_live_view_opens() -> None:
    code = (
        "import io, sys\n"
        "from orchestra.progress import progress_sink\n"
        "with progress_sink('plain', io.StringIO()):\n"
        "    pass\n"
        "print('rich' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
