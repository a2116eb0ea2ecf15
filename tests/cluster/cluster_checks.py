"""What the cluster tests observe on the swarm, read from the manager's Engine API directly.

The checks must not go through orchestra (it is what they check), so they read the manager's
``/services``, ``/tasks`` and ``/nodes`` with the standard library's HTTP client, and follow a
command's output (``orchestra watch``) in a thread so a test can wait for a line.

Test helper only: imports the standard library and cluster_nodes.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from cluster_nodes import Cluster

__all__ = ["Follower", "Task", "api_get", "service_specs", "service_tasks", "wait_until"]

T = TypeVar("T")


def api_get(cluster: Cluster, path: str, **filters: list[str]) -> Any:
    """``GET`` an Engine API path of the manager, with list filters; the decoded JSON.

    A 404 (``/tasks`` filtered by a service that does not exist) is an empty list.
    """
    query = f"?filters={urllib.parse.quote(json.dumps(filters))}" if filters else ""
    url = f"http://{cluster.manager.ip}:2375/v1.41{path}{query}"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise


@dataclass(frozen=True)
class Task:
    """One task of a service: where it is (hostname, None while unplaced) and how it is."""

    slot: int
    node: str | None
    state: str  # the task's current state: "running", "pending", "shutdown", ...
    desired: str  # "running" for the tasks the service wants now, "shutdown" for old ones
    error: str


def service_tasks(cluster: Cluster, service: str) -> list[Task]:
    """The tasks of ``service`` (full engine name) the swarm wants running, by slot."""
    hostnames = {n["ID"]: n["Description"]["Hostname"] for n in api_get(cluster, "/nodes")}
    tasks = [
        Task(
            slot=int(raw.get("Slot", 0)),
            node=hostnames.get(raw.get("NodeID", "")),
            state=raw["Status"]["State"],
            desired=raw["DesiredState"],
            error=raw["Status"].get("Err", ""),
        )
        for raw in api_get(cluster, "/tasks", service=[service])
    ]
    return sorted((t for t in tasks if t.desired == "running"), key=lambda t: t.slot)


def service_specs(cluster: Cluster, prefix: str) -> dict[str, Any]:
    """``{engine name: Spec}`` of the services whose names start with ``prefix``."""
    found = api_get(cluster, "/services", name=[prefix])
    return {s["Spec"]["Name"]: s["Spec"] for s in found if s["Spec"]["Name"].startswith(prefix)}


def wait_until(what: str, probe: Callable[[], T | None], timeout: float, every: float = 1) -> T:
    """Poll ``probe`` until it returns something other than None; fail with ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f}s: {what}")
        time.sleep(every)


class Follower:
    """A command run in the background whose output lines are collected as they come."""

    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def wait_for(self, pattern: str, timeout: float) -> str:
        """The first output line matching ``pattern``; fails with the output so far."""
        regex = re.compile(pattern)

        def match() -> str | None:
            hit = next((line for line in self.lines() if regex.search(line)), None)
            if hit is None and self.process.poll() is not None:
                raise AssertionError(f"exited {self.process.returncode} before {pattern!r}")
            return hit

        try:
            return wait_until(f"a line matching {pattern!r}", match, timeout, every=0.5)
        except AssertionError as exc:
            output = "\n".join(self.lines()[-40:])
            raise AssertionError(f"{exc}; output:\n{output}") from None

    def stop(self) -> int:
        """Interrupt (as Ctrl-C does), kill after 20 s; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        return self.process.returncode
