"""Golden plans of ``plan_up``, part 2: dependencies, readiness waits, cascades and selection."""

from __future__ import annotations

import textwrap

from planfix import (
    IMG_A,
    container,
    converged,
    images_of,
    load,
    stale,
    swap,
    without,
)

from orchestra.engine.base import ContainerStatus, HealthStatus, Observed
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import UpOptions
from orchestra.plan.up import plan_up
from orchestra.spec.model import Project


def golden(text: str) -> str:
    return textwrap.dedent(text).strip()


def up(project: Project, observed: Observed, **options: object) -> Plan:
    return plan_up(project, observed, images_of(project), UpOptions(**options))  # type: ignore[arg-type]


def two(web_extra: str, db_extra: str = "") -> Project:
    """Services db and web; ``web_extra``/``db_extra`` are YAML lines added to each."""
    web = "".join(f"\n    {line}" for line in web_extra.splitlines() if line)
    db = "".join(f"\n    {line}" for line in db_extra.splitlines() if line)
    return load(f"services:\n  db:\n    image: postgres:16{db}\n  web:\n    image: nginx:1{web}\n")


HEALTHY_DB = "healthcheck: {test: [CMD, pg_isready], interval: 2s}"
WAITS_HEALTHY = "depends_on: {db: {condition: service_healthy}}"


def test_recreated_dependency_leaves_a_plain_dependent_alone() -> None:
    project = two("depends_on: [db]")
    observed = swap(converged(project), stale(project, "db"))
    assert up(project, observed).render() == golden("""
        #1 container:db:1 STOP (config changed)
        [1] -> #2 container:db:1 REMOVE (config changed)
        [2] -> #3 container:db:1 CREATE (config changed)
        [3] -> #4 container:db:1 START (config changed)
    """)


def test_restart_true_restarts_the_dependent_once_the_dependency_is_ready_again() -> None:
    project = two("depends_on: {db: {condition: service_healthy, restart: true}}", HEALTHY_DB)
    observed = swap(converged(project), stale(project, "db"))
    plan = up(project, observed, stop_timeout=5)
    assert plan.render() == golden("""
        #1 container:db:1 STOP (config changed)
        [1] -> #2 container:db:1 REMOVE (config changed)
        [2] -> #3 container:db:1 CREATE (config changed)
        [3] -> #4 container:db:1 START (config changed)
        [4] -> #5 container:db:1 WAIT healthy (web depends on db)
        [5] -> #6 container:web:1 RESTART (dependency db recreated)
    """)
    assert (plan.ops[5].engine_id, plan.ops[5].timeout) == ("id-web-1", 5)


def test_links_restart_their_dependent_as_compose_does() -> None:
    project = two("links: [db:database]")
    observed = swap(converged(project), stale(project, "db"))
    assert up(project, observed).render().splitlines()[-2:] == [
        "[4] -> #5 container:db:1 WAIT started (web depends on db)",
        "[5] -> #6 container:web:1 RESTART (dependency db recreated)",
    ]


def test_network_mode_service_recreates_the_dependent_too() -> None:
    project = two("network_mode: service:db")
    observed = swap(converged(project), stale(project, "db"))
    assert up(project, observed).render() == golden("""
        #1 container:db:1 STOP (config changed)
        [1] -> #2 container:db:1 REMOVE (config changed)
        [2] -> #3 container:db:1 CREATE (config changed)
        [3] -> #4 container:db:1 START (config changed)
        #5 container:web:1 STOP (dependency db recreated)
        [5] -> #6 container:web:1 REMOVE (dependency db recreated)
        [4] -> #7 container:db:1 WAIT started (web depends on db)
        [3,6] -> #8 container:web:1 CREATE (dependency db recreated)
        [7,8] -> #9 container:web:1 START (dependency db recreated)
    """)


def test_volumes_from_recreates_the_dependent_too() -> None:
    project = two("volumes_from: ['db:ro']")
    observed = swap(converged(project), stale(project, "db"))
    lines = up(project, observed).render().splitlines()
    assert lines[4:] == [
        "#5 container:web:1 STOP (dependency db recreated)",
        "[5] -> #6 container:web:1 REMOVE (dependency db recreated)",
        "[4] -> #7 container:db:1 WAIT started (web depends on db)",
        "[3,6] -> #8 container:web:1 CREATE (dependency db recreated)",
        "[7,8] -> #9 container:web:1 START (dependency db recreated)",
    ]


def test_external_network_and_volume_are_never_created() -> None:
    project = load("""
        services:
          web:
            image: nginx:1
            networks: [front]
            volumes: ["media:/media"]
        networks:
          front: {external: true, name: shared-front}
        volumes:
          media: {external: true}
    """)
    plan = up(project, Observed())
    assert plan.render() == golden("""
        #1 container:web:1 CREATE (not found)
        [1] -> #2 container:web:1 START (new container)
    """)
    spec = plan.ops[0].spec
    assert spec is not None and [n.network for n in spec.networks] == ["shared-front"]  # type: ignore[union-attr]


def test_stopped_dependency_is_started_and_a_running_dependent_is_left_alone() -> None:
    project = two("depends_on: [db]")
    observed = swap(converged(project), container(project, "db", status=ContainerStatus.EXITED))
    assert up(project, observed).render() == "#1 container:db:1 START (stopped)"


def test_stopped_dependency_and_dependent_start_in_order() -> None:
    project = two(WAITS_HEALTHY, HEALTHY_DB)
    observed = swap(
        converged(project),
        container(project, "db", status=ContainerStatus.EXITED),
        container(project, "web", status=ContainerStatus.EXITED),
    )
    assert up(project, observed).render() == golden("""
        #1 container:db:1 START (stopped)
        [1] -> #2 container:db:1 WAIT healthy (web depends on db)
        [2] -> #3 container:web:1 START (stopped)
    """)


def test_healthy_running_dependency_needs_no_wait() -> None:
    project = two(WAITS_HEALTHY, HEALTHY_DB)
    db = container(project, "db", health=HealthStatus.HEALTHY)
    observed = swap(without(converged(project), "demo-web-1"), db)
    assert up(project, observed).render() == golden("""
        #1 container:web:1 CREATE (not found)
        [1] -> #2 container:web:1 START (new container)
    """)


def test_dependency_still_starting_gets_a_wait_with_no_deps() -> None:
    project = two(WAITS_HEALTHY, HEALTHY_DB)
    db = container(project, "db", health=HealthStatus.STARTING)
    observed = swap(without(converged(project), "demo-web-1"), db)
    plan = up(project, observed)
    assert plan.render() == golden("""
        #1 container:db:1 WAIT healthy (web depends on db)
        #2 container:web:1 CREATE (not found)
        [1,2] -> #3 container:web:1 START (new container)
    """)
    assert plan.ops[0].engine_id == "id-db-1"


def test_completed_job_is_run_again_and_waited_for() -> None:
    project = load("""
        services:
          migrate:
            image: app:1
            command: [migrate]
          web:
            image: app:1
            depends_on: {migrate: {condition: service_completed_successfully}}
    """)
    job = container(project, "migrate", status=ContainerStatus.EXITED)
    observed = swap(without(converged(project), "demo-web-1"), job)
    assert up(project, observed).render() == golden("""
        #1 container:migrate:1 START (stopped)
        [1] -> #2 container:migrate:1 WAIT completed (web depends on migrate)
        #3 container:web:1 CREATE (not found)
        [2,3] -> #4 container:web:1 START (new container)
    """)


def test_dependent_waits_for_every_replica_of_its_dependency() -> None:
    project = two("depends_on: [db]", "scale: 2")
    assert up(project, Observed(), scale={"db": 2}).render() == golden("""
        #1 network:default CREATE (not found)
        [1] -> #2 container:db:1 CREATE (not found)
        [2] -> #3 container:db:1 START (new container)
        [1] -> #4 container:db:2 CREATE (not found)
        [4] -> #5 container:db:2 START (new container)
        [3] -> #6 container:db:1 WAIT started (web depends on db)
        [5] -> #7 container:db:2 WAIT started (web depends on db)
        [1] -> #8 container:web:1 CREATE (not found)
        [6,7,8] -> #9 container:web:1 START (new container)
    """)


def test_up_service_selects_its_dependencies_and_leaves_the_rest() -> None:
    project = load("""
        services:
          db: {image: postgres:16}
          web: {image: nginx:1, depends_on: [db]}
          other: {image: redis:7}
    """)
    assert up(project, Observed(), services=("web",)).render() == golden("""
        #1 network:default CREATE (not found)
        [1] -> #2 container:db:1 CREATE (not found)
        [2] -> #3 container:db:1 START (new container)
        [3] -> #4 container:db:1 WAIT started (web depends on db)
        [1] -> #5 container:web:1 CREATE (not found)
        [4,5] -> #6 container:web:1 START (new container)
    """)


def test_no_deps_plans_only_the_named_service_without_waits() -> None:
    project = two(WAITS_HEALTHY, HEALTHY_DB)
    observed = without(converged(project), "demo-db-1", "demo-web-1")
    assert up(project, observed, services=("web",), no_deps=True).render() == golden("""
        #1 container:web:1 CREATE (not found)
        [1] -> #2 container:web:1 START (new container)
    """)


def test_wait_adds_a_readiness_wait_per_replica_by_its_condition() -> None:
    project = load("""
        services:
          db:
            image: postgres:16
            healthcheck: {test: [CMD, pg_isready]}
          migrate:
            image: app:1
          web:
            image: nginx:1
            depends_on: {migrate: {condition: service_completed_successfully}}
    """)
    observed = without(converged(project), "demo-web-1", "demo-migrate-1")
    plan = up(project, observed, wait=True)
    assert plan.render() == golden("""
        #1 container:migrate:1 CREATE (not found)
        [1] -> #2 container:migrate:1 START (new container)
        [2] -> #3 container:migrate:1 WAIT completed (web depends on migrate)
        #4 container:web:1 CREATE (not found)
        [3,4] -> #5 container:web:1 START (new container)
        #6 container:db:1 WAIT healthy (--wait)
        [5] -> #7 container:web:1 WAIT started (--wait)
    """)
    assert plan.ops[5].engine_id == "id-db-1"


def test_converged_project_with_wait_has_only_waits() -> None:
    project = two("depends_on: [db]")
    plan = up(project, converged(project), wait=True)
    assert [op.kind for op in plan.ops] == [OpKind.WAIT_READY, OpKind.WAIT_READY]
    assert plan.is_empty


def test_image_ids_of_new_containers_are_their_labels() -> None:
    project = two("")
    plan = up(project, Observed())
    create = plan.ops[1]
    assert create.spec is not None and create.spec.labels["io.orchestra.image-id"] == IMG_A
