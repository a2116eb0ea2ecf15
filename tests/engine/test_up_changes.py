"""``orchestra up`` after a change: recreate only what changed, the recreate flags, scaling,
orphans, service selection, ``depends_on.restart``, ``network_mode: service:``, ``--dry-run``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, NUMBER_LABEL, Stack, container_actions, exec_in, mutations

pytestmark = pytest.mark.engine

THREE = """
    services:
      db:
        image: {image}
        command: sleep 600
        init: true
        environment: {{GEN: "{db}"}}
      web:
        image: {image}
        command: sleep 600
        init: true
        environment: {{GEN: "{web}"}}
        depends_on: [db]
      other:
        image: {image}
        command: sleep 600
        init: true
"""


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


def three(stack: Stack, db: int = 1, web: int = 1) -> None:
    stack.write(THREE.format(image=IMAGE, db=db, web=web))


def ids(stack: Stack) -> dict[str, str]:
    return {name: c["Id"] for name, c in stack.containers().items()}


def env_of(stack: Stack, name: str) -> list[str]:
    return list(stack.inspect(name)["Config"]["Env"])


def test_env_change_recreates_exactly_that_service(stack: Stack) -> None:
    three(stack)
    stack.up()
    before = ids(stack)
    three(stack, web=2)
    result, events = stack.up_watched()
    assert result.rc == 0, str(result)
    after = ids(stack)
    web, db, other = stack.name("web"), stack.name("db"), stack.name("other")
    assert set(after) == set(before)
    assert after[web] != before[web]
    assert (after[db], after[other]) == (before[db], before[other])
    assert "GEN=2" in env_of(stack, web)
    assert {name for _, name in mutations(events)} == {web}
    assert stack.running() == set(after)


def test_force_recreate_replaces_every_container(stack: Stack) -> None:
    three(stack)
    stack.up()
    before = ids(stack)
    stack.up("--force-recreate")
    after = ids(stack)
    assert set(after) == set(before)
    assert all(after[name] != before[name] for name in before)
    assert stack.running() == set(after)


def test_no_recreate_keeps_changed_containers(stack: Stack) -> None:
    three(stack)
    stack.up()
    before = ids(stack)
    three(stack, db=2, web=2)
    result, events = stack.up_watched("--no-recreate")
    assert result.rc == 0, str(result)
    assert ids(stack) == before
    assert mutations(events) == []
    assert "GEN=1" in env_of(stack, stack.name("web"))


def scaled(stack: Stack, replicas: int | None) -> None:
    deploy = f"\n        deploy: {{replicas: {replicas}}}" if replicas is not None else ""
    stack.write(f"""
    services:
      web:
        image: {IMAGE}
        command: sleep 600
        init: true{deploy}
    """)


def test_scale_flag_up_and_down(stack: Stack) -> None:
    scaled(stack, None)
    stack.up("--scale", "web=3")
    names = {stack.name("web", n) for n in (1, 2, 3)}
    assert stack.running() == names
    numbers = {c["Labels"][NUMBER_LABEL] for c in stack.containers().values()}
    assert numbers == {"1", "2", "3"}
    first = ids(stack)[stack.name("web")]

    stack.up("--scale", "web=1")
    assert set(stack.containers()) == {stack.name("web")}
    assert ids(stack)[stack.name("web")] == first, "scale-down keeps the lowest numbers"


def test_deploy_replicas_and_changing_them(stack: Stack) -> None:
    scaled(stack, 2)
    stack.up()
    assert stack.running() == {stack.name("web", 1), stack.name("web", 2)}
    before = ids(stack)
    scaled(stack, 3)
    result, events = stack.up_watched()
    assert result.rc == 0, str(result)
    assert stack.running() == {stack.name("web", n) for n in (1, 2, 3)}
    assert {n: i for n, i in ids(stack).items() if n in before} == before
    assert {name for _, name in mutations(events)} == {stack.name("web", 3)}


def test_orphans_warned_then_removed_with_remove_orphans(stack: Stack) -> None:
    three(stack)
    stack.up()
    stack.write(f"""
    services:
      db:
        image: {IMAGE}
        command: sleep 600
        init: true
        environment: {{GEN: "1"}}
    """)
    warned = stack.up()
    orphans = {stack.name("web"), stack.name("other")}
    assert "orphan" in warned.err.lower(), str(warned)
    assert all(name in warned.err for name in orphans) or all(
        service in warned.err for service in ("web", "other")
    ), str(warned)
    assert orphans <= set(stack.containers()), "without --remove-orphans they stay"

    stack.up("--remove-orphans")
    assert set(stack.containers()) == {stack.name("db")}


def test_up_service_starts_it_and_its_dependencies_only(stack: Stack) -> None:
    three(stack)
    stack.up("web")
    assert set(stack.containers()) == {stack.name("web"), stack.name("db")}
    assert stack.running() == {stack.name("web"), stack.name("db")}


def test_no_deps_starts_only_the_named_service(stack: Stack) -> None:
    three(stack)
    stack.up("--no-deps", "web")
    assert set(stack.containers()) == {stack.name("web")}
    assert stack.running() == {stack.name("web")}


def test_depends_on_restart_restarts_the_dependent(stack: Stack) -> None:
    template = """
    services:
      db:
        image: {image}
        command: sleep 600
        init: true
        environment: {{GEN: "{gen}"}}
      app:
        image: {image}
        command: sleep 600
        init: true
        depends_on:
          db: {{condition: service_started, restart: true}}
      bystander:
        image: {image}
        command: sleep 600
        init: true
        depends_on:
          db: {{condition: service_started}}
    """
    stack.write(template.format(image=IMAGE, gen=1))
    stack.up()
    before = ids(stack)
    app, db, bystander = stack.name("app"), stack.name("db"), stack.name("bystander")
    started = stack.inspect(app)["State"]["StartedAt"]

    stack.write(template.format(image=IMAGE, gen=2))
    result, events = stack.up_watched()
    assert result.rc == 0, str(result)
    after = ids(stack)
    assert after[db] != before[db]
    assert (after[app], after[bystander]) == (before[app], before[bystander])
    assert stack.inspect(app)["State"]["StartedAt"] > started, container_actions(events)
    actions = container_actions(events)
    app_starts = [i for i, (action, name) in enumerate(actions) if (action, name) == ("start", app)]
    assert app_starts and actions.index(("start", db)) < app_starts[-1], actions
    assert not [a for a in mutations(events) if a[1] == bystander]


def test_network_mode_service_shares_the_namespace(stack: Stack, docker_client: Any) -> None:
    template = """
    services:
      main:
        image: {image}
        command: sleep 600
        init: true
        environment: {{GEN: "{gen}"}}
      sidecar:
        image: {image}
        command: sleep 600
        init: true
        network_mode: service:main
    """
    stack.write(template.format(image=IMAGE, gen=1))
    stack.up()
    main, sidecar = stack.name("main"), stack.name("sidecar")

    def shared() -> None:
        for probe in (["hostname"], ["cat", "/sys/class/net/eth0/address"], ["hostname", "-i"]):
            assert exec_in(docker_client, main, *probe) == exec_in(docker_client, sidecar, *probe)
        mode = stack.inspect(sidecar)["HostConfig"]["NetworkMode"]
        assert mode == f"container:{stack.inspect(main)['Id']}"

    shared()
    before = ids(stack)
    stack.write(template.format(image=IMAGE, gen=2))
    stack.up()
    after = ids(stack)
    assert after[main] != before[main]
    assert after[sidecar] != before[sidecar], "the sidecar must follow its namespace holder"
    assert stack.running() == {main, sidecar}
    shared()


def test_dry_run_changes_nothing(stack: Stack) -> None:
    three(stack)
    result, events = stack.up_watched("--dry-run")
    assert result.rc == 0, str(result)
    assert events == []
    assert not stack.containers()
    assert stack.client.networks.list(names=[f"{stack.project}_default"]) == []
    assert "web" in result.out and "CREATE" in result.out.upper(), str(result)

    stack.up()
    three(stack, web=2)
    result, events = stack.up_watched("--dry-run")
    assert result.rc == 0, str(result)
    assert events == []
    assert "GEN=1" in env_of(stack, stack.name("web"))
