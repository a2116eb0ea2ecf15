"""The service dependency graph: edges, cycles, selection and start/stop order.

An edge ``a -> b`` means service ``a`` needs ``b`` first. Edges come from ``depends_on``,
``links``, ``volumes_from`` and ``network_mode: service:x``. The graph is plain dicts: every
command builds it, and importing ``networkx`` alone cost ~0.18 s per command, far more than
the microseconds these few algorithms take. ``to_networkx()`` still hands the DAG to API users
who want to analyse it (``networkx`` is imported only there). Imports ``orchestra.spec.model``
(types only) and ``orchestra.errors``; must not import ``docker``, ``anyio`` or the engine.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

from orchestra.errors import DependencyCycleError, Problem, SpecError
from orchestra.records import record

if TYPE_CHECKING:
    import networkx as nx

    from orchestra.spec.model import Project, Service

__all__ = ["Edge", "ServiceGraph", "service_edges"]

EdgeKind = Literal["depends_on", "links", "volumes_from", "network_mode"]


@record
class Edge:
    """``service`` needs ``dependency`` first, for the reason ``kind``."""

    service: str
    dependency: str
    kind: EdgeKind
    condition: str = "service_started"
    required: bool = True
    restart: bool = False


def service_edges(service: Service) -> list[Edge]:
    """Every dependency edge one service declares, in a stable order."""
    edges = [
        Edge(service.name, dep, "depends_on", d.condition, d.required, d.restart)
        for dep, d in sorted(service.depends_on.items())
    ]
    for link in service.links:
        edges.append(Edge(service.name, link.split(":", 1)[0], "links"))
    for source in service.volumes_from:
        # ``container:name`` mounts from a container outside the project: no service edge.
        if not source.startswith("container:"):
            edges.append(Edge(service.name, source.split(":", 1)[0], "volumes_from"))
    mode = service.network_mode or ""
    if mode.startswith("service:"):
        edges.append(Edge(service.name, mode.removeprefix("service:"), "network_mode"))
    return edges


def _ordered(needs: Mapping[str, Iterable[str]], nodes: set[str]) -> list[str]:
    """Kahn's algorithm on ``nodes``: a node comes after all it ``needs``; the smallest name
    among the ready ones goes first, so the order never depends on dict or set order."""
    waiting = {node: sum(1 for n in needs[node] if n in nodes) for node in nodes}
    unblocks: dict[str, list[str]] = {node: [] for node in nodes}
    for node in nodes:
        for need in needs[node]:
            if need in nodes:
                unblocks[need].append(node)
    ready = [node for node, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for later in unblocks[node]:
            waiting[later] -= 1
            if waiting[later] == 0:
                heapq.heappush(ready, later)
    return order


class ServiceGraph:
    """A DAG of services; construction fails on unknown dependencies and on cycles."""

    def __init__(self, services: Mapping[str, Service]) -> None:
        # service → what it needs / what needs it, each in the order the edges were added
        self._needs: dict[str, dict[str, None]] = {name: {} for name in sorted(services)}
        self._needed_by: dict[str, dict[str, None]] = {name: {} for name in self._needs}
        self._edges: dict[tuple[str, str], Edge] = {}
        problems: list[Problem] = []
        for name in self._needs:
            for edge in service_edges(services[name]):
                if edge.dependency not in services:
                    if edge.kind == "depends_on" and not edge.required:
                        continue
                    problems.append(
                        Problem(
                            f"services.{name}.{edge.kind}",
                            f"service '{name}' depends on undefined service '{edge.dependency}'",
                        )
                    )
                    continue
                self._edges.setdefault((name, edge.dependency), edge)
                self._needs[name][edge.dependency] = None
                self._needed_by[edge.dependency][name] = None
        if problems:
            raise SpecError(problems)
        self._check_cycles()

    @classmethod
    def of(cls, project: Project) -> ServiceGraph:
        """The graph of a project's enabled services."""
        return cls(project.services)

    def _find_ring(self) -> list[str] | None:
        """The first cycle a depth-first walk (names in order) meets, or None."""
        done: set[str] = set()
        path: list[str] = []
        on_path: set[str] = set()

        def visit(name: str) -> list[str] | None:
            path.append(name)
            on_path.add(name)
            for dep in self._needs[name]:
                if dep in on_path:
                    return path[path.index(dep) :]
                if dep not in done and (ring := visit(dep)) is not None:
                    return ring
            on_path.discard(path.pop())
            done.add(name)
            return None

        for name in self._needs:
            if name not in done and (ring := visit(name)) is not None:
                return ring
        return None

    def _check_cycles(self) -> None:
        names = self._find_ring()
        if names is None:
            return
        # Start the printed ring at its smallest name so the message is stable.
        start = names.index(min(names))
        ring = names[start:] + names[:start]
        raise DependencyCycleError([*ring, ring[0]])

    @property
    def services(self) -> list[str]:
        return list(self._needs)

    def edges(self) -> list[Edge]:
        """All edges, sorted by (service, dependency)."""
        return [self._edges[key] for key in sorted(self._edges)]

    def dependencies(self, service: str) -> list[Edge]:
        """What ``service`` needs directly."""
        return [self._edges[(service, dep)] for dep in sorted(self._needs[service])]

    def dependents(self, service: str) -> list[str]:
        """Services that need ``service`` directly."""
        return sorted(self._needed_by[service])

    def _subset(self, services: Iterable[str] | None) -> set[str]:
        if services is None:
            return set(self._needs)
        return {name for name in services if name in self._needs}

    def start_order(self, services: Iterable[str] | None = None) -> list[str]:
        """Dependencies before dependents; ties broken by name (deterministic)."""
        return _ordered(self._needs, self._subset(services))

    def stop_order(self, services: Iterable[str] | None = None) -> list[str]:
        """Dependents before dependencies."""
        return _ordered(self._needed_by, self._subset(services))

    def _dependencies_of(self, name: str) -> set[str]:
        """Everything ``name`` needs, directly or not."""
        found: set[str] = set()
        todo = [name]
        while todo:
            for dep in self._needs[todo.pop()]:
                if dep not in found:
                    found.add(dep)
                    todo.append(dep)
        return found

    def select(self, names: Iterable[str], with_dependencies: bool = True) -> list[str]:
        """The named services plus (by default) everything they need, in start order."""
        chosen: set[str] = set()
        for name in names:
            if name not in self._needs:
                raise SpecError(Problem("", f"no such service: '{name}'"))
            chosen.add(name)
            if with_dependencies:
                chosen |= self._dependencies_of(name)
        return self.start_order(chosen)

    def to_networkx(self) -> nx.DiGraph[str]:
        """The DAG as a ``networkx.DiGraph`` (edge dependent → dependency, attribute ``edge``
        holding the ``Edge``), for analysis; imports networkx on first call."""
        import networkx as nx

        graph: nx.DiGraph[str] = nx.DiGraph()
        graph.add_nodes_from(self._needs)
        for (service, dependency), edge in sorted(self._edges.items()):
            graph.add_edge(service, dependency, edge=edge)
        return graph

    def to_mermaid(self) -> str:
        """The DAG as a Mermaid flowchart (dependent --> dependency)."""
        lines = ["flowchart TD"]
        lines += [
            f"    {name}"
            for name in self.services
            if not self._needs[name] and not self._needed_by[name]
        ]
        for edge in self.edges():
            label = edge.condition if edge.kind == "depends_on" else edge.kind
            lines.append(f"    {edge.service} -->|{label}| {edge.dependency}")
        return "\n".join(lines)

    def to_dot(self) -> str:
        """The DAG in Graphviz DOT (dependent -> dependency)."""
        lines = ["digraph services {", "    rankdir=LR;"]
        lines += [f'    "{name}";' for name in self.services]
        for edge in self.edges():
            label = edge.condition if edge.kind == "depends_on" else edge.kind
            lines.append(f'    "{edge.service}" -> "{edge.dependency}" [label="{label}"];')
        lines.append("}")
        return "\n".join(lines)
