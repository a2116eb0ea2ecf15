"""``orchestra watch`` heals a running stack on the real engine: killed, stopped and removed
containers come back (dependents with ``restart: true`` restarted after them), a removed volume
is recreated with a warning, a completed job is not re-run, an unhealthy container of a service
that opted in is replaced. ``Watching`` (the CLI as a subprocess) is shared with the other
``test_watch_*`` modules. Every test ends with Ctrl-C: exit 130, no traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, PROJECT_LABEL, Stack, orchestra_binary, wait_for

pytestmark = pytest.mark.engine

# A service that idles, stops at once (SIGKILL) and turns healthy within about a second. Its
# continuation lines are indented for service keys at 12 spaces in a dedented template.
QUICK = f"""image: {IMAGE}
            command: sh -c 'touch /tmp/healthy; exec sleep 600'
            init: true
            stop_signal: SIGKILL"""
HEALTH = "healthcheck: {test: [CMD, test, -f, /tmp/healthy], interval: 1s, timeout: 5s, retries: 2}"
# The bound: running again within 5 s of the event, plus the healthcheck's own time (a
# 1 s interval: up to about 2 s more).
HEALED_WITHIN = 5 + 2


class EventLog:
    """The project's engine events, recorded live from now on.

    Reading them back afterwards with ``since``/``until`` is not reliable on a busy engine: it
    keeps only its last 256 events, whoever caused them.
    """

    def __init__(self, client: Any, project: str) -> None:
        self.events: list[dict[str, Any]] = []
        self._stream = client.events(decode=True, filters={"label": f"{PROJECT_LABEL}={project}"})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with contextlib.suppress(Exception):  # the stream raises once closed
            for event in self._stream:
                self.events.append(event)

    def close(self) -> None:
        self._stream.close()
        self._reader.join(timeout=5)

    def of(self, action: str, name: str) -> list[float]:
        """Times (epoch seconds) of the container events ``action`` of container ``name``."""
        return [
            int(e["timeNano"]) / 1e9
            for e in list(self.events)
            if e.get("Type") == "container"
            and e.get("Action") == action
            and ((e.get("Actor") or {}).get("Attributes") or {}).get("name") == name
        ]


class Watching:
    """``orchestra watch`` (or ``up --watch``) on a stack, as a subprocess logging to a file."""

    def __init__(self, stack: Stack, *args: str, command: str = "watch") -> None:
        self.stack = stack
        self.log = stack.directory / "watch.log"
        self.metrics = stack.directory / "passes.jsonl"
        extra = ["--events-json", str(self.metrics)] if command == "watch" else []
        argv = ["-p", stack.project, "-f", str(stack.file), command, *extra, *args]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [orchestra_binary(), *argv],
                cwd=stack.directory,
                env={**os.environ, "NO_COLOR": "1"},
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def output(self) -> str:
        return self.log.read_text()

    def passes(self) -> list[dict[str, Any]]:
        if not self.metrics.exists():
            return []
        return [json.loads(line) for line in self.metrics.read_text().splitlines()]

    def wait_for_pass(self, number: int, timeout: float = 60) -> None:
        """Until the ``number``-th pass has printed its line."""
        wait_for(lambda: f"pass {number} [" in self.output(), timeout=timeout, interval=0.1)

    def settle(self, quiet: float = 1.5, timeout: float = 30) -> None:
        """Until no pass has started for ``quiet`` seconds (the follow-up passes are done)."""
        deadline = time.monotonic() + timeout
        seen = self.output().count("\npass ")
        calm_since = time.monotonic()
        while time.monotonic() - calm_since < quiet:
            assert time.monotonic() < deadline, f"watch never settled:\n{self.output()}"
            time.sleep(0.1)
            now = self.output().count("\npass ")
            if now != seen:
                seen, calm_since = now, time.monotonic()

    def stop(self) -> int:
        """Ctrl-C, then the exit code; the output must hold no traceback."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"watch ignored Ctrl-C:\n{self.output()}") from None
        assert "Traceback" not in self.output(), self.output()
        return int(self.process.returncode)


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


@pytest.fixture
def event_log(docker_client: Any, project_name: str) -> Iterator[EventLog]:
    log = EventLog(docker_client, project_name)
    yield log
    log.close()


@pytest.fixture
def watching(stack: Stack) -> Iterator[list[Watching]]:
    """Start watches with ``watching.append(Watching(stack))``; each is stopped afterwards."""
    started: list[Watching] = []
    yield started
    for watch in started:
        assert watch.stop() == 130


def state(stack: Stack, service: str) -> dict[str, Any]:
    info: dict[str, Any] = stack.inspect(stack.name(service))
    return info


def container_id(stack: Stack, service: str) -> str | None:
    """The id of the service's container, None while there is none."""
    found = stack.containers().get(stack.name(service))
    return None if found is None else str(found["Id"])


def healthy_or_running(stack: Stack, service: str, health: bool) -> bool:
    try:
        current = state(stack, service)["State"]
    except Exception:  # removed and not yet created again
        return False
    if not current["Running"]:
        return False
    return not health or (current.get("Health") or {}).get("Status") == "healthy"


TRIO = f"""
        services:
          db:
            {QUICK}
            {HEALTH}
          web:
            {QUICK}
            depends_on: {{db: {{condition: service_healthy, restart: true}}}}
          other:
            {QUICK}
"""


@pytest.mark.parametrize("action", ["kill", "stop", "rm"])
def test_a_container_removed_or_stopped_by_hand_comes_back_and_restarts_dependents(
    stack: Stack, watching: list[Watching], docker_client: Any, action: str
) -> None:
    stack.write(TRIO)
    watching.append(Watching(stack))
    watch = watching[0]
    watch.wait_for_pass(1)
    watch.settle()
    web_started = state(stack, "web")["State"]["StartedAt"]
    other = state(stack, "other")
    db = docker_client.containers.get(stack.name("db"))
    began = time.monotonic()
    {"kill": db.kill, "stop": db.stop, "rm": lambda: db.remove(force=True)}[action]()
    wait_for(lambda: healthy_or_running(stack, "db", health=True), timeout=15, interval=0.05)
    healed = time.monotonic() - began
    assert healed < HEALED_WITHIN, f"db healthy again only after {healed:.1f} s"
    wait_for(lambda: state(stack, "web")["State"]["StartedAt"] != web_started, timeout=10)
    db_started = state(stack, "db")["State"]["StartedAt"]
    assert state(stack, "web")["State"]["StartedAt"] > db_started, "web restarted after db"
    assert state(stack, "web")["State"]["Running"]
    now = state(stack, "other")
    assert (now["Id"], now["State"]["StartedAt"]) == (other["Id"], other["State"]["StartedAt"])
    print(f"{action}: db healthy again after {healed:.2f} s")


def test_a_dependent_restarts_after_the_engine_restarts_its_dependency(
    stack: Stack, watching: list[Watching]
) -> None:
    stack.write(f"""
        services:
          db:
            image: {IMAGE}
            # Crashes once (the marker survives the engine's restart), then stays up, so the
            # assertion below cannot race a second restart.
            command: sh -c 'test -f /tmp/once && exec sleep 600; touch /tmp/once; sleep 3; exit 3'
            restart: always
          web:
            {QUICK}
            depends_on: {{db: {{condition: service_started, restart: true}}}}
    """)
    watching.append(Watching(stack))
    watching[0].wait_for_pass(1)
    first = state(stack, "web")["State"]["StartedAt"]
    wait_for(lambda: state(stack, "db")["RestartCount"] >= 1, timeout=20)
    wait_for(lambda: state(stack, "web")["State"]["StartedAt"] != first, timeout=10)
    assert state(stack, "web")["State"]["StartedAt"] > state(stack, "db")["State"]["StartedAt"]
    assert "db is crash-looping" not in watching[0].output(), "its restart policy owns it"


def test_a_removed_volume_is_recreated_with_a_warning(
    stack: Stack, watching: list[Watching], docker_client: Any
) -> None:
    stack.write(f"""
        services:
          app:
            {QUICK}
            volumes: [data:/data]
        volumes:
          data: {{}}
    """)
    watching.append(Watching(stack))
    watch = watching[0]
    watch.wait_for_pass(1)
    watch.settle()
    docker_client.containers.get(stack.name("app")).remove(force=True)
    docker_client.volumes.get(f"{stack.project}_data").remove()
    wait_for(lambda: healthy_or_running(stack, "app", health=False), timeout=15)
    mounts = {m["Destination"]: m["Name"] for m in state(stack, "app")["Mounts"]}
    assert mounts["/data"] == f"{stack.project}_data"
    wait_for(lambda: "warning: volume data was removed" in watch.output(), timeout=5)
    assert "the data it held is gone" in watch.output()


def test_a_completed_job_is_not_run_again(
    stack: Stack, watching: list[Watching], docker_client: Any
) -> None:
    stack.write(f"""
        services:
          migrate:
            image: {IMAGE}
            command: sh -c 'echo migrated'
          app:
            {QUICK}
            depends_on: {{migrate: {{condition: service_completed_successfully}}}}
    """)
    watching.append(Watching(stack, "--resync", "1"))
    watch = watching[0]
    watch.wait_for_pass(1)
    ran = state(stack, "migrate")["State"]
    assert (ran["Status"], ran["ExitCode"]) == ("exited", 0)
    docker_client.containers.get(stack.name("app")).kill()  # makes the watch plan again
    wait_for(lambda: healthy_or_running(stack, "app", health=False), timeout=15)
    watch.wait_for_pass(len(watch.passes()) + 2)  # and a couple of resyncs
    assert state(stack, "migrate")["State"]["StartedAt"] == ran["StartedAt"], "the job ran again"


def test_an_unhealthy_container_is_replaced_when_its_service_opts_in(
    stack: Stack, watching: list[Watching], docker_client: Any
) -> None:
    stack.write(f"""
        services:
          web:
            {QUICK}
            {HEALTH}
            x-orchestra: {{heal: unhealthy}}
    """)
    watching.append(Watching(stack))
    watch = watching[0]
    watch.wait_for_pass(1)
    wait_for(lambda: healthy_or_running(stack, "web", health=True), timeout=15)
    before = state(stack, "web")["Id"]
    docker_client.containers.get(before).exec_run(["rm", "/tmp/healthy"])
    wait_for(lambda: container_id(stack, "web") not in (before, None), timeout=20, interval=0.1)
    wait_for(lambda: healthy_or_running(stack, "web", health=True), timeout=15)
    assert "unhealthy (x-orchestra heal: unhealthy)" in watch.output()
