"""Engine refusals become orchestra errors with messages that say what went wrong."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestra import labels
from orchestra.engine.base import (
    ContainerSpec,
    Mount,
    NetworkAttachment,
    NetworkSpec,
    PortBinding,
    VolumeSpec,
)
from orchestra.engine.docker import DockerEngine
from orchestra.errors import ConflictError, EngineError, ImageNotFoundError, NotFoundError

pytestmark = [pytest.mark.engine, pytest.mark.anyio]

SpecFactory = Callable[..., ContainerSpec]


async def test_reusing_a_container_name_is_a_conflict(
    engine: DockerEngine, make_spec: SpecFactory
) -> None:
    spec = make_spec("web")
    await engine.create_container(spec)
    with pytest.raises(ConflictError, match=f"create container {spec.name}.*already in use"):
        await engine.create_container(spec)


async def test_a_taken_host_port_is_a_conflict_on_start(
    engine: DockerEngine, make_spec: SpecFactory
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ports = (PortBinding(80, host_ip="127.0.0.1", host_port=str(port)),)
    first = await engine.create_container(make_spec("one", ports=ports))
    await engine.start_container(first)
    second = await engine.create_container(make_spec("two", ports=ports))

    with pytest.raises(ConflictError) as caught:
        await engine.start_container(second)

    message = str(caught.value)
    assert f"host port 127.0.0.1:{port} is already allocated" in message
    assert message.startswith(f"start container {second}")


async def test_a_missing_image_is_named(engine: DockerEngine, make_spec: SpecFactory) -> None:
    missing = "orchestra-test/never-built:404"
    with pytest.raises(ImageNotFoundError, match=f"image {missing} is not present"):
        await engine.create_container(make_spec("ghost", image=missing))
    assert await engine.image_id(missing) is None
    assert (await engine.image_id("orchestra-test/busybox:1") or "").startswith("sha256:")


async def test_pulling_from_an_unreachable_registry_fails_fast_and_clearly(
    engine: DockerEngine,
) -> None:
    progress: list[str] = []
    started = time.monotonic()
    with pytest.raises(ImageNotFoundError) as caught:
        await engine.pull_image("nonexistent.invalid/x:1", progress.append)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert message.startswith("cannot pull image nonexistent.invalid/x:1: ")
    assert "nonexistent.invalid" in message.split(": ", 1)[1], "the engine's reason is kept"


async def test_unknown_resources_are_not_found(engine: DockerEngine) -> None:
    for call in (
        engine.inspect_container("orchestra-no-such-container"),
        engine.start_container("orchestra-no-such-container"),
        engine.remove_container("orchestra-no-such-container"),
        engine.remove_volume("orchestra-no-such-volume"),
        engine.remove_network("orchestra-no-such-network"),
        engine.exec("orchestra-no-such-container", ("true",)),
    ):
        with pytest.raises(NotFoundError):
            await call


async def test_removing_a_running_container_needs_force(
    engine: DockerEngine, make_spec: SpecFactory
) -> None:
    cid = await engine.create_container(make_spec("busy"))
    await engine.start_container(cid)
    with pytest.raises(ConflictError, match="running container"):
        await engine.remove_container(cid)
    await engine.remove_container(cid, force=True)


async def test_removing_a_volume_in_use_is_a_conflict(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str
) -> None:
    name = f"{project_name}_used"
    await engine.create_volume(VolumeSpec(name, {labels.PROJECT: project_name}))
    await engine.create_container(make_spec("user", mounts=(Mount("volume", "/v", source=name),)))
    with pytest.raises(ConflictError, match=f"remove volume {name}.*in use"):
        await engine.remove_volume(name)


async def test_a_missing_bind_source_is_refused_when_not_to_be_created(
    engine: DockerEngine, make_spec: SpecFactory, tmp_path: Path
) -> None:
    mount = Mount("bind", "/x", source=str(tmp_path / "absent"), create_host_path=False)
    with pytest.raises(EngineError, match="bind source path does not exist"):
        await engine.create_container(make_spec("strict", mounts=(mount,)))
    assert not (tmp_path / "absent").exists()


async def test_a_failed_network_attach_leaves_no_container_behind(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str, docker_client: Any
) -> None:
    first, second = f"{project_name}_default", f"{project_name}_plain"
    for name in (first, second):
        await engine.create_network(NetworkSpec(name, {labels.PROJECT: project_name}))
    # A static address on a network without a configured subnet: refused at connect time.
    bad = NetworkAttachment(second, ipv4_address="10.77.0.5")
    spec = make_spec("half", networks=(NetworkAttachment(first), bad))
    with pytest.raises(EngineError, match=f"connect container {spec.name} to network {second}"):
        await engine.create_container(spec)
    assert not docker_client.containers.list(all=True, filters={"name": spec.name})


async def test_a_missing_network_is_not_found_at_start(
    engine: DockerEngine, make_spec: SpecFactory, project_name: str
) -> None:
    present, absent = f"{project_name}_default", f"{project_name}_absent"
    await engine.create_network(NetworkSpec(present, {labels.PROJECT: project_name}))
    # Engine 20.10 accepts connecting a created container to any name; start checks it.
    spec = make_spec("late", networks=(NetworkAttachment(present), NetworkAttachment(absent)))
    cid = await engine.create_container(spec)
    with pytest.raises(NotFoundError, match=f"network {absent} not found"):
        await engine.start_container(cid)
