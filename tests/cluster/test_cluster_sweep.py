"""The sweep of stale clusters: what a crashed run left goes, a live run's cluster stays.

A stand-in "cluster" (a labelled network and a small container, no engines) is enough to prove
the rule, which reads only the labels: a cluster whose creating process is gone is removed with
its anonymous volumes, one whose creator is alive is left alone.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cluster_nodes import (
    CLUSTER_LABEL,
    CREATED_LABEL,
    OWNER_LABEL,
    TEST_IMAGE,
    docker,
    remove_cluster,
    sweep_stale_clusters,
)

pytestmark = [pytest.mark.cluster, pytest.mark.engine]


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _fake_cluster(name: str, owner: int) -> str:
    """A labelled network and container as ``running_cluster`` makes them; the container id.

    Both are labelled as created now, so only the owner's pid decides whether they are stale.
    """
    labels = [
        f"--label={CLUSTER_LABEL}={name}",
        f"--label={OWNER_LABEL}={owner}",
        f"--label={CREATED_LABEL}={int(time.time())}",
    ]
    docker("network", "create", *labels, f"{name}-net")
    return docker(
        "create", *labels, f"--network={name}-net", "--volume=/data", TEST_IMAGE, "sleep", "1"
    ).strip()


def _remaining(name: str) -> list[str]:
    flt = f"label={CLUSTER_LABEL}={name}"
    found = docker("ps", "-aq", "--filter", flt).split()
    return found + docker("network", "ls", "-q", "--filter", flt).split()


@pytest.fixture
def fake_names(docker_client: Any) -> Iterator[tuple[str, str]]:
    names = (f"oc-stale-{uuid.uuid4().hex[:6]}", f"oc-live-{uuid.uuid4().hex[:6]}")
    yield names
    for name in names:
        remove_cluster(name)


def test_sweep_removes_only_clusters_of_dead_creators(fake_names: tuple[str, str]) -> None:
    stale, live = fake_names
    stale_id = _fake_cluster(stale, _dead_pid())
    volume = docker("inspect", "--format", "{{range .Mounts}}{{.Name}}{{end}}", stale_id).strip()
    _fake_cluster(live, os.getpid())

    swept = sweep_stale_clusters()

    assert stale in swept and live not in swept
    assert _remaining(stale) == []
    assert len(_remaining(live)) == 2  # its container and its network
    assert volume and volume not in docker("volume", "ls", "--quiet").split()
