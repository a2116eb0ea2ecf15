"""Helpers for fault tests: a generated stack to break, an interrupter, and convergence checks.

The stack comes from ``bench/generate.py`` (30 services in 5 layers, named volumes, two
networks); every third service opts into start-first updates, so an interrupted ``up`` can
leave a temporary ``<name>-new-<hash8>`` container behind, and every service carries a
``TRIAL`` variable that a trial changes to force recreations. The checks read the engine with
the docker SDK, never through orchestra, apart from ``orchestra plan`` (the idempotence check).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from stacks import NUMBER_LABEL, SERVICE_LABEL, Stack, exec_in, orchestra_binary

from bench.generate import StackShape, compose_tree

# Container events that change a container: what the interrupter counts.
LIFECYCLE = frozenset({"create", "start", "kill", "stop", "die", "destroy", "rename"})
CONFIG_HASH_LABEL = "io.orchestra.config-hash"


@dataclass
class FaultStack:
    """The generated stack of one project, with the ``TRIAL`` value of each service."""

    stack: Stack
    shape: StackShape
    trial: dict[str, str] = field(default_factory=dict)
    data_written: bool = False

    @property
    def services(self) -> list[str]:
        return sorted(compose_tree(self.shape)["services"])

    @property
    def volume_services(self) -> list[str]:
        tree = compose_tree(self.shape)["services"]
        return sorted(name for name, body in tree.items() if body.get("volumes"))

    def write(self) -> None:
        tree = compose_tree(self.shape)
        for index, (name, body) in enumerate(sorted(tree["services"].items())):
            body["environment"] = {"TRIAL": self.trial.get(name, "0")}
            body["stop_grace_period"] = "2s"
            if index % 3 == 0:
                body["deploy"] = {"update_config": {"order": "start-first"}}
        self.stack.file.write_text(yaml.safe_dump(tree, sort_keys=False))

    def expected_names(self) -> set[str]:
        return {self.stack.name(service) for service in self.services}

    def write_volume_data(self) -> None:
        """Put a marker file into every named volume (through the running container)."""
        for service in self.volume_services:
            marker = f"kept-{service}"
            code, out = exec_in(
                self.stack.client, self.stack.name(service), "sh", "-c", f"echo {marker} > /data/m"
            )
            assert code == 0, out
        self.data_written = True

    def lost_volume_data(self) -> list[str]:
        """Services whose volume no longer holds its marker file."""
        lost: list[str] = []
        if not self.data_written:
            return lost
        for service in self.volume_services:
            code, out = exec_in(self.stack.client, self.stack.name(service), "cat", "/data/m")
            if code != 0 or out.strip() != f"kept-{service}":
                lost.append(f"{service}: {code} {out.strip()!r}")
        return lost


def convergence_problems(fault: FaultStack) -> list[str]:
    """Everything that says the stack did not converge; empty when it did."""
    stack = fault.stack
    problems: list[str] = []
    containers = stack.containers()
    expected = fault.expected_names()
    if set(containers) != expected:
        problems.append(
            f"unexpected containers {sorted(set(containers) - expected)}, "
            f"missing {sorted(expected - set(containers))}"
        )
    replicas = Counter(
        (c["Labels"][SERVICE_LABEL], c["Labels"][NUMBER_LABEL]) for c in containers.values()
    )
    problems += [
        f"duplicate replica {key}: {count}" for key, count in replicas.items() if count > 1
    ]
    stopped = sorted(name for name, c in containers.items() if c["State"] != "running")
    if stopped:
        problems.append(f"not running: {stopped}")
    # A temporary or half-made container that lost its labels would hide from the label filter.
    named = stack.client.api.containers(all=True, filters={"name": stack.project})
    strays = sorted({c["Names"][0].lstrip("/") for c in named} - expected)
    if strays:
        problems.append(f"stray containers named like the project: {strays}")
    problems += stale_hashes(stack, containers)
    planned = stack.run("plan")
    if planned.rc != 0 or "nothing to do" not in planned.out:
        problems.append(f"plan is not empty:\n{planned}")
    if not stopped:
        problems += fault.lost_volume_data()
    return problems


def stale_hashes(stack: Stack, containers: Mapping[str, dict[str, Any]]) -> list[str]:
    """Containers whose config-hash label differs from ``orchestra config --hash '*'``."""
    result = stack.run("config", "--hash", "*")
    if result.rc != 0:
        return [f"config --hash failed:\n{result}"]
    wanted = dict(line.split() for line in result.out.splitlines() if line.strip())
    stale = []
    for name, container in containers.items():
        service = container["Labels"][SERVICE_LABEL]
        if container["Labels"].get(CONFIG_HASH_LABEL) != wanted.get(service):
            stale.append(f"stale config hash on {name}")
    return stale


def start_up(stack: Stack, *extra: str) -> subprocess.Popen[str]:
    """``orchestra up -d`` in the background, its output piped."""
    args = ["-p", stack.project, "-f", str(stack.file), "up", "-d", "--progress", "plain", *extra]
    return subprocess.Popen(
        [orchestra_binary(), *args],
        cwd=stack.directory,
        env={**os.environ, **stack.env, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class EventCounter:
    """Counts the project's lifecycle events from the engine's stream, in a thread."""

    def __init__(self, client: Any, project: str) -> None:
        self._stream = client.events(
            decode=True, filters={"label": f"com.docker.compose.project={project}"}
        )
        self._seen: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for event in self._stream:
                if event.get("Type") == "container":
                    action = str(event.get("Action", "")).split(":")[0]
                    if action in LIFECYCLE:
                        self._seen.put(action)
        except Exception:  # the stream was closed under the reader: that is how it ends
            return

    def wait_for(self, count: int, process: subprocess.Popen[str], timeout: float) -> int:
        """Wait until ``count`` events were seen or ``process`` ended; the number seen."""
        seen = 0
        deadline = time.monotonic() + timeout
        while seen < count and process.poll() is None and time.monotonic() < deadline:
            try:
                self._seen.get(timeout=0.05)
            except queue.Empty:
                continue
            seen += 1
        return seen

    def close(self) -> None:
        self._stream.close()
        self._thread.join(timeout=5)


def interrupt(process: subprocess.Popen[str], signum: int) -> tuple[int, str]:
    """Send ``signum`` (if still running) and collect the exit code and the output."""
    if process.poll() is None:
        process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=30)
        return -999, f"did not exit within 90 s of signal {signum}\n{out}\n{err}"
    return process.returncode, out + err
