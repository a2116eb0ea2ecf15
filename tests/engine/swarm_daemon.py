"""A single-node swarm of the tests' own: a private ``dockerd`` (see tests/engine/own_dockerd.py)
in its own network namespace, made a swarm manager, holding the test image.

The machine's engine is shared with other test runs, so it is never made a swarm manager. The
private daemon runs with iptables on: Swarm's ingress routing mesh needs its rules, and inside
the daemon's own network namespace they touch nothing of the machine's.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from own_dockerd import OwnDaemon

_NO_IPTABLES = frozenset({"--iptables=false", "--ip-forward=false", "--ip-masq=false"})


class SwarmDaemon(OwnDaemon):
    """An own daemon that keeps iptables on, for Swarm's ingress network."""

    def command(self) -> list[str]:
        return [arg for arg in super().command() if arg not in _NO_IPTABLES]

    def docker(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the docker CLI against this daemon (for set-up and as the oracle)."""
        return subprocess.run(
            ["docker", "-H", self.host, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@contextlib.contextmanager
def swarm_daemon() -> Iterator[SwarmDaemon]:
    """A started private daemon, initialised as a one-node swarm, holding the test image."""
    suffix = uuid.uuid4().hex[:8]
    # Short: containerd's socket paths under the exec-root must fit in 108 bytes.
    base = Path(tempfile.mkdtemp(prefix=f"sw-{suffix}-", dir="/tmp"))
    netns = f"orchswarm-{suffix}"
    made = subprocess.run(["ip", "netns", "add", netns], capture_output=True, check=False)
    assert made.returncode == 0, made.stderr
    subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=False)
    daemon = SwarmDaemon(base, netns)
    try:
        daemon.start()
        daemon.load_image()
        init = daemon.docker("swarm", "init", "--advertise-addr", "127.0.0.1")
        assert init.returncode == 0, init.stderr
        yield daemon
    finally:
        daemon.docker("swarm", "leave", "--force", timeout=60)
        daemon.teardown()
