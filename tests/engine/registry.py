"""A real image registry for push/pull tests: Debian's ``docker-registry`` (CNCF distribution).

``running_registry(workdir)`` starts one on 127.0.0.1:<free port> with its storage and config
in ``workdir`` and stops it (by its pid) on exit. The engine trusts registries on 127.0.0.1
without TLS, so no engine configuration is needed. When the binary is missing it is installed
with apt (as root on Debian); otherwise the test fails under CI and is skipped locally.

Test helper only: imports the standard library and pytest.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["Registry", "ensure_registry_binary", "free_port", "running_registry"]

_BINARY = "docker-registry"
_START_PATIENCE = 20.0  # seconds for the registry to answer /v2/


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and {_BINARY} is required: {reason}")
    pytest.skip(f"{_BINARY} unavailable: {reason}")


def _apt_install() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", _BINARY]
    first = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if first.returncode == 0:
        return
    # Empty or stale package lists are the usual reason: refresh them once and retry.
    subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
    second = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if second.returncode != 0:
        _missing(f"apt-get install {_BINARY} failed: {second.stderr.strip()[-500:]}")


def ensure_registry_binary() -> str:
    """The path of ``docker-registry``, installing it with apt when missing and root."""
    found = shutil.which(_BINARY)
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        _apt_install()
        found = shutil.which(_BINARY)
    if found is None:
        _missing(f"{_BINARY} is not installed (apt-get install {_BINARY} as root)")
        raise AssertionError("unreachable")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Registry:
    """A running registry: ``host`` is ``127.0.0.1:PORT``, as image references spell it."""

    host: str
    storage: Path
    pid: int

    def ref(self, name: str) -> str:
        """``orch/app:1`` -> ``127.0.0.1:PORT/orch/app:1``."""
        return f"{self.host}/{name}"

    def tags(self, repository: str) -> list[str]:
        """The tags the registry holds for ``repository`` (empty when it has none)."""
        url = f"http://{self.host}/v2/{repository}/tags/list"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return []
            raise
        return sorted(body.get("tags") or [])


def _config(workdir: Path, port: int) -> Path:
    storage = workdir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    # JSON is YAML: no YAML library needed to write the config.
    config = {
        "version": 0.1,
        "log": {"level": "warn"},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}"},
    }
    path = workdir / "config.yml"
    path.write_text(json.dumps(config, indent=2))
    return path


def _wait_until_up(host: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _START_PATIENCE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{_BINARY} exited with {process.returncode}: {log.read_text()}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://{host}/v2/", timeout=1) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"{_BINARY} did not answer on {host} within {_START_PATIENCE} s")


@contextlib.contextmanager
def running_registry(workdir: Path) -> Iterator[Registry]:
    """Start a registry with its own storage under ``workdir``; stop it by pid on exit."""
    binary = ensure_registry_binary()
    port = free_port()
    config = _config(workdir, port)
    log = workdir / "registry.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    host = f"127.0.0.1:{port}"
    try:
        _wait_until_up(host, process, log)
        yield Registry(host=host, storage=workdir / "storage", pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
