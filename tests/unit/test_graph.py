"""The service graph: edges of every kind, cycles, unknown services, selection and order."""

from __future__ import annotations

import itertools
import subprocess
import sys

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestra.errors import DependencyCycleError, SpecError
from orchestra.graph import ServiceGraph
from orchestra.spec.model import Dependency, Service, frozen_map


def svc(name: str, *deps: str, **kwargs: object) -> Service:
    depends = frozen_map({d: Dependency() for d in deps})
    return Service(name=name, image="busybox", depends_on=depends, **kwargs)  # type: ignore[arg-type]


def graph(*services: Service) -> ServiceGraph:
    return ServiceGraph({s.name: s for s in services})


def test_start_order_puts_dependencies_first_and_breaks_ties_by_name() -> None:
    g = graph(svc("web", "api", "cache"), svc("api", "db"), svc("db"), svc("cache"))
    assert g.start_order() == ["cache", "db", "api", "web"]
    assert g.stop_order() == ["web", "api", "cache", "db"]


def test_every_kind_of_reference_is_an_edge() -> None:
    g = graph(
        svc("a", links=("b:bee",), volumes_from=("c:ro", "container:outside")),
        svc("b"),
        svc("c", network_mode="service:d"),
        svc("d"),
    )
    kinds = {(e.service, e.dependency): e.kind for e in g.edges()}
    assert kinds == {("a", "b"): "links", ("a", "c"): "volumes_from", ("c", "d"): "network_mode"}


def test_cycle_is_reported_as_a_ring() -> None:
    with pytest.raises(DependencyCycleError) as info:
        graph(svc("web", "api"), svc("api", "web"))
    assert str(info.value) == "dependency cycle: api -> web -> api"


def test_self_dependency_is_a_cycle() -> None:
    with pytest.raises(DependencyCycleError, match="web -> web"):
        graph(svc("web", "web"))


def test_unknown_dependency_names_both_services() -> None:
    with pytest.raises(SpecError, match="'web' depends on undefined service 'nope'"):
        graph(svc("web", "nope"))


def test_optional_dependency_on_missing_service_is_ignored() -> None:
    web = Service(
        name="web", image="x", depends_on=frozen_map({"gone": Dependency(required=False)})
    )
    assert graph(web).dependencies("web") == []


def test_select_pulls_in_dependencies_only_when_asked() -> None:
    g = graph(svc("web", "api"), svc("api", "db"), svc("db"), svc("other"))
    assert g.select(["web"]) == ["db", "api", "web"]
    assert g.select(["web"], with_dependencies=False) == ["web"]
    with pytest.raises(SpecError, match="no such service: 'nope'"):
        g.select(["nope"])


def test_dependents_and_renderings() -> None:
    g = graph(
        Service(
            name="web",
            image="x",
            depends_on=frozen_map({"db": Dependency(condition="service_healthy")}),
        ),
        svc("db"),
    )
    assert g.dependents("db") == ["web"]
    assert "web -->|service_healthy| db" in g.to_mermaid()
    assert '"web" -> "db" [label="service_healthy"];' in g.to_dot()


def test_to_networkx_exports_every_service_and_edge() -> None:
    g = graph(svc("web", "api", links=("cache:c",)), svc("api", "db"), svc("db"), svc("cache"))
    exported = g.to_networkx()
    assert sorted(exported.nodes) == ["api", "cache", "db", "web"]
    assert sorted(exported.edges) == [("api", "db"), ("web", "api"), ("web", "cache")]
    assert exported.edges["web", "cache"]["edge"].kind == "links"


def test_building_the_graph_does_not_import_networkx() -> None:
    # networkx costs ~0.18 s of start-up: only ``to_networkx`` may import it.
    probe = (
        "import sys\n"
        "from orchestra.graph import ServiceGraph\n"
        "from orchestra.spec.model import Dependency, Service, frozen_map\n"
        "web = Service(name='web', image='x', depends_on=frozen_map({'db': Dependency()}))\n"
        "g = ServiceGraph({'web': web, 'db': Service(name='db', image='x')})\n"
        "assert g.select(['web']) == ['db', 'web'] and g.stop_order() == ['web', 'db']\n"
        "print('networkx' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# Random graphs over a few names: any pair may be a depends_on or links edge, cycles included.
_NAMES = ("a", "b", "c", "d", "e", "web")
_graphs = st.dictionaries(
    st.sampled_from(_NAMES),
    st.tuples(st.sets(st.sampled_from(_NAMES), max_size=3), st.lists(st.sampled_from(_NAMES))),
    min_size=1,
)


def _build(shape: dict[str, tuple[set[str], list[str]]]) -> ServiceGraph | str:
    services = {}
    for name, (deps, links) in shape.items():
        known_links = tuple(link for link in links if link in shape)
        services[name] = svc(name, *(d for d in deps if d in shape), links=known_links)
    try:
        return ServiceGraph(services)
    except DependencyCycleError as exc:
        return str(exc)


@settings(max_examples=200, deadline=None)
@given(_graphs, st.lists(st.sampled_from(_NAMES), max_size=3))
def test_orders_and_selection_agree_with_networkx(
    shape: dict[str, tuple[set[str], list[str]]], picked: list[str]
) -> None:
    built = _build(shape)
    if isinstance(built, str):
        return
    exported = built.to_networkx()
    assert built.start_order() == list(nx.lexicographical_topological_sort(exported.reverse()))
    assert built.stop_order() == list(nx.lexicographical_topological_sort(exported))
    picked = [name for name in picked if name in shape]
    expected = set(picked).union(*(nx.descendants(exported, name) for name in picked))
    assert built.select(picked) == built.start_order(expected)
    for name in shape:
        assert built.dependents(name) == sorted(exported.predecessors(name))


@settings(max_examples=200, deadline=None)
@given(_graphs)
def test_a_cycle_is_found_exactly_when_networkx_finds_one_and_is_a_real_ring(
    shape: dict[str, tuple[set[str], list[str]]],
) -> None:
    built = _build(shape)
    edges = {(name, dep) for name, (deps, links) in shape.items() for dep in {*deps, *links}}
    reference: nx.DiGraph[str] = nx.DiGraph(e for e in edges if e[1] in shape)
    assert isinstance(built, str) == (not nx.is_directed_acyclic_graph(reference))
    if isinstance(built, str):
        ring = built.removeprefix("dependency cycle: ").split(" -> ")
        assert ring[0] == min(ring) and ring[0] == ring[-1]
        assert all(pair in edges for pair in itertools.pairwise(ring))
