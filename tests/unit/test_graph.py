"""The service graph: edges of every kind, cycles, unknown services, selection and order."""

from __future__ import annotations

import pytest

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
