"""DockerSwarmEngine on a private single-node swarm: services, tasks, health, objects, networks.

The docker CLI on the same swarm is the oracle: what orchestra reads back must match what
``docker service inspect`` / ``docker network inspect`` say.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from swarm_adapter_support import docker_host, running, service_spec, wait_for, wait_running
from swarm_daemon import SwarmDaemon

from orchestra import labels
from orchestra.engine.base import HealthSpec, NetworkSpec
from orchestra.engine.docker_swarm import DockerSwarmEngine
from orchestra.engine.swarm_base import FileMount, ServiceAttachment, SwarmObjectSpec
from orchestra.errors import ConflictError, NotFoundError

pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture
async def swarm_engine(swarm: SwarmDaemon) -> AsyncIterator[DockerSwarmEngine]:
    with docker_host(swarm.host):
        engine = DockerSwarmEngine.from_env(max_concurrency=8)
    yield engine
    await engine.close()


def inspect(swarm: SwarmDaemon, kind: str, name: str) -> dict[str, Any]:
    done = swarm.docker(kind, "inspect", name)
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)[0]
    return found


async def test_service_lifecycle_create_observe_scale_update_remove(
    swarm: SwarmDaemon, swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    spec = service_spec(swarm_project, "web", replicas=2, environment=("COLOR=blue",))
    service_id = await swarm_engine.create_service(spec)

    observed = await wait_running(swarm_engine, swarm_project, service_id, 2)
    (service,) = observed.services
    oracle = inspect(swarm, "service", spec.name)
    assert (service.id, service.name, service.version) == (
        oracle["ID"],
        spec.name,
        oracle["Version"]["Index"],
    )
    assert service.labels[labels.PROJECT] == swarm_project
    assert (service.mode, service.replicas, service.image) == ("replicated", 2, spec.image)
    first = {t.id for t in running(observed, service_id)}
    assert sorted(t.slot or 0 for t in running(observed, service_id)) == [1, 2]
    assert all(t.container_id and t.node_id for t in running(observed, service_id))

    await swarm_engine.scale_service(service_id, 3)
    observed = await wait_running(swarm_engine, swarm_project, service_id, 3)
    assert observed.services[0].replicas == 3
    # Scaling keeps the rest of the spec: the environment is still there.
    env = inspect(swarm, "service", spec.name)["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert env == ["COLOR=blue"]

    changed = service_spec(swarm_project, "web", replicas=3, environment=("COLOR=green",))
    await swarm_engine.update_service(service_id, changed)
    after = inspect(swarm, "service", spec.name)
    assert after["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["COLOR=green"]
    assert after["Version"]["Index"] > service.version

    async def rolled() -> bool | None:
        now = await swarm_engine.observe_swarm(swarm_project)
        tasks = running(now, service_id)
        return True if len(tasks) == 3 and not first & {t.id for t in tasks} else None

    await wait_for(rolled, "the update to replace every task")
    assert {t.id for t in await swarm_engine.service_tasks(service_id)} >= first  # history kept

    await swarm_engine.remove_service(service_id)
    assert (await swarm_engine.observe_swarm(swarm_project)).services == ()
    with pytest.raises(NotFoundError):
        await swarm_engine.remove_service(service_id)


async def test_rollback_returns_to_the_previous_spec(
    swarm: SwarmDaemon, swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    spec = service_spec(swarm_project, "api", environment=("V=1",))
    service_id = await swarm_engine.create_service(spec)
    await swarm_engine.update_service(
        service_id, service_spec(swarm_project, "api", environment=("V=2",))
    )
    await swarm_engine.update_service(service_id, spec, rollback=True)
    found = inspect(swarm, "service", spec.name)
    assert found["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["V=1"]
    assert found["PreviousSpec"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["V=2"]


async def test_concurrent_updates_both_land_despite_out_of_sequence(
    swarm: SwarmDaemon, swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    service_id = await swarm_engine.create_service(service_spec(swarm_project, "busy"))
    async with anyio.create_task_group() as group:
        group.start_soon(swarm_engine.scale_service, service_id, 2)
        group.start_soon(
            swarm_engine.update_service,
            service_id,
            service_spec(swarm_project, "busy", replicas=2, environment=("X=1",)),
        )
    found = inspect(swarm, "service", f"{swarm_project}_busy")
    assert found["Spec"]["Mode"]["Replicated"]["Replicas"] == 2


async def test_healthcheck_tasks_are_starting_until_healthy(
    swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    spec = service_spec(
        swarm_project,
        "db",
        args=("sh", "-c", "sleep 4; touch /tmp/ready; sleep 300"),
        healthcheck=HealthSpec(
            test=("CMD-SHELL", "test -f /tmp/ready"), interval=0.5, timeout=2.0, retries=30
        ),
    )
    service_id = await swarm_engine.create_service(spec)

    async def starting() -> str | None:
        tasks = await swarm_engine.service_tasks(service_id)
        return "seen" if any(t.state == "starting" for t in tasks) else None

    await wait_for(starting, "the task to be starting (not healthy yet)", timeout=30)
    assert running(await swarm_engine.observe_swarm(swarm_project), service_id) == []
    await wait_running(swarm_engine, swarm_project, service_id, 1, timeout=60)


async def test_secrets_and_configs_are_created_mounted_and_removed(
    swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    object_labels = {labels.PROJECT: swarm_project}
    secret = SwarmObjectSpec(
        "secret", "pw", f"{swarm_project}_pw-0123456789", object_labels, _b64("s3cret")
    )
    config = SwarmObjectSpec(
        "config", "conf", f"{swarm_project}_conf-0123456789", object_labels, _b64("k=v")
    )
    secret_id = await swarm_engine.create_object(secret)
    config_id = await swarm_engine.create_object(config)
    assert await swarm_engine.create_object(secret) == secret_id  # same name: the same object

    spec = service_spec(
        swarm_project,
        "app",
        args=("sh", "-c", "cat /run/secrets/pw /etc/app.conf; echo; sleep 300"),
        secrets=(FileMount("secret", secret.name, "pw", mode=0o400),),
        configs=(FileMount("config", config.name, "/etc/app.conf"),),
    )
    service_id = await swarm_engine.create_service(spec)
    observed = await wait_running(swarm_engine, swarm_project, service_id, 1)
    assert [(o.kind, o.id, o.name) for o in observed.secrets] == [
        ("secret", secret_id, secret.name)
    ]
    assert [(o.kind, o.id, o.name) for o in observed.configs] == [
        ("config", config_id, config.name)
    ]

    async def printed() -> list[str] | None:
        texts = [line.text async for line in swarm_engine.service_logs([service_id])]
        return texts or None

    assert (await wait_for(printed, "the task's output"))[0] == "s3cretk=v"
    with pytest.raises(ConflictError, match="in use"):
        await swarm_engine.remove_object("secret", secret_id)

    await swarm_engine.remove_service(service_id)
    await swarm_engine.remove_object("secret", secret_id)
    await swarm_engine.remove_object("config", config_id)
    observed = await swarm_engine.observe_swarm(swarm_project)
    assert (observed.secrets, observed.configs) == ((), ())


async def test_overlay_network_attaches_services_with_aliases(
    swarm: SwarmDaemon, swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    name = f"{swarm_project}_back"
    net_labels = {labels.PROJECT: swarm_project, labels.NETWORK: "back"}
    network_id = await swarm_engine.create_network(
        NetworkSpec(name=name, driver="overlay", attachable=True, labels=net_labels)
    )
    # Created again (a re-run of up): the same network, not a second one.
    assert (
        await swarm_engine.create_network(
            NetworkSpec(name=name, driver="overlay", attachable=True, labels=net_labels)
        )
        == network_id
    )
    oracle = inspect(swarm, "network", name)
    assert (oracle["Id"], oracle["Scope"], oracle["Attachable"]) == (network_id, "swarm", True)

    spec = service_spec(
        swarm_project, "ping", networks=(ServiceAttachment(name, aliases=("pinger",)),)
    )
    service_id = await swarm_engine.create_service(spec)
    observed = await wait_running(swarm_engine, swarm_project, service_id, 1)
    assert [(n.id, n.name, n.driver) for n in observed.networks] == [(network_id, name, "overlay")]
    attached = inspect(swarm, "service", spec.name)["Spec"]["TaskTemplate"]["Networks"]
    assert [(a["Target"], a.get("Aliases")) for a in attached] in (
        [(network_id, ["pinger"])],
        [(name, ["pinger"])],
    )

    await swarm_engine.remove_service(service_id)
    await swarm_engine.remove_network(network_id)
    assert (await swarm_engine.observe_swarm(swarm_project)).networks == ()


async def test_refusals_become_orchestra_errors(
    swarm: SwarmDaemon, swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    spec = service_spec(swarm_project, "one")
    await swarm_engine.create_service(spec)
    with pytest.raises(ConflictError, match="already exists"):
        await swarm_engine.create_service(spec)
    lost = service_spec(swarm_project, "lost", networks=(ServiceAttachment("no-such-net"),))
    with pytest.raises(NotFoundError, match="no-such-net"):
        await swarm_engine.create_service(lost)
    with pytest.raises(NotFoundError):
        await swarm_engine.update_service("no-such-service", spec)
    with pytest.raises(NotFoundError):
        await swarm_engine.remove_object("config", "no-such-config")
    # A local bridge network holding the overlay network's name (the same project run with
    # containers on this engine): said clearly, not a 409 from deep inside.
    taken = f"{swarm_project}_default"
    made = swarm.docker("network", "create", "--label", f"{labels.PROJECT}={swarm_project}", taken)
    assert made.returncode == 0, made.stderr
    with pytest.raises(ConflictError, match="local-scoped bridge network"):
        await swarm_engine.create_network(NetworkSpec(name=taken, driver="overlay", labels={}))


async def test_a_task_that_cannot_start_reports_why(
    swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    # An image that is nowhere: created without asking a registry, and each task says why.
    spec = service_spec(swarm_project, "ghost", image="orchestra-test/no-such-image:1")
    service_id = await swarm_engine.create_service(spec)

    async def failed() -> str | None:
        tasks = await swarm_engine.service_tasks(service_id)
        errors = [t.error for t in tasks if t.state in ("rejected", "failed") and t.error]
        return errors[0] if errors else None

    assert "no-such-image" in await wait_for(failed, "a rejected task with its error")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def test_a_removed_network_is_gone_before_remove_returns(
    swarm_engine: DockerSwarmEngine, swarm_project: str
) -> None:
    # down then up: the swarm keeps a removed network until the tasks on it have stopped; a
    # re-created one of the same name must be a new, usable network, not the dying one.
    name = f"{swarm_project}_default"
    spec = NetworkSpec(name=name, driver="overlay", labels={labels.PROJECT: swarm_project})
    first = await swarm_engine.create_network(spec)
    # No init: sleep ignores SIGTERM, so each task takes its whole grace period to stop.
    slow = service_spec(
        swarm_project,
        "slow",
        init=False,
        stop_grace_period=3.0,
        networks=(ServiceAttachment(name),),
    )
    slow_id = await swarm_engine.create_service(slow)
    await wait_running(swarm_engine, swarm_project, slow_id, 1)

    await swarm_engine.remove_service(slow_id)
    await swarm_engine.remove_network(first)
    assert (await swarm_engine.observe_swarm(swarm_project)).networks == ()

    second = await swarm_engine.create_network(spec)
    assert second != first
    again = service_spec(swarm_project, "again", networks=(ServiceAttachment(name),))
    await wait_running(swarm_engine, swarm_project, await swarm_engine.create_service(again), 1)
