"""The service dependency graph: edges, cycles, selection and start/stop order.

An edge ``a -> b`` means service ``a`` needs ``b`` first. Edges come from ``depends_on``,
``links``, ``volumes_from`` and ``network_mode: service:x``. Imports ``orchestra.spec.model``
(types only) and ``networkx``; must not import ``docker`` or the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import networkx as nx

from orchestra.errors import DependencyCycleError, Problem, SpecError

if TYPE_CHECKING:
    from orchestra.spec.model import Project, Service

__all__ = ["Edge", "ServiceGraph", "service_edges"]

EdgeKind = Literal["depends_on", "links", "volumes_from", "network_mode"]


@dataclass(frozen=True)
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


class ServiceGraph:
    """A DAG of services; construction fails on unknown dependencies and on cycles."""

    def __init__(self, services: Mapping[str, Service]) -> None:
        self._graph: nx.DiGraph[str] = nx.DiGraph()
        self._edges: dict[tuple[str, str], Edge] = {}
        problems: list[Problem] = []
        for name in sorted(services):
            self._graph.add_node(name)
        for name in sorted(services):
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
                self._graph.add_edge(name, edge.dependency)
        if problems:
            raise SpecError(problems)
        self._check_cycles()

    @classmethod
    def of(cls, project: Project) -> ServiceGraph:
        """The graph of a project's enabled services."""
        return cls(project.services)

    def _check_cycles(self) -> None:
        try:
            cycle = nx.find_cycle(self._graph)
        except nx.NetworkXNoCycle:
            return
        names = [a for a, _ in cycle]
        # Start the printed ring at its smallest name so the message is stable.
        start = names.index(min(names))
        ring = names[start:] + names[:start]
        raise DependencyCycleError([*ring, ring[0]])

    @property
    def services(self) -> list[str]:
        return sorted(self._graph.nodes)

    def edges(self) -> list[Edge]:
        """All edges, sorted by (service, dependency)."""
        return [self._edges[key] for key in sorted(self._edges)]

    def dependencies(self, service: str) -> list[Edge]:
        """What ``service`` needs directly."""
        return [self._edges[(service, dep)] for dep in sorted(self._graph.successors(service))]

    def dependents(self, service: str) -> list[str]:
        """Services that need ``service`` directly."""
        return sorted(self._graph.predecessors(service))

    def start_order(self, services: Iterable[str] | None = None) -> list[str]:
        """Dependencies before dependents; ties broken by name (deterministic)."""
        sub = self._graph if services is None else self._graph.subgraph(services)
        return list(nx.lexicographical_topological_sort(sub.reverse(copy=False)))

    def stop_order(self, services: Iterable[str] | None = None) -> list[str]:
        """Dependents before dependencies."""
        sub = self._graph if services is None else self._graph.subgraph(services)
        return list(nx.lexicographical_topological_sort(sub))

    def select(self, names: Iterable[str], with_dependencies: bool = True) -> list[str]:
        """The named services plus (by default) everything they need, in start order."""
        chosen: set[str] = set()
        for name in names:
            if name not in self._graph:
                raise SpecError(Problem("", f"no such service: '{name}'"))
            chosen.add(name)
            if with_dependencies:
                chosen |= nx.descendants(self._graph, name)
        return self.start_order(chosen)

    def to_mermaid(self) -> str:
        """The DAG as a Mermaid flowchart (dependent --> dependency)."""
        lines = ["flowchart TD"]
        lines += [f"    {name}" for name in self.services if not self._graph.degree(name)]
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
