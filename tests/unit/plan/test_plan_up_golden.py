"""Golden plans of ``plan_up``, part 1: per-replica decisions, resources, scale, orphans, images.

Each case builds the desired project from Compose text and the observed engine state with the
``planfix`` helpers, and compares ``plan.render()`` with the exact expected text.
"""

from __future__ import annotations

import textwrap

import pytest
from planfix import (
    IMG_A,
    IMG_B,
    container,
    converged,
    images_of,
    load,
    network,
    orphan,
    swap,
    without,
)

from orchestra.engine.base import ContainerStatus, Observed
from orchestra.errors import ImageNotFoundError, UsageError
from orchestra.plan.ops import Plan
from orchestra.plan.options import UpOptions
from orchestra.plan.up import plan_up
from orchestra.spec.model import Project

WEB_DB = """
services:
  db:
    image: postgres:16
    volumes: ["data:/var/lib/postgresql/data"]
  web:
    image: nginx:1
    depends_on: [db]
    ports: ["8080:80"]
volumes:
  data: {}
"""


def golden(text: str) -> str:
    return textwrap.dedent(text).strip()


def up(
    project: Project,
    observed: Observed,
    images: dict[str, str | None] | None = None,
    **options: object,
) -> Plan:
    found = images if images is not None else images_of(project)
    return plan_up(project, observed, found, UpOptions(**options))  # type: ignore[arg-type]


def test_converged_project_needs_nothing() -> None:
    project = load(WEB_DB)
    plan = up(project, converged(project))
    assert plan.render() == ""
    assert plan.is_empty


def test_new_project_creates_network_volume_and_containers_in_dependency_order() -> None:
    project = load(WEB_DB)
    assert up(project, Observed()).render() == golden("""
        #1 network:default CREATE (not found)
        #2 volume:data CREATE (not found)
        [1,2] -> #3 container:db:1 CREATE (not found)
        [3] -> #4 container:db:1 START (new container)
        [4] -> #5 container:db:1 WAIT started (web depends on db)
        [1] -> #6 container:web:1 CREATE (not found)
        [5,6] -> #7 container:web:1 START (new container)
    """)


def test_new_service_joins_the_existing_network() -> None:
    before = load(WEB_DB)
    after = load(
        WEB_DB.replace("volumes:\n  data", "  cache:\n    image: redis:7\nvolumes:\n  data")
    )
    assert set(after.services) == {"cache", "db", "web"}
    assert up(after, converged(before)).render() == golden("""
        #1 container:cache:1 CREATE (not found)
        [1] -> #2 container:cache:1 START (new container)
    """)


def test_new_volume_is_created_before_the_replaced_container_mounts_it() -> None:
    before = load(WEB_DB)
    after = load(
        WEB_DB.replace("ports:", 'volumes: ["logs:/var/log"]\n    ports:') + "  logs: {}\n"
    )
    assert up(after, converged(before)).render() == golden("""
        #1 volume:logs CREATE (not found)
        #2 container:web:1 STOP (config changed: volumes[0])
        [2] -> #3 container:web:1 REMOVE (config changed: volumes[0])
        [1,3] -> #4 container:web:1 CREATE (config changed: volumes[0])
            + volumes[0]: {"read_only": false, "source": "logs", "target": "/var/log"…
        [4] -> #5 container:web:1 START (config changed: volumes[0])
    """)


def test_missing_network_is_created_for_new_containers() -> None:
    project = load(WEB_DB)
    observed = converged(project)
    observed = Observed((), (), observed.volumes)
    assert up(project, observed).render().splitlines()[:2] == [
        "#1 network:default CREATE (not found)",
        "[1] -> #2 container:db:1 CREATE (not found)",
    ]


def test_changed_environment_recreates_only_that_service() -> None:
    before = load(WEB_DB)
    after = load(WEB_DB.replace("ports:", "environment: {MODE: prod}\n    ports:"))
    assert up(after, converged(before)).render() == golden("""
        #1 container:web:1 STOP (config changed: environment.MODE)
        [1] -> #2 container:web:1 REMOVE (config changed: environment.MODE)
        [2] -> #3 container:web:1 CREATE (config changed: environment.MODE)
            + environment.MODE: "prod"
        [3] -> #4 container:web:1 START (config changed: environment.MODE)
    """)


def test_changed_image_id_recreates_and_says_from_what_to_what() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    why = "image changed: sha256:aaaaaaaaaaaa… → sha256:bbbbbbbbbbbb…"
    assert up(project, converged(project), images_of(project, IMG_B)).render() == golden(f"""
        #1 container:web:1 STOP ({why})
        [1] -> #2 container:web:1 REMOVE ({why})
        [2] -> #3 container:web:1 CREATE ({why})
        [3] -> #4 container:web:1 START ({why})
    """)


def test_empty_image_label_falls_back_to_the_engine_image_id() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    pulled = container(project, "web", labels={"io.orchestra.image-id": ""}, image_id=IMG_A)
    assert up(project, swap(converged(project), pulled)).render() == ""


def test_scale_up_adds_replicas() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    assert up(project, converged(project), scale={"web": 3}).render() == golden("""
        #1 container:web:2 CREATE (not found)
        [1] -> #2 container:web:2 START (new container)
        #3 container:web:3 CREATE (not found)
        [3] -> #4 container:web:3 START (new container)
    """)


def test_scale_down_removes_the_highest_numbers_first() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n    scale: 3\n")
    observed = converged(project)
    assert up(project, observed, scale={"web": 1}).render() == golden("""
        #1 container:web:3 STOP (scale 3 → 1)
        [1] -> #2 container:web:3 REMOVE (scale 3 → 1)
        #3 container:web:2 STOP (scale 3 → 1)
        [3] -> #4 container:web:2 REMOVE (scale 3 → 1)
    """)


def test_scale_to_zero_removes_all_and_dependents_do_not_wait() -> None:
    project = load(WEB_DB)
    observed = without(converged(project), "demo-web-1")
    assert up(project, observed, scale={"db": 0}).render() == golden("""
        #1 container:db:1 STOP (scale 1 → 0)
        [1] -> #2 container:db:1 REMOVE (scale 1 → 0)
        #3 container:web:1 CREATE (not found)
        [3] -> #4 container:web:1 START (new container)
    """)


def test_orphan_is_a_warning_by_default() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    observed = swap(converged(project), orphan("demo-old-1", "old"))
    assert up(project, observed).render() == golden("""
        warning: orphans (services not in the files): demo-old-1; remove them with --remove-orphans
    """)


def test_orphans_are_stopped_and_removed_with_remove_orphans() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    observed = swap(
        converged(project),
        orphan("demo-old-1", "old"),
        orphan("demo-gone-1", "gone", running=False),
    )
    assert up(project, observed, remove_orphans=True).render() == golden("""
        #1 container:gone:1 REMOVE (orphaned)
        #2 container:old:1 STOP (orphaned)
        [2] -> #3 container:old:1 REMOVE (orphaned)
    """)


def test_services_disabled_by_profiles_and_one_offs_are_not_orphans() -> None:
    text = (
        "services:\n  web:\n    image: nginx:1\n  debug:\n    image: busybox\n    profiles: [dbg]\n"
    )
    full = load(text, profiles=("dbg",))
    project = load(text)
    oneoff = container(full, "web", 7, labels={"com.docker.compose.oneoff": "True"})
    observed = swap(converged(full), oneoff)
    assert up(project, observed).render() == ""


def test_force_recreate_replaces_every_selected_container() -> None:
    project = load(WEB_DB)
    assert up(project, converged(project), force_recreate=True).render() == golden("""
        #1 container:db:1 STOP (forced recreate)
        [1] -> #2 container:db:1 REMOVE (forced recreate)
        [2] -> #3 container:db:1 CREATE (forced recreate)
        [3] -> #4 container:db:1 START (forced recreate)
        #5 container:web:1 STOP (forced recreate)
        [5] -> #6 container:web:1 REMOVE (forced recreate)
        [4] -> #7 container:db:1 WAIT started (web depends on db)
        [6] -> #8 container:web:1 CREATE (forced recreate)
        [7,8] -> #9 container:web:1 START (forced recreate)
    """)


def test_no_recreate_keeps_changed_containers_but_starts_stopped_ones() -> None:
    before = load(WEB_DB)
    after = load(WEB_DB.replace("ports:", "environment: {MODE: prod}\n    ports:"))
    stopped = container(before, "web", status=ContainerStatus.EXITED)
    assert up(after, swap(converged(before), stopped), no_recreate=True).render() == golden("""
        #1 container:web:1 START (stopped)
    """)


def test_stopped_and_created_containers_are_started_with_their_own_ids() -> None:
    project = load(WEB_DB)
    observed = swap(
        converged(project),
        container(project, "db", status=ContainerStatus.EXITED),
        container(project, "web", status=ContainerStatus.CREATED),
    )
    plan = up(project, observed)
    assert plan.render() == golden("""
        #1 container:db:1 START (stopped)
        [1] -> #2 container:db:1 WAIT started (web depends on db)
        [2] -> #3 container:web:1 START (not started)
    """)
    assert [op.engine_id for op in plan.ops] == ["id-db-1", "id-db-1", "id-web-1"]


def test_dead_container_is_replaced_even_with_no_recreate() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    dead = container(project, "web", status=ContainerStatus.DEAD)
    assert up(project, swap(converged(project), dead), no_recreate=True).render() == golden("""
        #1 container:web:1 REMOVE (container dead)
        [1] -> #2 container:web:1 CREATE (container dead)
        [2] -> #3 container:web:1 START (container dead)
    """)


def test_a_second_container_claiming_a_number_is_removed() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    twin = container(project, "web")
    twin = type(twin)("id-twin", "demo_web_1", twin.labels, twin.status, None, IMG_A)
    assert up(project, swap(converged(project), twin)).render() == golden("""
        #1 container:web:1 STOP (duplicate of container:web:1)
        [1] -> #2 container:web:1 REMOVE (duplicate of container:web:1)
    """)


def test_container_name_is_used_and_cannot_be_scaled() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n    container_name: front\n")
    plan = up(project, Observed((), (network("default"),), ()))
    create = plan.ops[0]
    assert create.spec is not None and create.spec.name == "front"
    with pytest.raises(UsageError, match="container_name 'front' and cannot be scaled to 2"):
        up(project, Observed(), scale={"web": 2})


def test_pull_policy_never_with_a_missing_image_is_a_plan_time_error() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n    pull_policy: never\n")
    with pytest.raises(ImageNotFoundError, match="service web: image nginx:1 is not present"):
        up(project, Observed(), {"nginx:1": None})


def test_missing_image_is_pulled_once_for_all_services_using_it() -> None:
    project = load("services:\n  a:\n    image: nginx:1\n  b:\n    image: nginx:1\n")
    observed = Observed((), (network("default"),), ())
    plan = up(project, observed, {"nginx:1": None})
    assert plan.render() == golden("""
        #1 image:nginx:1 PULL (not present)
        [1] -> #2 container:a:1 CREATE (not found)
        [2] -> #3 container:a:1 START (new container)
        [1] -> #4 container:b:1 CREATE (not found)
        [4] -> #5 container:b:1 START (new container)
    """)
    assert plan.ops[1].spec is not None and plan.ops[1].spec.labels["io.orchestra.image-id"] == ""


def test_pull_always_pulls_a_present_image_without_recreating() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    assert up(project, converged(project), pull="always").render() == golden("""
        #1 image:nginx:1 PULL (pull policy always)
    """)


def test_pull_never_override_beats_the_service_policy() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n    pull_policy: always\n")
    assert up(project, converged(project), pull="never").render() == ""


def test_build_service_with_a_missing_image_is_built_never_pulled() -> None:
    project = load("services:\n  app:\n    build: /src/app\n  web:\n    image: nginx:1\n")
    images = {"demo-app": None, "nginx:1": IMG_A}
    observed = Observed((), (network("default"),), ())
    assert up(project, observed, images, pull="always").render() == golden("""
        #1 image:demo-app BUILD (not present)
        #2 image:nginx:1 PULL (pull policy always)
        [1] -> #3 container:app:1 CREATE (not found)
        [3] -> #4 container:app:1 START (new container)
        [2] -> #5 container:web:1 CREATE (not found)
        [5] -> #6 container:web:1 START (new container)
    """)


def test_ignored_settings_are_warnings_on_the_plan() -> None:
    project = load("""
        services:
          web:
            image: nginx:1
            restart: always
            deploy:
              restart_policy: {condition: on-failure, delay: 5s}
              resources:
                reservations: {cpus: "0.5", memory: 64m}
    """)
    assert up(project, converged(project)).render() == golden("""
        warning: service web: deploy.resources.reservations.cpus is ignored without Swarm
        warning: service web: deploy.restart_policy overrides restart (as docker compose does)
        warning: service web: deploy.restart_policy delay and window are ignored without Swarm
    """)
