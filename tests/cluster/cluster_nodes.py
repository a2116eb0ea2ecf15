"""A three-node Docker Swarm made of containers on the machine's engine, plus a registry.

``running_cluster(name)`` starts, on a bridge network of its own: a registry container (Debian's
``docker-registry``, reachable as ``registry:5000``) and three node containers, each running its
own ``dockerd`` (image ``orchestra-test/swarm-node:1``, scripts/build-node-image.sh) with the
registry as an insecure registry and its API also on ``tcp://<node ip>:2375``. It forms a swarm
(node1 manager, node2 and node3 workers), labels node2 ``db=true`` and puts the test image into
the registry the way a real cluster gets it: loaded on node1, tagged, pushed. On exit it removes
everything it started, also when starting failed halfway.

Every resource carries the cluster label and its creator's pid, so ``sweep_stale_clusters``
can remove what a crashed run left behind without touching a concurrent run's cluster.
The machine's engine is never reconfigured: the nodes are ordinary containers on it.

Test helper only: imports the standard library; talks to the engines with the docker CLI.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = [
    "CLUSTER_IMAGE",
    "CLUSTER_LABEL",
    "CREATED_LABEL",
    "DB_NODE",
    "NODE_IMAGE",
    "OWNER_LABEL",
    "TEST_IMAGE",
    "Cluster",
    "Node",
    "docker",
    "docker_bytes",
    "leftovers",
    "remove_cluster",
    "restart_stopped_nodes",
    "running_cluster",
    "sweep_stale_clusters",
]

NODE_IMAGE = "orchestra-test/swarm-node:1"
TEST_IMAGE = "orchestra-test/busybox:1"
REGISTRY = "registry:5000"
CLUSTER_IMAGE = f"{REGISTRY}/busybox:1"
DB_NODE = "node2"  # the worker that gets the node label db=true

CLUSTER_LABEL = "io.orchestra.test.cluster"
OWNER_LABEL = "io.orchestra.test.cluster.owner"
CREATED_LABEL = "io.orchestra.test.cluster.created"
_STALE_AFTER = 3 * 3600.0  # seconds; a cluster this old is stale even if its pid was reused
_NODE_PATIENCE = 90.0  # seconds for an inner dockerd to answer / a node to be Ready

# Without --privileged (refused on this machine: CAP_SYS_RESOURCE is missing), these are the
# flags under which dockerd runs in a container (../shared/recipes/engine-here.md).
_NODE_RUN_FLAGS = (
    "--cap-add=ALL",
    "--cap-drop=SYS_RESOURCE",
    "--security-opt=seccomp=unconfined",
    "--security-opt=apparmor=unconfined",
    "--device-cgroup-rule=a *:* rmw",
    "--volume=/sys/fs/cgroup:/sys/fs/cgroup",
    "--tmpfs=/run",
)


def docker_bytes(*args: str, stdin: bytes | None = None, timeout: float = 120) -> bytes:
    """Run the docker CLI; its raw stdout. A failure raises with the command and its stderr."""
    done = subprocess.run(
        ["docker", *args], input=stdin, capture_output=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"docker {' '.join(args)} exited {done.returncode}: {err}")
    return done.stdout


def docker(*args: str, stdin: bytes | None = None, timeout: float = 120) -> str:
    """Run the docker CLI; its stdout as text (see ``docker_bytes``)."""
    return docker_bytes(*args, stdin=stdin, timeout=timeout).decode(errors="replace")


@dataclass(frozen=True)
class Node:
    """One node container: ``hostname`` is the swarm's node name, ``ip`` its cluster address."""

    container: str
    hostname: str
    ip: str

    @property
    def url(self) -> str:
        return f"tcp://{self.ip}:2375"

    def docker(self, *args: str, stdin: bytes | None = None, timeout: float = 120) -> str:
        """The node engine's own docker CLI, run inside the node."""
        interactive = ("-i",) if stdin is not None else ()
        return docker(
            "exec", *interactive, self.container, "docker", *args, stdin=stdin, timeout=timeout
        )


@dataclass(frozen=True)
class Cluster:
    """A running cluster: ``nodes[0]`` is the manager; ``url`` is its API for orchestra."""

    name: str
    network: str
    registry: str
    nodes: tuple[Node, ...]
    volumes: tuple[str, ...]  # the anonymous volumes of the node and registry containers

    @property
    def manager(self) -> Node:
        return self.nodes[0]

    @property
    def url(self) -> str:
        return self.manager.url

    def node(self, hostname: str) -> Node:
        return next(n for n in self.nodes if n.hostname == hostname)

    def node_states(self) -> dict[str, str]:
        """``{hostname: "ready"|"down"|...}`` as the manager sees its nodes."""
        out = self.manager.docker("node", "ls", "--format", "{{.Hostname}} {{.Status}}")
        pairs = (line.split() for line in out.splitlines() if line.strip())
        return {host: status.lower() for host, status in pairs}


def _labels(name: str) -> list[str]:
    return [
        f"--label={CLUSTER_LABEL}={name}",
        f"--label={OWNER_LABEL}={os.getpid()}",
        f"--label={CREATED_LABEL}={int(time.time())}",
    ]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_stale(owner: str, created: str) -> bool:
    try:
        pid, born = int(owner), float(created)
    except ValueError:
        return True
    return not _pid_alive(pid) or time.time() - born > _STALE_AFTER


def sweep_stale_clusters() -> list[str]:
    """Remove clusters whose creating process is gone (or that are hours old); their names."""
    fmt = (
        f'{{{{.Label "{CLUSTER_LABEL}"}}}} {{{{.Label "{OWNER_LABEL}"}}}} '
        f'{{{{.Label "{CREATED_LABEL}"}}}}'
    )
    rows = docker("ps", "-a", "--filter", f"label={CLUSTER_LABEL}", "--format", fmt)
    rows += docker("network", "ls", "--filter", f"label={CLUSTER_LABEL}", "--format", fmt)
    stale = set()
    for row in rows.splitlines():
        parts = row.split()
        if parts and (len(parts) < 3 or _is_stale(parts[1], parts[2])):
            stale.add(parts[0])
    for name in sorted(stale):
        remove_cluster(name)
    return sorted(stale)


def leftovers(cluster: Cluster) -> list[str]:
    """What of ``cluster`` still exists on the machine's engine (empty after a clean removal)."""
    flt = f"label={CLUSTER_LABEL}={cluster.name}"
    found = docker("ps", "-a", "--filter", flt, "--format", "container {{.Names}}").split("\n")
    found += docker("network", "ls", "--filter", flt, "--format", "network {{.Name}}").split("\n")
    volumes = set(docker("volume", "ls", "--quiet").split())
    found += [f"volume {v}" for v in cluster.volumes if v in volumes]
    return [line for line in found if line]


def remove_cluster(name: str) -> None:
    """Remove the containers (with their anonymous volumes) and the network of cluster ``name``."""
    flt = f"label={CLUSTER_LABEL}={name}"
    ids = docker("ps", "-aq", "--filter", flt).split()
    if ids:
        docker("rm", "--force", "--volumes", *ids)
    for net in docker("network", "ls", "-q", "--filter", flt).split():
        with contextlib.suppress(RuntimeError):  # already gone: a concurrent sweep
            docker("network", "rm", net)


def _start_node(name: str, network: str, number: int) -> str:
    container = f"{name}-node{number}"
    docker(
        "run", "--detach", f"--name={container}", f"--hostname=node{number}",
        f"--network={network}", *_labels(name), *_NODE_RUN_FLAGS,
        NODE_IMAGE, "node-dockerd", f"--insecure-registry={REGISTRY}", "--log-level=warn",
    )  # fmt: skip
    return container


def _start_registry(name: str, network: str) -> str:
    container = f"{name}-registry"
    docker(
        "run", "--detach", f"--name={container}", f"--network={network}",
        f"--network-alias={REGISTRY.split(':')[0]}", *_labels(name),
        NODE_IMAGE, "docker-registry", "serve", "/etc/orchestra-node/registry.yml",
    )  # fmt: skip
    return container


def _until(what: str, ready: Callable[[], bool], patience: float, diagnose: str = "") -> None:
    """Poll ``ready()`` until true (a failing docker call counts as not yet); raise on timeout.

    ``diagnose`` names a container whose last log lines go into the error.
    """
    deadline = time.monotonic() + patience
    last = ""
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            last = str(exc)
        time.sleep(0.5)
    extra = _last_logs(diagnose) if diagnose else ""
    raise RuntimeError(f"cluster: {what} not within {patience:.0f}s ({last})\n{extra}")


def _last_logs(container: str) -> str:
    """The last lines a container wrote (dockerd logs to stderr, so both streams)."""
    done = subprocess.run(
        ["docker", "logs", "--tail=30", container],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=30,
        check=False,
    )
    return done.stdout.decode(errors="replace")


def _answers(container: str) -> Callable[[], bool]:
    """A probe: does the dockerd inside ``container`` answer its own CLI?"""
    return lambda: bool(docker("exec", container, "docker", "info", "--format", "{{.ID}}"))


def _rejoined(container: str) -> Callable[[], bool]:
    """A probe: is the dockerd inside ``container`` up and an active swarm member?"""
    fmt = "{{.Swarm.LocalNodeState}}"
    return lambda: docker("exec", container, "docker", "info", "--format", fmt).strip() == "active"


def _ip(container: str, network: str) -> str:
    fmt = f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}'
    return docker("inspect", "--format", fmt, container).strip()


def _form_swarm(nodes: tuple[Node, ...]) -> None:
    manager = nodes[0]
    manager.docker("swarm", "init", f"--advertise-addr={manager.ip}")
    token = manager.docker("swarm", "join-token", "-q", "worker").strip()
    for worker in nodes[1:]:
        worker.docker("swarm", "join", f"--token={token}", f"{manager.ip}:2377")


def _seed_registry(manager: Node) -> None:
    """Load the test image on the manager, push it to the registry, drop the local copies.

    Dropping them makes every node, the manager included, pull from the registry.
    """
    manager.docker("load", "--quiet", stdin=docker_bytes("save", TEST_IMAGE))
    manager.docker("tag", TEST_IMAGE, CLUSTER_IMAGE)

    def pushed() -> bool:
        manager.docker("push", CLUSTER_IMAGE)
        return True

    # The registry answers about a second after its start; a push before that is refused.
    _until(f"push of {CLUSTER_IMAGE}", pushed, 30)
    manager.docker("image", "rm", TEST_IMAGE, CLUSTER_IMAGE)


def start_cluster(name: str) -> Cluster:
    """Start and form cluster ``name`` (see the module docstring); raises when a step fails."""
    network = f"{name}-net"
    docker("network", "create", *_labels(name), network)
    registry = _start_registry(name, network)
    containers = [_start_node(name, network, n) for n in (1, 2, 3)]
    for container in containers:
        _until(f"dockerd in {container}", _answers(container), _NODE_PATIENCE, container)
    nodes = tuple(
        Node(container=c, hostname=f"node{i}", ip=_ip(c, network))
        for i, c in enumerate(containers, start=1)
    )
    fmt = '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}'
    volumes = tuple(docker("inspect", "--format", fmt, registry, *containers).split())
    cluster = Cluster(name, network, registry, nodes, volumes)
    _form_swarm(nodes)
    wait_all_ready(cluster)
    cluster.manager.docker("node", "update", "--label-add=db=true", DB_NODE)
    _seed_registry(cluster.manager)
    return cluster


def wait_all_ready(cluster: Cluster, patience: float = _NODE_PATIENCE) -> None:
    """Wait until the manager sees every node Ready."""
    want = {n.hostname for n in cluster.nodes}

    def ready() -> bool:
        states = cluster.node_states()
        return set(states) == want and set(states.values()) == {"ready"}

    _until("all nodes Ready", ready, patience)


def restart_stopped_nodes(cluster: Cluster) -> None:
    """Start the node containers that are stopped, then wait until every node is Ready.

    A restarted node keeps its swarm membership: it lives in the node's /var/lib/docker volume.
    """
    fmt = "{{.Name}} {{.State.Running}}"
    rows = docker("inspect", "--format", fmt, *(n.container for n in cluster.nodes)).split("\n")
    stopped = [row.split()[0].lstrip("/") for row in rows if row.endswith(" false")]
    if stopped:
        docker("start", *stopped)
    for container in stopped:
        # The manager may not have noticed the stop yet, so its "Ready" alone proves nothing:
        # first the node itself must be back in the swarm.
        _until(f"{container} rejoins the swarm", _rejoined(container), _NODE_PATIENCE, container)
    wait_all_ready(cluster)


@contextlib.contextmanager
def running_cluster(name: str) -> Iterator[Cluster]:
    """A started cluster for the ``with`` block; removed afterwards, also after a failure."""
    try:
        yield start_cluster(name)
    finally:
        remove_cluster(name)
