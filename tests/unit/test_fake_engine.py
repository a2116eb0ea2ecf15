"""The fake engine keeps the real engine's rules, its behaviours and its event stream."""

from __future__ import annotations

import anyio
import pytest

from orchestra.engine.base import (
    ContainerSpec,
    ContainerStatus,
    Engine,
    EngineEvent,
    HealthSpec,
    HealthStatus,
    Mount,
    NetworkAttachment,
    NetworkSpec,
    VolumeSpec,
)
from orchestra.engine.fake import FakeBehaviour, FakeEngine
from orchestra.errors import (
    ConflictError,
    EngineError,
    EngineUnavailableError,
    ImageNotFoundError,
    NotFoundError,
)
from orchestra.readiness import rfc3339_ns

pytestmark = pytest.mark.anyio

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"


def spec(service: str, project: str = "p", health: bool = False, **kw: object) -> ContainerSpec:
    return ContainerSpec(
        name=f"{project}-{service}-1",
        image="busybox",
        labels={PROJECT: project, SERVICE: service},
        healthcheck=HealthSpec(test=("CMD", "true")) if health else None,
        **kw,  # type: ignore[arg-type]
    )


async def test_fake_satisfies_the_protocol_and_runs_a_container() -> None:
    engine: Engine = FakeEngine()
    cid = await engine.create_container(spec("web"))
    assert (await engine.inspect_container(cid)).status is ContainerStatus.CREATED
    await engine.start_container(cid)
    state = await engine.inspect_container(cid)
    assert state.status is ContainerStatus.RUNNING
    assert state.health is None
    assert rfc3339_ns(state.started_at) is not None
    await engine.stop_container(cid, timeout=1)
    assert (await engine.inspect_container(cid[:12])).status is ContainerStatus.EXITED
    await engine.remove_container("p-web-1")
    with pytest.raises(NotFoundError):
        await engine.inspect_container(cid)


async def test_engine_rules() -> None:
    engine = FakeEngine(images=["busybox"])
    cid = await engine.create_container(spec("web"))
    with pytest.raises(ConflictError, match="already in use"):
        await engine.create_container(spec("web"))
    with pytest.raises(ImageNotFoundError):
        await engine.create_container(ContainerSpec("x-1", "nope", {}))
    with pytest.raises(NotFoundError):
        await engine.start_container("0123456789ab")
    with pytest.raises(NotFoundError, match="network"):
        await engine.create_container(
            ContainerSpec("y-1", "busybox", {}, networks=(NetworkAttachment("missing"),))
        )
    await engine.start_container(cid)
    with pytest.raises(ConflictError, match="running"):
        await engine.remove_container(cid)
    await engine.remove_container(cid, force=True)
    assert engine.containers == {}


async def test_networks_and_volumes() -> None:
    engine = FakeEngine()
    net = await engine.create_network(NetworkSpec("p_default", {PROJECT: "p"}))
    # Like the real engine adapter: a second create of the same name returns the first network.
    assert await engine.create_network(NetworkSpec("p_default", {PROJECT: "p"})) == net
    assert await engine.create_volume(VolumeSpec("p_data", {PROJECT: "p"})) == "p_data"
    assert await engine.create_volume(VolumeSpec("p_data", {PROJECT: "p"})) == "p_data"
    cid = await engine.create_container(
        spec(
            "db",
            networks=(NetworkAttachment("p_default"),),
            mounts=(Mount("volume", "/data", "p_data"),),
        )
    )
    observed = await engine.observe("p")
    assert [c.name for c in observed.containers] == ["p-db-1"]
    assert [n.id for n in observed.networks] == [net]
    assert [v.name for v in observed.volumes] == ["p_data"]
    assert (await engine.observe("other")).containers == ()
    with pytest.raises(ConflictError, match="active endpoints"):
        await engine.remove_network(net)
    with pytest.raises(ConflictError, match="in use"):
        await engine.remove_volume("p_data")
    await engine.remove_container(cid)
    await engine.remove_network("p_default")
    await engine.remove_volume("p_data")
    with pytest.raises(NotFoundError):
        await engine.remove_volume("p_data")
    with pytest.raises(NotFoundError):
        await engine.remove_network(net)


async def test_images_and_pull() -> None:
    engine = FakeEngine(images=["busybox"], pullable=["redis"])
    assert await engine.image_id("busybox") is not None
    assert await engine.image_id("redis") is None
    lines: list[str] = []
    image = await engine.pull_image("redis", lines.append)
    assert await engine.image_id("redis") == image
    assert lines == ["pulled redis"]
    with pytest.raises(ImageNotFoundError):
        await engine.pull_image("ghost")


async def test_health_and_exit_follow_the_behaviour_over_time() -> None:
    engine = FakeEngine(
        behaviours={
            "db": FakeBehaviour(healthy_after=0.1),
            "p-job-1": FakeBehaviour(exit_after=0.1, exit_code=3, logs=("a", "b", "c")),
        }
    )
    db = await engine.create_container(spec("db", health=True))
    job = await engine.create_container(spec("job"))
    await engine.start_container(db)
    await engine.start_container(job)
    assert (await engine.inspect_container(db)).health is HealthStatus.STARTING
    assert (await engine.inspect_container(job)).status is ContainerStatus.RUNNING
    await anyio.sleep(0.15)
    state = await engine.inspect_container(db)
    assert state.health is HealthStatus.HEALTHY
    assert state.health_log and rfc3339_ns(state.health_log_end) is not None
    done = await engine.inspect_container(job)
    assert (done.status, done.exit_code) == (ContainerStatus.EXITED, 3)
    assert [line.text async for line in engine.logs(job, tail=2)] == ["b", "c"]
    assert [line.text async for line in engine.logs(job, tail=0)] == []


async def test_health_result_survives_a_restart_and_is_stale() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=None, unhealthy_after=0)})
    db = await engine.create_container(spec("db", health=True))
    await engine.start_container(db)
    assert (await engine.inspect_container(db)).health is HealthStatus.UNHEALTHY
    await engine.stop_container(db)
    await anyio.sleep(0.01)
    engine.set_behaviour("db", FakeBehaviour(healthy_after=0.05))
    await engine.start_container(db)
    state = await engine.inspect_container(db)
    assert state.health is HealthStatus.UNHEALTHY
    end, start = rfc3339_ns(state.health_log_end), rfc3339_ns(state.started_at)
    assert end is not None and start is not None and end < start
    await anyio.sleep(0.06)
    assert (await engine.inspect_container(db)).health is HealthStatus.HEALTHY


async def test_stale_health_behaviour_shows_an_old_result_first() -> None:
    engine = FakeEngine(
        behaviours={"db": FakeBehaviour(stale_health=HealthStatus.UNHEALTHY, healthy_after=0.05)}
    )
    db = await engine.create_container(spec("db", health=True))
    await engine.start_container(db)
    state = await engine.inspect_container(db)
    end, start = rfc3339_ns(state.health_log_end), rfc3339_ns(state.started_at)
    assert state.health is HealthStatus.UNHEALTHY
    assert end is not None and start is not None and end < start


async def test_events_stream_emits_scheduled_transitions_on_time() -> None:
    engine = FakeEngine(behaviours={"db": FakeBehaviour(healthy_after=0.1)})
    db = await engine.create_container(spec("db", health=True))
    other = await engine.create_container(spec("x", project="other"))
    seen: list[tuple[str, float]] = []
    async with engine.events("p") as stream:
        await engine.start_container(other)
        begun = anyio.current_time()
        await engine.start_container(db)
        with anyio.move_on_after(1):
            async for event in stream:
                seen.append((event.action, anyio.current_time() - begun))
                if event.action.startswith("health_status"):
                    break
    assert [a for a, _ in seen] == ["start", "health_status: healthy"]
    assert 0.09 <= seen[1][1] < 0.15
    assert engine.events_opened == 1


async def test_stop_cancels_scheduled_events() -> None:
    engine = FakeEngine(behaviours={"job": FakeBehaviour(exit_after=0.05, exit_code=1)})
    job = await engine.create_container(spec("job"))
    events: list[EngineEvent] = []
    async with engine.events() as stream:
        await engine.start_container(job)
        await engine.stop_container(job)
        with anyio.move_on_after(0.1):
            async for event in stream:
                events.append(event)
    assert [e.action for e in events] == ["start", "die", "stop"]
    assert (await engine.inspect_container(job)).exit_code == 0


async def test_restart_rename_exec() -> None:
    engine = FakeEngine()
    cid = await engine.create_container(spec("web"))
    with pytest.raises(ConflictError, match="not running"):
        await engine.exec(cid, ("true",))
    await engine.restart_container(cid)
    assert (await engine.exec(cid, ("true",))).exit_code == 0
    other = await engine.create_container(spec("db"))
    with pytest.raises(ConflictError):
        await engine.rename_container(cid, "p-db-1")
    await engine.rename_container(cid, "p-web-old")
    assert (await engine.inspect_container(cid)).name == "p-web-old"
    projects = await engine.list_projects()
    assert sorted(c.id for c in projects["p"]) == sorted([cid, other])


async def test_call_log_failure_injection_and_availability() -> None:
    engine = FakeEngine(fail_on={"start_container": {"web"}})
    web = await engine.create_container(spec("web"))
    db = await engine.create_container(spec("db"))
    with pytest.raises(EngineError, match="injected failure: start_container web"):
        await engine.start_container(web)
    await engine.start_container(db)
    await engine.inspect_container(db)
    await engine.observe("p")
    assert [m for m, _ in engine.mutations()] == [
        "create_container",
        "create_container",
        "start_container",
        "start_container",
    ]
    assert engine.calls[-1] == ("observe", ("p",))
    down = FakeEngine(available=False)
    with pytest.raises(EngineUnavailableError):
        await down.ping()


async def test_call_delay_and_in_flight_accounting() -> None:
    engine = FakeEngine(call_delay=0.05)
    async with anyio.create_task_group() as tg:
        for name in ("a", "b", "c"):
            tg.start_soon(engine.create_container, spec(name))
    assert engine.max_in_flight == 3
    assert engine.in_flight == 0
