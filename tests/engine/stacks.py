"""Helpers for CLI-level engine tests: write a stack, run ``orchestra`` on it, read the engine.

A ``Stack`` is one project in a test's ``tmp_path``: it writes ``compose.yaml`` there and runs
the installed ``orchestra`` CLI as a subprocess with ``-p NAME -f FILE``. Engine reads
(containers by label, events between two instants, ``exec`` inside a container) use the
docker SDK directly, never orchestra, so a bug in orchestra cannot hide itself.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

IMAGE = "orchestra-test/busybox:1"
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
NUMBER_LABEL = "com.docker.compose.container-number"
# Lifecycle actions: a converged stack's second ``up`` must emit none of them.
MUTATING_ACTIONS = frozenset({"create", "start", "stop", "kill", "die", "destroy", "restart"})

# A service that idles and stops at once: ``init`` forwards SIGTERM, which sleep as PID 1 ignores.
# Its continuation lines are indented for service keys at 12 spaces in a dedented template.
SLEEPER = f"image: {IMAGE}\n            command: sleep 600\n            init: true"


def orchestra_binary() -> str:
    """The ``orchestra`` script installed beside the running interpreter (the project's venv)."""
    beside = Path(sys.executable).parent / "orchestra"
    if beside.exists():
        return str(beside)
    found = shutil.which("orchestra")
    assert found, "the orchestra CLI is not installed"
    return found


class Result(NamedTuple):
    """What one CLI call did."""

    rc: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"rc={self.rc}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def run_cli(
    args: Iterable[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> Result:
    """Run ``orchestra ARGS`` in ``cwd`` with plain progress output; never raises on failure."""
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    environment.pop("ORCHESTRA_DEBUG", None)
    done = subprocess.run(
        [orchestra_binary(), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@dataclass
class Stack:
    """One project: its name, its directory, its compose file, and the docker SDK client."""

    client: Any
    project: str
    directory: Path
    file_name: str = "compose.yaml"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def file(self) -> Path:
        return self.directory / self.file_name

    def write(self, text: str) -> Stack:
        """Write ``compose.yaml`` (dedented) and return self for chaining."""
        self.file.write_text(textwrap.dedent(text).lstrip())
        return self

    def run(self, *args: str, timeout: float = 120, env: Mapping[str, str] | None = None) -> Result:
        """``orchestra -p PROJECT -f FILE ARGS``."""
        base = ["-p", self.project, "-f", str(self.file)]
        return run_cli([*base, *args], self.directory, {**self.env, **(env or {})}, timeout)

    def ok(self, *args: str, timeout: float = 120) -> Result:
        """Like ``run`` but the call must succeed."""
        result = self.run(*args, timeout=timeout)
        assert result.rc == 0, f"orchestra {' '.join(args)} failed:\n{result}"
        return result

    def up(self, *args: str) -> Result:
        return self.ok("up", "--progress", "plain", *args)

    def up_watched(self, *args: str) -> tuple[Result, list[dict[str, Any]]]:
        """``up ARGS`` (success or not) and the project's engine events while it ran."""
        since = time.time()
        result = self.run("up", "--progress", "plain", *args)
        return result, self.events_since(since)

    def events_since(self, since: float) -> list[dict[str, Any]]:
        return events_between(self.client, self.project, since, time.time() + 0.3)

    def containers(self, all_: bool = True) -> dict[str, dict[str, Any]]:
        """This project's containers by name, from the low-level list call."""
        return project_containers(self.client, self.project, all_)

    def inspect(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.client.api.inspect_container(name)
        return result

    def running(self) -> set[str]:
        return {name for name, c in self.containers().items() if c["State"] == "running"}

    def name(self, service: str, number: int = 1) -> str:
        return f"{self.project}-{service}-{number}"


def project_containers(client: Any, project: str, all_: bool = True) -> dict[str, dict[str, Any]]:
    """Containers labelled with ``project``, by name (without the leading slash)."""
    listed = client.api.containers(all=all_, filters={"label": f"{PROJECT_LABEL}={project}"})
    return {c["Names"][0].lstrip("/"): c for c in listed}


def events_between(client: Any, project: str, since: float, until: float) -> list[dict[str, Any]]:
    """The engine's events labelled with ``project`` between two instants (epoch seconds)."""
    wait = until - time.time()
    if wait > 0:
        time.sleep(wait)  # the engine answers only once ``until`` has passed
    stream = client.events(
        since=f"{since:.6f}",
        until=f"{until:.6f}",
        decode=True,
        filters={"label": f"{PROJECT_LABEL}={project}"},
    )
    try:
        return list(stream)
    finally:
        stream.close()


def container_actions(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(action, container name)`` of container events, in engine order."""
    found = []
    for event in events:
        if event.get("Type") != "container":
            continue
        attributes = (event.get("Actor") or {}).get("Attributes") or {}
        found.append((str(event.get("Action", "")), str(attributes.get("name", ""))))
    return found


def mutations(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The lifecycle-changing container events (create, start, stop, die, destroy, ...)."""
    return [(a, n) for a, n in container_actions(events) if a.split(":")[0] in MUTATING_ACTIONS]


def event_time(events: list[dict[str, Any]], action: str, name: str) -> int:
    """``timeNano`` of the first container event ``action`` of ``name``; fails if absent."""
    for event in events:
        attributes = (event.get("Actor") or {}).get("Attributes") or {}
        if event.get("Action") == action and attributes.get("name") == name:
            return int(event["timeNano"])
    seen = container_actions(events)
    raise AssertionError(f"no '{action}' event for {name}; saw {seen}")


def exec_in(client: Any, container: str, *command: str) -> tuple[int, str]:
    """Run ``command`` in ``container`` with the SDK: (exit code, stdout+stderr)."""
    code, output = client.containers.get(container).exec_run(list(command))
    return int(code), output.decode(errors="replace")


def free_port() -> int:
    """A random port in 18100-18999 that nothing on 127.0.0.1 listens on right now."""
    for _ in range(20):
        port = random.randint(18100, 18999)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 18100-18999")


def wait_for(predicate: Any, timeout: float = 15, interval: float = 0.2) -> Any:
    """Poll ``predicate()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
        time.sleep(interval)


def interrupt_after(process: subprocess.Popen[str], predicate: Any, timeout: float = 30) -> None:
    """Send SIGINT to ``process`` as soon as ``predicate()`` holds."""
    wait_for(predicate, timeout=timeout, interval=0.05)
    process.send_signal(signal.SIGINT)


def sweep(client: Any, project: str) -> None:
    """Force-remove every container labelled with ``project`` (before removing externals)."""
    for container in client.containers.list(
        all=True, filters={"label": f"{PROJECT_LABEL}={project}"}
    ):
        container.remove(force=True, v=True)


def random_subnet() -> tuple[str, str]:
    """A /24 unlikely to collide with other tests' networks, and one static address in it."""
    second, third = random.randint(200, 250), random.randint(0, 255)
    return f"10.{second}.{third}.0/24", f"10.{second}.{third}.10"
