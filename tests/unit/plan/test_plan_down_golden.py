"""Golden plans of ``plan_down``: stop order, networks after containers, volumes with -v only."""

from __future__ import annotations

import textwrap
from dataclasses import replace

from planfix import container, converged, load, orphan, swap, volume

from orchestra.engine.base import ContainerStatus, Observed
from orchestra.plan.down import plan_down
from orchestra.plan.options import DownOptions

CHAIN = """
services:
  db:
    image: postgres:16
    volumes: ["data:/var/lib/postgresql/data"]
  api:
    image: app:1
    depends_on: [db]
  web:
    image: nginx:1
    depends_on: [api]
  cache:
    image: redis:7
volumes:
  data: {}
"""


def golden(text: str) -> str:
    return textwrap.dedent(text).strip()


def test_nothing_observed_is_an_empty_plan() -> None:
    assert plan_down("demo", Observed(), load(CHAIN)).render() == ""


def test_dependents_stop_before_their_dependencies_and_networks_go_last() -> None:
    project = load(CHAIN)
    assert plan_down("demo", converged(project), project).render() == golden("""
        #1 container:cache:1 STOP (down)
        [1] -> #2 container:cache:1 REMOVE (down)
        #3 container:web:1 STOP (down)
        [3] -> #4 container:web:1 REMOVE (down)
        [3] -> #5 container:api:1 STOP (down)
        [5] -> #6 container:api:1 REMOVE (down)
        [5] -> #7 container:db:1 STOP (down)
        [7] -> #8 container:db:1 REMOVE (down)
        [2,4,6,8] -> #9 network:default REMOVE (down)
    """)


def test_a_stopped_service_in_the_middle_keeps_the_order_through_it() -> None:
    project = load(CHAIN)
    observed = swap(converged(project), container(project, "api", status=ContainerStatus.EXITED))
    assert plan_down("demo", observed, project).render() == golden("""
        #1 container:cache:1 STOP (down)
        [1] -> #2 container:cache:1 REMOVE (down)
        #3 container:web:1 STOP (down)
        [3] -> #4 container:web:1 REMOVE (down)
        #5 container:api:1 REMOVE (down)
        [3] -> #6 container:db:1 STOP (down)
        [6] -> #7 container:db:1 REMOVE (down)
        [2,4,5,7] -> #8 network:default REMOVE (down)
    """)


def test_volumes_are_removed_only_with_v() -> None:
    project = load(CHAIN)
    observed = converged(project)
    plain = plan_down("demo", observed, project).render()
    assert "volume:" not in plain
    plan = plan_down("demo", observed, project, DownOptions(volumes=True, timeout=3))
    assert plan.render().splitlines()[-1] == "[2,4,6,8] -> #10 volume:data REMOVE (down -v)"
    assert plan.ops[-1].engine_id == "demo_data"
    assert {op.timeout for op in plan.ops if op.kind.verb == "STOP"} == {3}


def test_external_volumes_are_guarded_even_when_labelled() -> None:
    project = load(CHAIN.replace("data: {}", "data: {external: true, name: shared-data}"))
    observed = replace(converged(project), volumes=(volume("data", "shared-data"),))
    plan = plan_down("demo", observed, project, DownOptions(volumes=True))
    assert "volume:" not in plan.render()


def test_without_files_everything_labelled_goes_in_parallel() -> None:
    project = load(CHAIN)
    observed = replace(converged(project), volumes=(volume("data"),))
    assert plan_down("demo", observed, None, DownOptions(volumes=True)).render() == golden("""
        #1 container:api:1 STOP (down)
        [1] -> #2 container:api:1 REMOVE (down)
        #3 container:cache:1 STOP (down)
        [3] -> #4 container:cache:1 REMOVE (down)
        #5 container:db:1 STOP (down)
        [5] -> #6 container:db:1 REMOVE (down)
        #7 container:web:1 STOP (down)
        [7] -> #8 container:web:1 REMOVE (down)
        [2,4,6,8] -> #9 network:default REMOVE (down)
        [2,4,6,8] -> #10 volume:data REMOVE (down -v)
    """)


def test_orphans_are_kept_with_a_warning_and_so_are_the_networks() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    observed = swap(converged(project), orphan("demo-old-1", "old"))
    assert plan_down("demo", observed, project).render() == golden("""
        warning: orphans (services not in the files): demo-old-1; remove them with --remove-orphans
        warning: networks kept: running orphan containers may still use them
        #1 container:web:1 STOP (down)
        [1] -> #2 container:web:1 REMOVE (down)
    """)


def test_stopped_orphans_do_not_keep_the_networks() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    observed = swap(converged(project), orphan("demo-old-1", "old", running=False))
    assert plan_down("demo", observed, project).render().splitlines()[1:] == [
        "#1 container:web:1 STOP (down)",
        "[1] -> #2 container:web:1 REMOVE (down)",
        "[2] -> #3 network:default REMOVE (down)",
    ]


def test_remove_orphans_removes_them_before_the_networks() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    observed = swap(converged(project), orphan("demo-old-1", "old"))
    options = DownOptions(remove_orphans=True)
    assert plan_down("demo", observed, project, options).render() == golden("""
        #1 container:web:1 STOP (down)
        [1] -> #2 container:web:1 REMOVE (down)
        #3 container:old:1 STOP (orphaned)
        [3] -> #4 container:old:1 REMOVE (orphaned)
        [2,4] -> #5 network:default REMOVE (down)
    """)


def test_profile_disabled_services_and_one_offs_are_removed_with_the_project() -> None:
    text = (
        "services:\n  web:\n    image: nginx:1\n  debug:\n    image: busybox\n    profiles: [dbg]\n"
    )
    full = load(text, profiles=("dbg",))
    oneoff = container(full, "web", 3, labels={"com.docker.compose.oneoff": "True"})
    oneoff = replace(oneoff, name="demo-web-run-1a2b", status=ContainerStatus.EXITED)
    observed = swap(converged(full), oneoff)
    assert plan_down("demo", observed, load(text)).render() == golden("""
        #1 container:debug:1 STOP (down)
        [1] -> #2 container:debug:1 REMOVE (down)
        #3 container:web:1 STOP (down)
        [3] -> #4 container:web:1 REMOVE (down)
        #5 container:web:3 REMOVE (down)
        [2,4,5] -> #6 network:default REMOVE (down)
    """)


TWO_NETWORKS = """
services:
  db:
    image: postgres:16
    networks: [back]
  web:
    image: nginx:1
    networks: [front, back]
    depends_on: [db]
  edge:
    image: nginx:1
    networks: [front]
networks:
  front: {}
  back: {}
"""


def test_a_network_goes_as_soon_as_its_own_containers_are_gone() -> None:
    project = load(TWO_NETWORKS)
    observed = converged(project)
    on = {"db": {"demo_back"}, "web": {"demo_front", "demo_back"}, "edge": {"demo_front"}}
    known = tuple(replace(c, networks=frozenset(on[c.service or ""])) for c in observed.containers)
    plan = plan_down("demo", replace(observed, containers=known), project)
    assert plan.render() == golden("""
        #1 container:edge:1 STOP (down)
        [1] -> #2 container:edge:1 REMOVE (down)
        #3 container:web:1 STOP (down)
        [3] -> #4 container:web:1 REMOVE (down)
        [3] -> #5 container:db:1 STOP (down)
        [5] -> #6 container:db:1 REMOVE (down)
        [4,6] -> #7 network:back REMOVE (down)
        [2,4] -> #8 network:front REMOVE (down)
    """)
    # A container whose networks the list call did not give may be on any of them.
    unknown = tuple(replace(c, networks=None) if c.service == "edge" else c for c in known)
    plan = plan_down("demo", replace(observed, containers=unknown), project)
    assert plan.render().splitlines()[-2:] == [
        "[2,4,6] -> #7 network:back REMOVE (down)",
        "[2,4] -> #8 network:front REMOVE (down)",
    ]
