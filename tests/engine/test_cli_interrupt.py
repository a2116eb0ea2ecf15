"""Ctrl-C during ``orchestra up``: exit 130 without a traceback, and the next ``up`` converges."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, SERVICE_LABEL, Stack, interrupt_after, orchestra_binary

pytestmark = pytest.mark.engine

SERVICE = """
  {name}:
    image: {image}
    command: sh -c 'sleep 1; touch /tmp/ready; exec sleep 600'
    init: true
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 500ms
      retries: 30{depends}"""


def six_services(stack: Stack) -> None:
    """a ← b, c ← d, e, f, each waiting for its dependency to be healthy (a slow ``up``)."""
    parents = {"a": None, "b": "a", "c": "a", "d": "b", "e": "b", "f": "c"}
    body = "services:"
    for name, parent in parents.items():
        depends = ""
        if parent:
            depends = f"\n    depends_on:\n      {parent}: {{condition: service_healthy}}"
        body += SERVICE.format(name=name, image=IMAGE, depends=depends)
    stack.file.write_text(body + "\n")


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


def test_sigint_mid_up_exits_130_and_next_up_converges(stack: Stack) -> None:
    six_services(stack)
    command = ["-p", stack.project, "-f", str(stack.file), "up", "--progress", "plain"]
    process = subprocess.Popen(
        [orchestra_binary(), *command],
        cwd=stack.directory,
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Mid-way: the first container runs, its dependents are still waiting for its health.
        interrupt_after(process, lambda: stack.name("a") in stack.running())
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, f"stdout:\n{out}\nstderr:\n{err}"
    assert "Traceback" not in out + err
    assert len(stack.running()) < 6, "the interrupt came too late to prove anything"

    stack.up()
    containers = stack.containers()
    per_service = Counter(c["Labels"][SERVICE_LABEL] for c in containers.values())
    assert per_service == Counter("abcdef"), per_service
    assert stack.running() == {stack.name(s) for s in "abcdef"}
