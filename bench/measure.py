"""Run one command as a child process and measure it: wall time, client CPU, peak RSS.

CPU (user + sys) and peak RSS come from ``os.wait4``'s rusage of that child alone, so a
loaded machine inflates them far less than wall time. The child is started with
``posix_spawn`` (a vfork underneath): a plain fork would copy this process and count its
memory in the child's peak RSS. Imports only the stdlib.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Measurement", "measure", "measure_isolated"]

_TAIL_BYTES = 2000


@dataclass(frozen=True)
class Measurement:
    """One command's cost. ``rc`` is the exit code (-N for a signal, e.g. a timeout kill)."""

    wall: float
    cpu: float
    rss_mb: float
    rc: int
    timed_out: bool = False
    tail: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _kill_group(pid: int, killed: threading.Event) -> None:
    killed.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _tail(log: Path, since: int) -> str:
    with log.open("rb") as handle:
        handle.seek(max(since, log.stat().st_size - _TAIL_BYTES))
        return handle.read().decode("utf-8", "replace")


def _spawn(argv: Sequence[str], out: int, env: Mapping[str, str]) -> int:
    program = shutil.which(argv[0]) or argv[0]
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, out, 1),
        (os.POSIX_SPAWN_DUP2, out, 2),
    ]
    # Its own session (and process group), so a timeout kills whatever the tool forked too.
    return os.posix_spawn(program, list(argv), dict(env), file_actions=actions, setsid=True)


def measure(
    argv: Sequence[str],
    *,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> Measurement:
    """Run ``argv`` (output appended to ``log``) and measure it; kill it after ``timeout`` s.

    Paths in ``argv`` should be absolute: the child runs in this process's directory.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    killed = threading.Event()
    with log.open("ab") as out:
        since = out.tell()
        out.write(f"$ {' '.join(argv)}\n".encode())
        out.flush()
        start = time.perf_counter()
        pid = _spawn(argv, out.fileno(), os.environ if env is None else env)
        timer = threading.Timer(timeout, _kill_group, (pid, killed))
        timer.start()
        try:
            _, status, usage = os.wait4(pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        rc = os.waitstatus_to_exitcode(status)
        out.write(f"# rc={rc} wall={wall:.3f}s\n".encode())
    return Measurement(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024.0,  # Linux reports kilobytes
        rc=rc,
        timed_out=killed.is_set(),
        tail=_tail(log, since) if rc != 0 else "",
    )


_MEASURE_AND_PRINT = (
    "import json, sys; from pathlib import Path; from bench.measure import measure; "
    "a = json.loads(sys.argv[1]); "
    "print(json.dumps(measure(a['argv'], log=Path(a['log']), timeout=a['timeout']).to_json()))"
)


def measure_isolated(
    argv: Sequence[str],
    *,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> Measurement:
    """``measure`` run from a fresh, small interpreter.

    Linux carries a process's peak RSS across ``exec`` (the old address space's high-water
    mark is kept), even with ``posix_spawn``: a child spawned by a big process, such as a long
    pytest run at ~300 MB, reports that peak as its own. A fresh interpreter in between has
    only its own ~15 MB to pass on.
    """
    request = json.dumps({"argv": list(argv), "log": str(log), "timeout": timeout})
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE_AND_PRINT, request],
        env=dict(os.environ if env is None else env),
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout + 60,
    )
    return Measurement(**json.loads(done.stdout))
