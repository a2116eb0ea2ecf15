"""Pre-flight on plans and facts: name, port, bind and build problems found before acting."""

from __future__ import annotations

import pytest
from planfix import images_of, load

from orchestra import labels
from orchestra.engine.base import (
    BuildSpec,
    ContainerSpec,
    ContainerStatus,
    Mount,
    Observed,
    ObservedContainer,
    PortBinding,
)
from orchestra.engine.fake import FakeEngine
from orchestra.errors import Problem, SpecError
from orchestra.plan.ops import OpKind, Plan
from orchestra.plan.options import UpOptions
from orchestra.plan.preflight import (
    Facts,
    PreflightError,
    needs_facts,
    paths_to_check,
    plan_problems,
)
from orchestra.plan.up import plan_up
from orchestra.preflight import check_before_acting, engine_is_local
from orchestra.reconcile import RunSettings, converge

P = "demo"


def other(
    name: str, *ports: str, project: str | None = None, ident: str = "f" * 64
) -> ObservedContainer:
    """A running container on the engine; of ``project`` when given, else unlabelled."""
    found = {labels.PROJECT: project, labels.SERVICE: "web"} if project else {}
    return ObservedContainer(
        ident, name, found, ContainerStatus.RUNNING, None, "sha256:x", ports=tuple(ports)
    )


def create(plan: Plan, service: str, number: int = 1, **fields: object) -> int:
    fields.setdefault("name", f"{P}-{service}-{number}")
    spec = ContainerSpec(image="img", labels={}, **fields)  # type: ignore[arg-type]
    return plan.add(OpKind.CREATE_CONTAINER, f"container:{service}:{number}", "new", spec=spec)


def port(host: str, target: int = 80, ip: str | None = None, proto: str = "tcp") -> PortBinding:
    return PortBinding(target, proto, ip, host)


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def test_a_name_held_outside_the_project_is_a_problem_naming_service_and_holder() -> None:
    plan = Plan(project=P)
    create(plan, "web")
    facts = Facts((other("demo-web-1", ident="abc" * 22),))
    [problem] = plan_problems(plan, facts)
    assert problem.path == "services.web"
    assert "container name demo-web-1 is taken by container abcabcabcabc" in problem.message
    assert "a container of no compose project" in problem.message


def test_container_name_conflicts_point_at_the_container_name_key() -> None:
    project = load("services:\n  web: {image: nginx:1, container_name: shared}\n")
    plan = plan_up(project, Observed(), images_of(project))
    facts = Facts((other("shared", project="someone-else"),))
    [problem] = plan_problems(plan, facts, project)
    assert problem.path == "services.web.container_name"
    assert "project someone-else, service web" in problem.message


def test_a_name_our_own_project_holds_is_left_to_the_planner() -> None:
    plan = Plan(project=P)
    create(plan, "web")
    assert plan_problems(plan, Facts((other("demo-web-1", project=P),))) == []


@pytest.mark.parametrize(
    ("held", "wanted", "clash"),
    [
        ("0.0.0.0:8080->80/tcp", port("8080"), True),
        ("0.0.0.0:8080->80/tcp", port("8080", ip="127.0.0.1"), True),
        (":::8080->80/tcp", port("8080", ip="127.0.0.1"), True),
        ("127.0.0.1:8080->80/tcp", port("8080"), True),
        ("127.0.0.1:8080->80/tcp", port("8080", ip="127.0.0.2"), False),
        ("0.0.0.0:8080->80/tcp", port("8080", proto="udp"), False),
        ("0.0.0.0:8080->80/tcp", port("8081"), False),
        ("0.0.0.0:8080->80/tcp", port(""), False),  # ephemeral
        ("0.0.0.0:8080->80/tcp", port("8080-8090"), False),  # a range: the engine picks
        ("0.0.0.0:8080->80/tcp", PortBinding(80), False),  # expose only
    ],
)
def test_host_ports_clash_by_port_protocol_and_overlapping_address(
    held: str, wanted: PortBinding, clash: bool
) -> None:
    plan = Plan(project=P)
    create(plan, "web", ports=(wanted,))
    problems = plan_problems(plan, Facts((other("nginx", held),)))
    assert bool(problems) is clash, messages(problems)
    if clash:
        assert problems[0].path == "services.web.ports"
        assert "already published by container nginx" in problems[0].message


def test_a_port_our_replaced_container_frees_first_is_no_clash() -> None:
    old = other("demo-web-1", "0.0.0.0:8080->80/tcp", project=P, ident="1" * 64)
    plan = Plan(project=P)
    stop = plan.add(OpKind.STOP_CONTAINER, "container:web:1", "changed", engine_id=old.id)
    plan.add(OpKind.REMOVE_CONTAINER, "container:web:1", "changed", [stop], engine_id=old.id)
    create(plan, "web", ports=(port("8080"),))
    assert plan_problems(plan, Facts((old,))) == []


def test_a_port_another_running_service_of_ours_holds_is_a_clash() -> None:
    api = other("demo-api-1", "0.0.0.0:8080->80/tcp", project=P)
    plan = Plan(project=P)
    create(plan, "web", ports=(port("8080"),))
    [problem] = plan_problems(plan, Facts((api,)))
    assert f"project {P}, service web" in problem.message


def test_two_new_containers_wanting_one_host_port_clash() -> None:
    plan = Plan(project=P)
    create(plan, "api", ports=(port("9000"),))
    create(plan, "web", 1, ports=(port("9000", ip="127.0.0.1"),))
    create(plan, "web", 2, ports=(port("9001"),))
    [problem] = plan_problems(plan, Facts())
    assert problem.path == "services.web.ports"
    assert "also published by demo-api-1 (service api)" in problem.message


def test_missing_strict_bind_sources_are_problems_and_created_ones_are_not_checked() -> None:
    plan = Plan(project=P)
    strict = Mount("bind", "/in", "/host/strict", create_host_path=False)
    lax = Mount("bind", "/lax", "/host/lax")
    create(plan, "web", mounts=(strict, lax, Mount("volume", "/v", "demo_v")))
    assert paths_to_check(plan) == {"/host/strict"}
    assert paths_to_check(plan, binds=False) == set()
    [problem] = plan_problems(plan, Facts(missing_paths=frozenset({"/host/strict"})))
    assert problem.path == "services.web.volumes"
    assert "bind source /host/strict (for /in) does not exist" in problem.message


def test_build_context_and_dockerfile_must_exist_unless_remote() -> None:
    plan = Plan(project=P)
    for service, context in (("a", "/ctx/a"), ("b", "/ctx/b"), ("c", "https://git.example/r")):
        spec = BuildSpec(tag=f"demo-{service}", context=context, dockerfile="Dockerfile")
        plan.add(OpKind.BUILD_IMAGE, f"image:demo-{service}", "new", spec=spec, service=service)
    assert paths_to_check(plan) == {"/ctx/a", "/ctx/a/Dockerfile", "/ctx/b", "/ctx/b/Dockerfile"}
    missing = frozenset({"/ctx/a", "/ctx/b/Dockerfile"})
    assert messages(plan_problems(plan, Facts(missing_paths=missing))) == [
        "services.a.build.context: build context /ctx/a does not exist",
        "services.b.build.dockerfile: Dockerfile /ctx/b/Dockerfile not found",
    ]


def test_only_plans_that_create_or_build_need_facts() -> None:
    plan = Plan(project=P)
    plan.add(OpKind.START_CONTAINER, "container:web:1", "stopped", engine_id="x")
    assert not needs_facts(plan)
    create(plan, "web")
    assert needs_facts(plan)


def test_the_error_is_a_spec_error_listing_every_problem_with_the_files() -> None:
    error = PreflightError([Problem("services.a", "one"), Problem("services.b", "two")], ["c.yml"])
    assert isinstance(error, SpecError) and error.exit_code == 2
    assert str(error).splitlines() == [
        "2 problems found before acting (c.yml); nothing was changed:",
        "  services.a: one",
        "  services.b: two",
    ]


@pytest.mark.parametrize(
    ("host", "local"),
    [("", True), ("unix:///run/docker.sock", True), ("tcp://10.0.0.2:2375", False)],
)
def test_bind_sources_are_checked_only_when_the_engine_shares_this_host(
    host: str, local: bool
) -> None:
    assert engine_is_local({"DOCKER_HOST": host} if host else {}) is local


@pytest.mark.anyio
async def test_converge_refuses_every_problem_before_any_mutation() -> None:
    project = load(
        """
        services:
          db: {image: "postgres:16", ports: ["5432:5432"]}
          web: {image: "nginx:1", container_name: taken}
        volumes: {}
        """
    )
    engine = FakeEngine(images=["postgres:16", "nginx:1"])
    foreign = ContainerSpec(name="taken", image="nginx:1", labels={})
    await engine.create_container(foreign)
    engine.calls.clear()
    with pytest.raises(PreflightError) as caught:
        await converge(project, engine, UpOptions(), RunSettings())
    assert [p.path for p in caught.value.problems] == ["services.web.container_name"]
    assert engine.mutations() == []
    await check_before_acting(Plan(project=P), engine, project)  # nothing to check: no call
