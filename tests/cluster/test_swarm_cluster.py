"""The multi-node test of issue 8: one Compose file on a three-node swarm, placed and healed.

The cluster (conftest.py, cluster_nodes.py) has three engine containers, node1 the manager and
node2 labelled ``db=true``, and a registry holding ``registry:5000/busybox:1``. First the
infrastructure is proven with plain docker: ``node ls`` shows three Ready nodes and
``docker stack deploy`` of the test file spreads the web replicas over the three nodes. That run
is also the anchor: the orchestra run must give its services the same mode and placement.

Then orchestra, as a subprocess pointed at the manager (``DOCKER_HOST=tcp://<node1>:2375``,
``--target swarm``), deploys the same file; the test checks the placement with its own API
calls, stops a worker that does not host the db, and checks that the web service keeps two
replicas on the remaining nodes (a third is impossible with ``max_replicas_per_node: 1``: it
stays pending with "no suitable node") and that ``orchestra watch`` reports ``web: 2/3 running``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cluster_checks import Follower, Task, api_get, service_specs, service_tasks, wait_until
from cluster_nodes import CLUSTER_IMAGE, DB_NODE, Cluster, docker

pytestmark = [pytest.mark.cluster, pytest.mark.engine, pytest.mark.slow]

# stop_grace_period: httpd and sleep run as PID 1 and ignore SIGTERM; without it every task
# stop (down, a node's dockerd shutting down) waits the default 10 s.
COMPOSE = f"""\
services:
  web:
    image: {CLUSTER_IMAGE}
    command: httpd -f -p 8080
    stop_grace_period: 2s
    deploy:
      replicas: 3
      placement:
        max_replicas_per_node: 1
  db:
    image: {CLUSTER_IMAGE}
    command: sleep 86400
    stop_grace_period: 2s
    deploy:
      placement:
        constraints: [node.labels.db == true]
"""
ALL_NODES = {"node1", "node2", "node3"}
PLACEMENT_PATIENCE = 120.0  # seconds: every node pulls the image from the registry first
FAILOVER_PATIENCE = 120.0  # seconds: the manager declares a silent node down after heartbeats


def placed(cluster: Cluster, project: str) -> dict[str, list[str]] | None:
    """``{"web": nodes, "db": nodes}`` once web has 3 and db 1 running task; else None."""
    web = [t.node or "" for t in service_tasks(cluster, f"{project}_web") if t.state == "running"]
    db = [t.node or "" for t in service_tasks(cluster, f"{project}_db") if t.state == "running"]
    return {"web": sorted(web), "db": db} if len(web) == 3 and len(db) == 1 else None


def placement_fields(spec: dict[str, Any]) -> dict[str, Any]:
    """The part of a service spec this test is about: mode and placement, empty values left out."""
    placement = spec.get("TaskTemplate", {}).get("Placement", {})
    return {"Mode": spec.get("Mode"), "Placement": {k: v for k, v in placement.items() if v}}


@dataclass(frozen=True)
class Anchor:
    """What ``docker stack deploy`` made of the test file: task placement and service specs."""

    nodes: dict[str, list[str]]
    specs: dict[str, dict[str, Any]]  # by Compose key


@pytest.fixture(scope="module")
def stack_anchor(swarm_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Anchor:
    """Deploy the test file with ``docker stack deploy``, record the result, remove the stack."""
    stack = f"ocd-{uuid.uuid4().hex[:6]}"
    compose = tmp_path_factory.mktemp("anchor") / "compose.yaml"
    compose.write_text(COMPOSE)
    manager = ("--host", swarm_cluster.url)
    # --resolve-image never: the registry's name resolves only inside the cluster network.
    docker(*manager, "stack", "deploy", "--resolve-image=never", f"--compose-file={compose}", stack)
    try:
        nodes = wait_until(
            "stack deploy runs 3 web and 1 db task",
            lambda: placed(swarm_cluster, stack),
            PLACEMENT_PATIENCE,
        )
        specs = service_specs(swarm_cluster, f"{stack}_")
    finally:
        docker(*manager, "stack", "rm", stack)
    return Anchor(nodes, {name.removeprefix(f"{stack}_"): s for name, s in specs.items()})


def test_three_ready_nodes_and_stack_deploy_spreads_web(
    cluster: Cluster, stack_anchor: Anchor
) -> None:
    listing = docker("--host", cluster.url, "node", "ls", "--format", "{{.Hostname}} {{.Status}}")
    assert sorted(listing.split("\n")[:-1]) == [f"{n} Ready" for n in sorted(ALL_NODES)]
    assert stack_anchor.nodes == {"web": sorted(ALL_NODES), "db": [DB_NODE]}
    assert placement_fields(stack_anchor.specs["web"])["Placement"] == {"MaxReplicas": 1}


class OrchestraCli:
    """The installed ``orchestra`` CLI, as a user runs it against the cluster's manager."""

    def __init__(self, cluster: Cluster, project: str, compose: Path) -> None:
        found = Path(sys.executable).with_name("orchestra")
        self.binary = str(found) if found.exists() else shutil.which("orchestra") or "orchestra"
        self.env = {**os.environ, "DOCKER_HOST": cluster.url}
        self.env.pop("DOCKER_CONTEXT", None)
        self.prefix = [self.binary, "--target", "swarm", "-p", project, "-f", str(compose)]

    def require_swarm_target(self) -> None:
        """Fail with what is missing when this orchestra has no ``--target swarm`` yet."""
        probe = self.run("up", "--help")
        if probe.returncode != 0:
            pytest.fail(
                "orchestra has no Swarm backend yet: `orchestra --target swarm up --help` "
                f"exited {probe.returncode}: {probe.stdout.strip()[-400:]}"
            )

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix, *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )

    def follow(self, *args: str) -> Follower:
        return Follower([*self.prefix, *args], self.env)


def web_after_failover(cluster: Cluster, project: str, lost: str) -> list[Task] | None:
    """The web tasks once 2 run on the surviving nodes and the third waits for a node."""
    tasks = service_tasks(cluster, f"{project}_web")
    running = sorted(t.node or "" for t in tasks if t.state == "running")
    waiting = [t for t in tasks if t.state == "pending" and "no suitable node" in t.error]
    return tasks if running == sorted(ALL_NODES - {lost}) and len(waiting) == 1 else None


def removed(cluster: Cluster, project: str) -> bool | None:
    """True once no service and no network of ``project`` is left on the swarm."""
    label = f"com.docker.compose.project={project}"
    left = service_specs(cluster, f"{project}_") or api_get(cluster, "/networks", label=[label])
    return None if left else True


def test_orchestra_places_web_and_db_and_reports_a_lost_node(
    cluster: Cluster, stack_anchor: Anchor, tmp_path: Path
) -> None:
    project = f"ocs-{uuid.uuid4().hex[:6]}"
    compose = tmp_path / "compose.yaml"
    compose.write_text(COMPOSE)
    cli = OrchestraCli(cluster, project, compose)
    cli.require_swarm_target()

    up = cli.run("up", "-d")
    assert up.returncode == 0, up.stdout
    nodes = wait_until("orchestra runs 3 web and 1 db task", lambda: placed(cluster, project), 120)
    assert nodes == {"web": sorted(ALL_NODES), "db": [DB_NODE]}
    specs = service_specs(cluster, f"{project}_")
    for key in ("web", "db"):
        ours, anchor = specs[f"{project}_{key}"], stack_anchor.specs[key]
        assert placement_fields(ours) == placement_fields(anchor), key

    watch = cli.follow("watch")
    try:
        # Let watch take its first look (it reports the starting counts) before the change.
        with contextlib.suppress(AssertionError):
            watch.wait_for(r"\bweb: 3/3 running\b", timeout=15)
        lost = next(n for n in sorted(ALL_NODES - {"node1"}) if n != DB_NODE)
        docker("stop", cluster.node(lost).container)
        wait_until(
            f"web keeps 2 replicas without {lost}, the third pending",
            lambda: web_after_failover(cluster, project, lost),
            FAILOVER_PATIENCE,
        )
        watch.wait_for(r"\bweb: 2/3 running\b", timeout=60)
        assert [t.node for t in service_tasks(cluster, f"{project}_db")] == [DB_NODE]
    finally:
        stopped = watch.stop()
    assert stopped in (0, 130), watch.lines()  # Ctrl-C ends watch cleanly
    assert not any("Traceback" in line for line in watch.lines()), watch.lines()

    down = cli.run("down")
    assert down.returncode == 0, down.stdout
    wait_until(
        "orchestra down removes its services and network", lambda: removed(cluster, project), 60
    )
