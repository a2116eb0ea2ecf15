"""Fixtures of the multi-node tests: one swarm cluster of three engine containers per module.

The cluster (cluster_nodes.py) is started once per test module and removed when the module is
done, so its three inner engines do not load the machine while the rest of the suite runs.
Clusters a crashed run left behind are swept first. Like the engine tests, these fail under
``CI`` and skip locally when they cannot run (no engine, node image or test image missing).

Test helper only: imports the standard library, pytest and cluster_nodes.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cluster_nodes import (
    NODE_IMAGE,
    Cluster,
    leftovers,
    restart_stopped_nodes,
    running_cluster,
    sweep_stale_clusters,
)


def _cannot_run(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and the cluster tests must run: {reason}")
    pytest.skip(f"cluster tests cannot run: {reason}")


@pytest.fixture(scope="module")
def swarm_cluster(docker_client: Any) -> Iterator[Cluster]:
    """A running three-node swarm (node1 manager, node2 labelled ``db=true``) with a registry."""
    found = subprocess.run(
        ["docker", "image", "inspect", NODE_IMAGE], capture_output=True, check=False
    )
    if found.returncode != 0:
        _cannot_run(f"node image {NODE_IMAGE} missing (make node-image)")
    sweep_stale_clusters()
    with running_cluster(f"oc-{uuid.uuid4().hex[:8]}") as cluster:
        yield cluster
    assert leftovers(cluster) == [], "the cluster's removal left these behind"


@pytest.fixture
def cluster(swarm_cluster: Cluster) -> Cluster:
    """The module's cluster with every node running and Ready (a test may have stopped one)."""
    restart_stopped_nodes(swarm_cluster)
    return swarm_cluster
