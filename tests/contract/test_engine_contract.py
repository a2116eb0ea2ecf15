"""What every Engine must do alike: the real Docker Engine and the in-memory fake.

Kept to behaviour both share: create/start/stop/remove as observed and inspected, labels as
given, network and volume bookkeeping, and the not-found / conflict errors.
"""

from __future__ import annotations

import pytest

from orchestra import labels
from orchestra.engine.base import (
    ContainerSpec,
    ContainerStatus,
    Engine,
    NetworkSpec,
    VolumeSpec,
)
from orchestra.errors import ConflictError, NotFoundError

pytestmark = pytest.mark.anyio

IMAGE = "orchestra-test/busybox:1"


def container(project: str, service: str, number: int = 1) -> ContainerSpec:
    return ContainerSpec(
        name=f"{project}-{service}-{number}",
        image=IMAGE,
        labels={
            labels.PROJECT: project,
            labels.SERVICE: service,
            labels.CONTAINER_NUMBER: str(number),
            labels.ONEOFF: "False",
            labels.CONFIG_HASH: "c0ffee",
        },
        command=("sleep", "300"),
        init=True,  # a quick stop on the real engine
    )


async def test_container_lifecycle_as_observed_and_inspected(
    engine: Engine, project_name: str
) -> None:
    spec = container(project_name, "web")
    cid = await engine.create_container(spec)

    (created,) = (await engine.observe(project_name)).containers
    assert (created.id, created.name, created.status) == (cid, spec.name, ContainerStatus.CREATED)
    assert dict(created.labels) == dict(spec.labels)
    assert (created.service, created.number, created.health) == ("web", 1, None)
    assert (await engine.inspect_container(cid)).status is ContainerStatus.CREATED

    await engine.start_container(cid)
    state = await engine.inspect_container(cid)
    assert (state.id, state.name, state.status) == (cid, spec.name, ContainerStatus.RUNNING)
    assert state.started_at != ""
    assert (await engine.observe(project_name)).containers[0].status is ContainerStatus.RUNNING

    await engine.stop_container(cid, timeout=5)
    assert (await engine.inspect_container(cid)).status is ContainerStatus.EXITED
    assert (await engine.observe(project_name)).containers[0].status is ContainerStatus.EXITED

    await engine.remove_container(cid)
    assert (await engine.observe(project_name)).containers == ()


async def test_observe_holds_only_the_project(
    engine: Engine, project_name: str, decoy_project: str
) -> None:
    mine = await engine.create_container(container(project_name, "web"))
    await engine.create_container(container(decoy_project, "web"))
    await engine.create_network(
        NetworkSpec(f"{decoy_project}_default", {labels.PROJECT: decoy_project})
    )

    observed = await engine.observe(project_name)

    assert [c.id for c in observed.containers] == [mine]
    assert observed.networks == ()
    assert project_name in await engine.list_projects()


async def test_a_taken_container_name_is_a_conflict(engine: Engine, project_name: str) -> None:
    await engine.create_container(container(project_name, "web"))
    with pytest.raises(ConflictError):
        await engine.create_container(container(project_name, "web"))


async def test_removing_a_running_container_needs_force(engine: Engine, project_name: str) -> None:
    cid = await engine.create_container(container(project_name, "web"))
    await engine.start_container(cid)
    with pytest.raises(ConflictError):
        await engine.remove_container(cid)
    await engine.remove_container(cid, force=True)
    assert (await engine.observe(project_name)).containers == ()


async def test_unknown_containers_are_not_found(engine: Engine) -> None:
    unknown = "orchestra-contract-no-such-container"
    with pytest.raises(NotFoundError):
        await engine.inspect_container(unknown)
    with pytest.raises(NotFoundError):
        await engine.start_container(unknown)
    with pytest.raises(NotFoundError):
        await engine.stop_container(unknown)
    with pytest.raises(NotFoundError):
        await engine.remove_container(unknown, force=True)


async def test_networks_are_created_once_by_name_and_removed(
    engine: Engine, project_name: str
) -> None:
    spec = NetworkSpec(
        f"{project_name}_default", {labels.PROJECT: project_name, labels.NETWORK: "default"}
    )
    first = await engine.create_network(spec)
    assert await engine.create_network(spec) == first, "never a second network of that name"

    (observed,) = (await engine.observe(project_name)).networks
    assert (observed.id, observed.name, dict(observed.labels)) == (
        first,
        spec.name,
        dict(spec.labels),
    )

    await engine.remove_network(first)
    assert (await engine.observe(project_name)).networks == ()
    with pytest.raises(NotFoundError):
        await engine.remove_network(first)


async def test_volumes_are_created_observed_and_removed(engine: Engine, project_name: str) -> None:
    spec = VolumeSpec(f"{project_name}_data", {labels.PROJECT: project_name, labels.VOLUME: "data"})
    assert await engine.create_volume(spec) == spec.name
    assert await engine.create_volume(spec) == spec.name, "creating it again is harmless"

    (observed,) = (await engine.observe(project_name)).volumes
    assert (observed.name, dict(observed.labels)) == (spec.name, dict(spec.labels))

    await engine.remove_volume(spec.name)
    assert (await engine.observe(project_name)).volumes == ()
    with pytest.raises(NotFoundError):
        await engine.remove_volume(spec.name)
