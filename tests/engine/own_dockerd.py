"""A Docker daemon of the test's own, which the test may kill and restart at will.

The machine's engine is shared with other test runs and must never be restarted, so a test that
needs a daemon to die mid-``up`` starts its own ``dockerd``: its own socket, ``--data-root``,
``--exec-root`` (so its own managed containerd), ``--pidfile`` and containerd namespace, run
inside a network namespace of its own (``ip netns``), so its ``docker0`` bridge, its networks'
bridges, its routes and its iptables rules exist only there and cannot collide with the
machine's (iptables is off anyway). Everything is torn down by the pids and paths recorded
here: the daemon, then its containerd and shims (found by their command line naming our
exec-root), then leftover mounts under our directory, the network namespace and the files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IMAGE = "orchestra-test/busybox:1"


@dataclass
class OwnDaemon:
    """One private ``dockerd``: where it lives and the process currently running it."""

    base: Path
    netns: str
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    log_files: list[Path] = field(default_factory=list)

    @property
    def socket(self) -> Path:
        return self.base / "docker.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def exec_root(self) -> Path:
        return self.base / "exec"

    def command(self) -> list[str]:
        return [
            "nsenter",
            f"--net=/run/netns/{self.netns}",
            "dockerd",
            f"--host={self.host}",
            f"--data-root={self.base / 'data'}",
            f"--exec-root={self.exec_root}",
            f"--pidfile={self.base / 'docker.pid'}",
            f"--containerd-namespace={self.netns}",
            f"--containerd-plugins-namespace={self.netns}-plugins",
            "--iptables=false",
            "--ip-forward=false",
            "--ip-masq=false",
            "--bip=10.197.0.1/24",
            "--default-address-pool=base=10.196.0.0/16,size=24",
            "--storage-driver=overlay2",
            "--log-level=warn",
        ]

    def start(self, timeout: float = 60) -> None:
        """Start the daemon and wait until it answers; one retry.

        A restarted dockerd sometimes gives up waiting for its new containerd while that is
        still cleaning up after the shims of the killed one (on a loaded machine): a second
        start then works.
        """
        try:
            self._start_once(timeout)
        except AssertionError:
            self.kill(signal.SIGKILL)
            _kill_ours(f"{self.exec_root}/containerd/containerd.toml")
            self._start_once(timeout)

    def _start_once(self, timeout: float) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        log = self.base / f"dockerd-{self.starts}.log"
        self.log_files.append(log)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                self.command(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"own dockerd did not come up:\n{self.log_tail()}")
            time.sleep(0.3)

    def answers(self) -> bool:
        done = subprocess.run(
            ["docker", "-H", self.host, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            timeout=30,
            check=False,
        )
        return done.returncode == 0

    def kill(self, signum: int = signal.SIGKILL) -> None:
        """Signal the daemon and wait for it to exit (SIGTERM stops its containers first)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    def log_tail(self, size: int = 3000) -> str:
        return "".join(p.read_text(errors="replace") for p in self.log_files)[-size:]

    def client(self) -> Any:
        import docker

        return docker.DockerClient(base_url=self.host, timeout=60)

    def load_image(self, image: str = IMAGE) -> None:
        """Copy ``image`` from the machine's engine into this daemon."""
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        load = subprocess.run(
            ["docker", "-H", self.host, "load", "-q"],
            stdin=save.stdout,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert save.wait(timeout=60) == 0 and load.returncode == 0, load.stderr

    def teardown(self) -> None:
        """Stop everything this daemon started and remove its namespace and files."""
        self.kill(signal.SIGTERM)
        _kill_ours(str(self.exec_root))
        _unmount_under(self.base)
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True, check=False)
        shutil.rmtree(self.base, ignore_errors=True)


def _kill_ours(marker: str) -> None:
    """SIGKILL the processes whose command line names our exec-root (containerd, its shims)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if marker in cmdline:
                os.kill(int(entry.name), signal.SIGKILL)


def _unmount_under(base: Path) -> None:
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    points = [line.split()[1] for line in mounts if len(line.split()) > 1]
    for point in sorted((p for p in points if p.startswith(str(base))), reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


@contextlib.contextmanager
def own_dockerd() -> Iterator[OwnDaemon]:
    """A started private daemon holding the test image; torn down afterwards."""
    suffix = uuid.uuid4().hex[:8]
    # Short: containerd's socket paths under the exec-root must fit in 108 bytes.
    base = Path(tempfile.mkdtemp(prefix=f"od-{suffix}-", dir="/tmp"))
    netns = f"orchtest-{suffix}"
    made = subprocess.run(["ip", "netns", "add", netns], capture_output=True, check=False)
    assert made.returncode == 0, made.stderr
    subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=False)
    daemon = OwnDaemon(base, netns)
    try:
        daemon.start()
        daemon.load_image()
        yield daemon
    finally:
        daemon.teardown()
