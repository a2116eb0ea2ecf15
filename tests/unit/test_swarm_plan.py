"""The Swarm planners (``plan.swarm_up``, ``plan.swarm_down``): golden plans from specs built
here, so the rules are checked without the mapping or an engine."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from orchestra import labels as lbl
from orchestra.engine.base import NetworkSpec, ObservedNetwork, ObservedVolume
from orchestra.engine.swarm_base import (
    ObservedService,
    ObservedSwarmObject,
    SwarmObjectSpec,
    SwarmObserved,
    SwarmServiceSpec,
)
from orchestra.plan.ops import OpKind
from orchestra.plan.options import DownOptions, UpOptions
from orchestra.plan.swarm_down import plan_swarm_down
from orchestra.plan.swarm_mask import masked_swarm_plan
from orchestra.plan.swarm_up import SwarmDesired, plan_swarm_up

P = "shop"


def spec(
    name: str, digest: str = "h1", replicas: int = 1, mode: str = "replicated"
) -> SwarmServiceSpec:
    labels = {lbl.PROJECT: P, lbl.SERVICE: name, lbl.CONFIG_HASH: digest}
    return SwarmServiceSpec(
        name=f"{P}_{name}", image="busybox", labels=labels, replicas=replicas, mode=mode
    )


def seen(
    name: str, digest: str = "h1", replicas: int | None = 1, mode: str = "replicated"
) -> ObservedService:
    labels = {lbl.PROJECT: P, lbl.SERVICE: name, lbl.CONFIG_HASH: digest}
    return ObservedService(
        id=f"id-{name}", name=f"{P}_{name}", labels=labels, version=7, mode=mode,
        replicas=replicas, image="busybox",
    )  # fmt: skip


NET = NetworkSpec(name=f"{P}_default", labels={lbl.PROJECT: P}, driver="overlay")
TOKEN = SwarmObjectSpec("secret", "token", f"{P}_token-bbbbbbbbbb", {lbl.PROJECT: P}, "czM=")


def desired(
    services: dict[str, SwarmServiceSpec],
    depends: dict[str, dict[str, str]] | None = None,
    objects: bool = False,
) -> SwarmDesired:
    order = sorted(services, key=lambda n: (n in (depends or {}), n))
    return SwarmDesired(
        services=services,
        order=tuple(order),
        networks={"default": NET},
        objects={"secret:token": TOKEN} if objects else {},
        depends=depends or {},
        defined=frozenset(services),
    )


def present(*services: ObservedService, old_token: bool = False) -> SwarmObserved:
    objects = (ObservedSwarmObject("secret", "s-old", f"{P}_token-aaaaaaaaaa", {}),)
    return SwarmObserved(
        services=services,
        networks=(ObservedNetwork("n1", f"{P}_default", {}, "overlay"),),
        secrets=objects if old_token else (),
    )


def test_fresh_project_creates_objects_first_and_holds_dependents_at_zero() -> None:
    want = desired(
        {"db": spec("db"), "web": spec("web", replicas=3)},
        {"web": {"db": "service_healthy"}},
        objects=True,
    )
    plan = plan_swarm_up(P, want, SwarmObserved())
    assert plan.render() == "\n".join(
        [
            "#1 network:default CREATE (not found)",
            "#2 secret:token CREATE (not found)",
            "[1,2] -> #3 service:db CREATE (not found)",
            "[3] -> #4 service:db WAIT healthy (converged)",
            "[1,2] -> #5 service:web CREATE (not found; held at 0 replicas until db ready)",
            "[4,5] -> #6 service:web SCALE (replicas 0 -> 3: db ready)",
        ]
    )
    held = plan.op(5).spec
    assert isinstance(held, SwarmServiceSpec) and held.replicas == 0


def test_unchanged_project_plans_nothing_not_even_waits() -> None:
    want = desired({"db": spec("db"), "web": spec("web")}, {"web": {"db": "service_started"}})
    plan = plan_swarm_up(P, want, present(seen("db"), seen("web")))
    assert plan.render() == ""
    assert plan.is_empty


def test_changed_hash_updates_in_place_and_replicas_alone_scale() -> None:
    want = desired({"api": spec("api", "h2"), "worker": spec("worker", replicas=4)})
    plan = plan_swarm_up(P, want, present(seen("api"), seen("worker", replicas=2)))
    assert plan.render() == "\n".join(
        [
            "#1 service:api UPDATE (config changed)",
            "#2 service:worker SCALE (replicas 2 -> 4)",
        ]
    )
    assert plan.op(1).engine_id == "id-api"
    assert plan.op(2).kind is OpKind.SCALE_SERVICE


def test_dependent_update_waits_for_an_unchanged_dependency() -> None:
    want = desired({"db": spec("db"), "web": spec("web", "h2")}, {"web": {"db": "service_healthy"}})
    plan = plan_swarm_up(P, want, present(seen("db"), seen("web")))
    assert plan.render() == "\n".join(
        [
            "#1 service:db WAIT healthy (already there)",
            "[1] -> #2 service:web UPDATE (config changed, after db)",
        ]
    )
    assert plan.op(1).engine_id == "id-db"


def test_mode_change_removes_and_creates() -> None:
    want = desired({"agent": spec("agent", "h2", mode="global")})
    plan = plan_swarm_up(P, want, present(seen("agent")))
    assert [op.kind for op in plan.ops] == [OpKind.REMOVE_SERVICE, OpKind.CREATE_SERVICE]
    assert "Swarm cannot change it in place" in plan.op(1).cause


def test_new_secret_version_rolls_and_the_old_goes_after_the_update_converged() -> None:
    want = desired({"app": spec("app", "h2")}, objects=True)
    plan = plan_swarm_up(P, want, present(seen("app"), old_token=True))
    assert plan.render() == "\n".join(
        [
            f"#1 secret:token CREATE (data changed: new version {P}_token-bbbbbbbbbb)",
            "[1] -> #2 service:app UPDATE (config changed)",
            "[2] -> #3 service:app WAIT healthy (converged)",
            f"[1,2,3] -> #4 secret:{P}_token-aaaaaaaaaa REMOVE (no longer used)",
        ]
    )


def test_orphans_are_kept_with_a_warning_and_so_are_old_objects() -> None:
    want = desired({"app": spec("app")})
    plan = plan_swarm_up(P, want, present(seen("app"), seen("legacy"), old_token=True))
    assert plan.is_empty
    assert plan.warnings[0].startswith(f"service {P}_legacy is not in the Compose files")
    assert plan.warnings[1].startswith(f"kept {P}_token-aaaaaaaaaa")
    removing = plan_swarm_up(
        P, want, present(seen("app"), seen("legacy")), UpOptions(remove_orphans=True)
    )
    assert removing.render() == "#1 service:legacy REMOVE (orphaned)"


def test_up_wait_waits_for_every_service() -> None:
    want = desired({"a": spec("a"), "b": spec("b", replicas=2)})
    plan = plan_swarm_up(P, want, present(seen("a"), seen("b")), UpOptions(wait=True))
    assert plan.render() == "\n".join(
        [
            "#1 service:a WAIT healthy (already there)",
            "#2 service:b SCALE (replicas 1 -> 2)",
            "[2] -> #3 service:b WAIT healthy (converged)",
        ]
    )
    quiet = plan_swarm_up(P, want, present(seen("a"), seen("b", replicas=2)), UpOptions(wait=True))
    assert quiet.render().count("WAIT") == 2
    assert quiet.is_empty  # waits alone change nothing


def test_global_dependent_is_created_only_after_its_dependency() -> None:
    want = desired(
        {"db": spec("db"), "agent": spec("agent", mode="global")},
        {"agent": {"db": "service_completed_successfully"}},
    )
    plan = plan_swarm_up(P, want, present())
    assert plan.render().splitlines()[1:] == [
        "[1] -> #2 service:db WAIT completed (converged)",
        "[2] -> #3 service:agent CREATE (not found; created once db ready (global: no 0 replicas))",
    ]


def test_down_removes_services_then_networks_objects_and_volumes_with_v() -> None:
    observed = SwarmObserved(
        services=(seen("web"), seen("db")),
        networks=(ObservedNetwork("n1", f"{P}_default", {lbl.NETWORK: "default"}, "overlay"),),
        secrets=(ObservedSwarmObject("secret", "s1", f"{P}_token-aaaaaaaaaa", {}),),
    )
    volume = ObservedVolume(f"{P}_data", {lbl.PROJECT: P, lbl.VOLUME: "data"})
    plan = plan_swarm_down(P, observed, None, DownOptions(volumes=True), (volume,))
    assert plan.render() == "\n".join(
        [
            "#1 service:db REMOVE (down)",
            "#2 service:web REMOVE (down)",
            "[1,2] -> #3 network:default REMOVE (down)",
            f"[1,2] -> #4 secret:{P}_token-aaaaaaaaaa REMOVE (down)",
            "[1,2] -> #5 volume:data REMOVE (down -v)",
        ]
    )
    assert "volume" not in plan_swarm_down(P, observed, None).render()


def test_down_with_files_keeps_orphans_and_what_they_may_use() -> None:
    observed = SwarmObserved(
        services=(seen("web"), seen("old")),
        networks=(ObservedNetwork("n1", f"{P}_default", {}, "overlay"),),
    )
    plan = plan_swarm_down(P, observed, {"web"})
    assert [op.render() for op in plan.ops] == ["#1 service:web REMOVE (down)"]
    assert "orphan services kept" in plan.warnings[0]
    every = plan_swarm_down(P, observed, {"web"}, DownOptions(remove_orphans=True))
    assert "service:old REMOVE (orphaned)" in every.render()


def test_masked_plan_hides_secret_data_and_secret_looking_environment() -> None:
    service = replace(spec("app"), environment=("DB_PASSWORD=hunter2", "MODE=prod"))
    want = desired({"app": service}, objects=True)
    text = masked_swarm_plan(plan_swarm_up(P, want, present())).to_json()
    assert "czM=" not in text and "hunter2" not in text
    assert "MODE=prod" in text


FILE = """
services:
  web:
    image: busybox
    depends_on:
      db: {condition: service_healthy}
    secrets: [token]
  db:
    image: busybox
    healthcheck: {test: ["CMD", "true"]}
  extra:
    image: busybox
secrets:
  token: {environment: TOKEN}
networks:
  outside: {external: true}
"""


def test_desired_from_a_file_plans_through_the_mapping(tmp_path: Path) -> None:
    from orchestra.api_load import load_project
    from orchestra.plan.swarm_desired import swarm_desired

    (tmp_path / "compose.yaml").write_text(FILE)
    project = load_project([tmp_path / "compose.yaml"], project_name=P, env={"TOKEN": "abc"})
    want = swarm_desired(project, UpOptions(services=("web",), scale={"web": 3}))
    assert want.order == ("db", "web")
    assert want.depends["web"] == {"db": "service_healthy"}
    assert want.services["web"].replicas == 3
    assert want.defined == {"db", "web", "extra"}
    assert set(want.networks) == {"default"}
    assert set(want.objects) == {"secret:token"}
    plan = plan_swarm_up(P, want, SwarmObserved(), UpOptions(services=("web",)))
    assert [op.render() for op in plan.ops] == [
        "#1 network:default CREATE (not found)",
        "#2 secret:token CREATE (not found)",
        "[1,2] -> #3 service:db CREATE (not found)",
        "[3] -> #4 service:db WAIT healthy (converged)",
        "[1,2] -> #5 service:web CREATE (not found; held at 0 replicas until db ready)",
        "[4,5] -> #6 service:web SCALE (replicas 0 -> 3: db ready)",
    ]


def test_old_objects_go_after_the_orphans_that_used_them_but_stay_for_unselected_services() -> None:
    want = desired({"app": spec("app")}, objects=True)
    observed = present(seen("app"), seen("legacy"), old_token=True)
    plan = plan_swarm_up(P, want, observed, UpOptions(remove_orphans=True))
    assert [op.render() for op in plan.ops][-2:] == [
        "#2 service:legacy REMOVE (orphaned)",
        f"[1,2] -> #3 secret:{P}_token-aaaaaaaaaa REMOVE (no longer used)",
    ]
    partial = replace(want, defined=frozenset({"app", "legacy"}))
    kept = plan_swarm_up(P, partial, observed, UpOptions(remove_orphans=True))
    assert "REMOVE" not in kept.render().replace("warning", "")
    assert kept.warnings == [
        f"kept {P}_token-aaaaaaaaaa: services outside this run may still use them"
    ]
