"""Golden plans with per-field diffs (text and JSON), start-first updates, and a saved plan file.

The observed containers are made by ``planfix`` from an *older* project text, so their
``io.orchestra.config`` labels hold the old configuration, as a real ``up`` leaves them.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace

from planfix import IMG_A, container, converged, images_of, load, stale, swap

from orchestra import labels as lbl
from orchestra.engine.base import ContainerStatus, Observed, ObservedContainer
from orchestra.plan.fingerprint import fingerprint
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import UpOptions
from orchestra.plan.saved import SavedPlan, dumps
from orchestra.plan.up import plan_up
from orchestra.spec.model import Project

APP = """
services:
  db:
    image: postgres:16
  web:
    image: nginx:1
    depends_on: [db]
    environment: {{DB_HOST: {host}, {extra}}}
    ports: ["{port}:80"]
    sysctls: {{net.core.somaxconn: "{conn}"}}
"""


def app(host: str = "db", extra: str = "OLD: x", port: int = 8080, conn: int = 512) -> Project:
    return load(APP.format(host=host, extra=extra, port=port, conn=conn))


def golden(text: str) -> str:
    return textwrap.dedent(text).strip()


def up(project: Project, observed: Observed, **options: object) -> Plan:
    return plan_up(project, observed, images_of(project), UpOptions(**options))  # type: ignore[arg-type]


def test_a_recreate_shows_each_changed_field_under_its_create() -> None:
    before, after = app(), app(host="db2", extra="NEW: y", port=8081, conn=1024)
    why = "config changed: environment.DB_HOST, environment.NEW, environment.OLD +2 more"
    assert up(after, converged(before)).render() == golden(f"""
        #1 container:web:1 STOP ({why})
        [1] -> #2 container:web:1 REMOVE ({why})
        [2] -> #3 container:web:1 CREATE ({why})
            ~ environment.DB_HOST: "db" → "db2"
            + environment.NEW: "y"
            - environment.OLD: "x"
            ~ ports[0].published: "8080" → "8081"
            ~ sysctls["net.core.somaxconn"]: "512" → "1024"
        [3] -> #4 container:web:1 START ({why})
    """)


def test_one_change_is_named_in_full_in_every_cause() -> None:
    plan = up(app(host="db2"), converged(app()))
    assert [op.cause for op in plan.ops] == ["config changed: environment.DB_HOST"] * 4


def test_json_carries_the_diff_in_the_create_params() -> None:
    data = json.loads(up(app(host="db2", extra="NEW: y"), converged(app())).to_json())
    create = data["ops"][2]
    assert create["kind"] == "create_container"
    assert (
        create["cause"] == "config changed: environment.DB_HOST, environment.NEW, environment.OLD"
    )
    assert create["params"]["diff"] == [
        {"path": "environment.DB_HOST", "desired": "db2", "observed": "db"},
        {"path": "environment.NEW", "desired": "y"},
        {"path": "environment.OLD", "observed": "x"},
    ]
    assert create["params"]["spec"]["environment"] == {"DB_HOST": "db2", "NEW": "y"}
    assert [op["params"].get("diff") for op in data["ops"]] == [
        None,
        None,
        create["params"]["diff"],
        None,
    ]


def test_a_container_without_the_config_label_says_only_config_changed() -> None:
    project = app(host="db2")
    observed = swap(converged(project), stale(project, "web"))
    web = next(c for c in observed.containers if c.service == "web")
    old = {k: v for k, v in web.labels.items() if k != lbl.CONFIG}
    observed = swap(observed, replace(web, labels=old))
    assert up(project, observed).render() == golden("""
        #1 container:web:1 STOP (config changed)
        [1] -> #2 container:web:1 REMOVE (config changed)
        [2] -> #3 container:web:1 CREATE (config changed)
        [3] -> #4 container:web:1 START (config changed)
    """)


STARTFIRST = """
services:
  web:
    image: nginx:1
    environment: {{V: "{v}"}}
    healthcheck: {{test: [CMD, "true"], interval: 1s}}
    deploy: {{replicas: {n}, update_config: {{order: start-first}}}}
    {extra}
"""


def start_first(v: int, n: int = 1, extra: str = "") -> Project:
    return load(STARTFIRST.format(v=v, n=n, extra=extra))


def test_start_first_starts_the_new_container_before_touching_the_old_one() -> None:
    plan = up(start_first(2, n=2), converged(start_first(1, n=2)), stop_timeout=5)
    assert plan.render() == golden("""
        #1 container:web:1 CREATE (config changed: environment.V)
            ~ environment.V: "1" → "2"
        [1] -> #2 container:web:1 START (start-first: new container)
        [2] -> #3 container:web:1 WAIT healthy (start-first: new container ready)
        [3] -> #4 container:web:1 STOP (start-first: replaced)
        [4] -> #5 container:web:1 REMOVE (start-first: replaced)
        [5] -> #6 container:web:1 RENAME to demo-web-1 (start-first: take the name)
        [3] -> #7 container:web:1 REMOVE on failure (start-first: roll back)
        [6] -> #8 container:web:2 CREATE (config changed: environment.V)
            ~ environment.V: "1" → "2"
        [8] -> #9 container:web:2 START (start-first: new container)
        [9] -> #10 container:web:2 WAIT healthy (start-first: new container ready)
        [10] -> #11 container:web:2 STOP (start-first: replaced)
        [11] -> #12 container:web:2 REMOVE (start-first: replaced)
        [12] -> #13 container:web:2 RENAME to demo-web-2 (start-first: take the name)
        [10] -> #14 container:web:2 REMOVE on failure (start-first: roll back)
    """)
    assert (plan.op(4).engine_id, plan.op(4).timeout) == ("id-web-1", 5)
    assert plan.op(7).force and plan.op(7).rollback and plan.op(7).engine_id is None


def test_the_new_container_has_a_temporary_name_and_not_the_old_name_as_alias() -> None:
    plan = up(start_first(2), converged(start_first(1)))
    spec = plan.op(1).spec
    assert spec is not None and spec.name.startswith("demo-web-1-new-")
    assert len(spec.name) == len("demo-web-1-new-") + 8
    assert [n.aliases for n in spec.networks] == [("web",)]  # type: ignore[union-attr]
    assert spec.labels[lbl.CONTAINER_NUMBER] == "1"  # type: ignore[union-attr]


def test_without_a_healthcheck_the_new_container_only_has_to_start() -> None:
    no_check = STARTFIRST.replace('healthcheck: {{test: [CMD, "true"], interval: 1s}}', "")
    before, after = (load(no_check.format(v=v, n=1, extra="")) for v in (1, 2))
    assert up(after, converged(before)).op(3).render() == (
        "[2] -> #3 container:web:1 WAIT started (start-first: new container ready)"
    )


def test_start_first_falls_back_to_stop_first_when_two_containers_would_clash() -> None:
    for extra, why in [
        ('ports: ["8080:80"]', "it publishes fixed host port 8080"),
        ("network_mode: host", "network_mode host shares one network namespace"),
        (
            "networks: {default: {ipv4_address: 10.1.0.5}}",
            "it has a static address on network default",
        ),
    ]:
        plan = up(start_first(2, extra=extra), converged(start_first(1, extra=extra)))
        assert plan.warnings[-1] == (
            f"service web: start-first update is not possible ({why}): replacing stop-first"
        )
        assert [op.kind for op in plan.ops][:2] == [OpKind.STOP_CONTAINER, OpKind.REMOVE_CONTAINER]


def test_an_ephemeral_published_port_does_not_block_start_first() -> None:
    plan = up(
        start_first(2, extra='ports: ["80"]'), converged(start_first(1, extra='ports: ["80"]'))
    )
    assert plan.warnings == []
    assert plan.op(6).kind is OpKind.RENAME_CONTAINER


def test_a_stopped_container_is_replaced_stop_first() -> None:
    before = start_first(1)
    stopped = container(before, "web", status=ContainerStatus.EXITED)
    plan = up(start_first(2), swap(converged(before), stopped))
    assert [op.kind.verb for op in plan.ops] == ["REMOVE", "CREATE", "START"]
    assert plan.warnings == []


def _temporary(project: Project, name: str, created: int) -> ObservedContainer:
    return replace(container(project, "web"), id=f"id-{name}", name=name, created=created)


def test_a_leftover_temporary_container_is_removed_before_the_next_attempt() -> None:
    before, after = start_first(1), start_first(2)
    leftover = _temporary(after, "demo-web-1-new-0123abcd", created=5)
    observed = swap(converged(before), leftover)
    plan = up(after, observed)
    assert plan.render().splitlines()[:3] == [
        "#1 container:web:1 STOP (duplicate of container:web:1)",
        "[1] -> #2 container:web:1 REMOVE (duplicate of container:web:1)",
        "[2] -> #3 container:web:1 CREATE (config changed: environment.V)",
    ]


def test_a_container_left_with_its_temporary_name_gets_its_name_back() -> None:
    project = start_first(1)
    only = _temporary(project, "demo-web-1-new-0123abcd", created=5)
    observed = Observed((only,), converged(project).networks)
    assert up(project, observed).render() == (
        "#1 container:web:1 RENAME to demo-web-1 (temporary name demo-web-1-new-0123abcd)"
    )


def test_a_saved_plan_file_is_stable_json() -> None:
    project = load("services:\n  web:\n    image: nginx:1\n")
    observed = swap(converged(project), container(project, "web", status=ContainerStatus.EXITED))
    plan = up(project, observed)
    text = dumps(SavedPlan(plan, fingerprint(observed, {"nginx:1": IMG_A}), "0.1.0"))
    data = json.loads(text)
    digest = data["fingerprint"].pop("digest")
    assert len(digest) == 64
    # The START of an existing container carries the spec to recreate it from (stale task).
    fallback = data["plan"]["ops"][0]["params"].pop("spec")
    assert (fallback["name"], fallback["image"]) == ("demo-web-1", "nginx:1")
    assert data == {
        "kind": "orchestra-plan",
        "version": 1,
        "orchestra": "0.1.0",
        "plan": {
            "version": 1,
            "project": "demo",
            "warnings": [],
            "ops": [
                {
                    "id": 1,
                    "kind": "start_container",
                    "target": "container:web:1",
                    "cause": "stopped",
                    "deps": [],
                    "params": {"engine_id": "id-web-1"},
                }
            ],
        },
        "fingerprint": {
            "containers": {
                "id-web-1": {
                    "name": "demo-web-1",
                    "status": "exited",
                    "config_hash": observed.containers[0].labels[lbl.CONFIG_HASH],
                    "image": IMG_A,
                }
            },
            "networks": {"net-default": "demo_default"},
            "volumes": [],
            "images": {"nginx:1": IMG_A},
        },
    }
    assert text.endswith("}\n") and text == dumps(
        SavedPlan(plan, fingerprint(observed, {"nginx:1": IMG_A}), "0.1.0")
    )
