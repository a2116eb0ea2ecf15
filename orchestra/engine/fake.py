"""An in-memory ``Engine`` for unit tests: deterministic, with the real engine's rules.

Rules kept from the real adapter: a taken container name is a ConflictError (network and volume
creation return the existing one), an unknown id a NotFoundError, removing a running container
without ``force`` or a network/volume in use a ConflictError, a missing image an
ImageNotFoundError, and a health result survives a restart (stale until the next check).

Per-container behaviour (``FakeBehaviour``, see ``engine.fake_container``; looked up by container
name, then service, when the container starts) sets start delay, health and exit. Time is anyio's
clock; state is settled lazily from it, and the events stream emits scheduled transitions (health,
die) at their time. Every call is logged in ``calls`` as ``(method, args)``; ``mutations()`` keeps
the changing ones. ``fail_on`` injects an EngineError, e.g. ``{"start_container": {"web"}}``;
a container's ``stale_task`` makes its starts fail with StaleTaskError.

Imports ``engine.base``, ``errors``, ``labels`` and ``anyio``; never ``docker``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager

import anyio

from orchestra import labels
from orchestra.engine.base import (
    BuildSpec,
    ContainerSpec,
    ContainerState,
    ContainerStatus,
    EngineEvent,
    ExecResult,
    LogLine,
    NetworkSpec,
    Observed,
    ObservedContainer,
    ObservedNetwork,
    ObservedVolume,
    ProgressCallback,
    VolumeSpec,
)
from orchestra.engine.fake_container import EPOCH, FakeBehaviour, FakeContainer, Logged
from orchestra.errors import (
    ConflictError,
    EngineError,
    EngineUnavailableError,
    ImageNotFoundError,
    NotFoundError,
)

__all__ = ["MUTATING", "FakeBehaviour", "FakeEngine"]

MUTATING = frozenset(
    {"pull_image", "create_network", "remove_network", "create_volume", "remove_volume"}
    | {"create_container", "start_container", "stop_container", "restart_container"}
    | {"remove_container", "rename_container", "build_image", "push_image"}
)


class FakeEngine:
    """The whole Engine protocol in memory. Create and use it inside an anyio event loop."""

    def __init__(
        self,
        *,
        images: Iterable[str] | None = None,
        pullable: Iterable[str] = (),
        behaviours: Mapping[str, FakeBehaviour] | None = None,
        fail_on: Mapping[str, Iterable[str]] | None = None,
        call_delay: float = 0.0,
        available: bool = True,
    ) -> None:
        self._images = None if images is None else {ref: self._digest(ref) for ref in images}
        self._pullable = set(pullable)
        self.behaviours: dict[str, FakeBehaviour] = dict(behaviours or {})
        self.fail_on = {method: set(names) for method, names in (fail_on or {}).items()}
        self.call_delay = call_delay  # every mutating call sleeps this long
        self.available = available
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.call_times: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.events_opened = 0
        self.containers: dict[str, FakeContainer] = {}
        self.networks: dict[str, NetworkSpec] = {}  # by id
        self.volumes: dict[str, VolumeSpec] = {}
        self._log: list[Logged] = []
        self._changed = anyio.Event()
        self._counter = 0

    def mutations(self) -> list[tuple[str, tuple[object, ...]]]:
        """The logged calls that change engine state."""
        return [call for call in self.calls if call[0] in MUTATING]

    def set_behaviour(self, key: str, behaviour: FakeBehaviour) -> None:
        """Behaviour for containers named ``key`` or of service ``key``, from their next start."""
        self.behaviours[key] = behaviour

    def _digest(self, text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def _new_id(self, kind: str) -> str:
        self._counter += 1
        return self._digest(f"{kind}-{self._counter}")

    @asynccontextmanager
    async def _call(
        self, method: str, args: tuple[object, ...], names: Iterable[str] = ()
    ) -> AsyncIterator[None]:
        self.calls.append((method, args))
        self.call_times.append(anyio.current_time())
        if not self.available:
            raise EngineUnavailableError("fake engine: not available")
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if method in MUTATING and self.call_delay:
                await anyio.sleep(self.call_delay)
            hit = sorted(set(names) & self.fail_on.get(method, set()))
            if hit:
                raise EngineError(f"injected failure: {method} {hit[0]}")
            yield
        finally:
            self.in_flight -= 1

    def _emit(
        self, kind: str, action: str, ident: str, attrs: Mapping[str, str], at: float
    ) -> None:
        self._counter += 1
        event = EngineEvent(kind, action, ident, dict(attrs), round((EPOCH + at) * 1e9))
        self._log.append(Logged(at, self._counter, event))
        self._changed.set()
        self._changed = anyio.Event()

    def _emit_container(self, c: FakeContainer, action: str, at: float | None = None) -> None:
        attrs = {**c.spec.labels, "name": c.name, "exitCode": str(c.exit_code)}
        self._emit("container", action, c.id, attrs, anyio.current_time() if at is None else at)

    def _drop_future(self, ident: str) -> None:
        now = anyio.current_time()
        self._log = [e for e in self._log if e.event.id != ident or e.time <= now]

    def _lookup(self, ref: str) -> FakeContainer | None:
        for c in self.containers.values():
            if ref in (c.id, c.name) or (len(ref) >= 4 and c.id.startswith(ref)):
                return c
        return None

    @asynccontextmanager
    async def _on_container(
        self, method: str, args: tuple[object, ...]
    ) -> AsyncIterator[FakeContainer]:
        """``_call`` for a method whose first argument names a container; yields it."""
        found = self._lookup(str(args[0]))
        async with self._call(method, args, found.keys if found else ()):
            if found is None:
                raise NotFoundError(f"No such container: {args[0]}")
            found.settle(anyio.current_time())
            yield found

    def _behaviour_for(self, c: FakeContainer) -> FakeBehaviour:
        for key in (c.name, c.spec.labels.get(labels.SERVICE, "")):
            if key in self.behaviours:
                return self.behaviours[key]
        return FakeBehaviour()

    def _begin(self, c: FakeContainer) -> None:
        for action, at in c.begin(self._behaviour_for(c), anyio.current_time()):
            self._emit_container(c, action, at)

    def _end(self, c: FakeContainer) -> None:
        self._drop_future(c.id)
        for action, at in c.end(anyio.current_time()):
            self._emit_container(c, action, at)

    async def ping(self) -> None:
        async with self._call("ping", ()):
            pass

    async def observe(self, project: str) -> Observed:
        async with self._call("observe", (project,)):
            mine = [c for c in self.containers.values() if _of(c.spec.labels, project)]
            return Observed(
                containers=tuple(self._observed(c) for c in mine),
                networks=tuple(
                    ObservedNetwork(i, s.name, s.labels, s.driver or "bridge")
                    for i, s in self.networks.items()
                    if _of(s.labels, project)
                ),
                volumes=tuple(
                    ObservedVolume(s.name, s.labels, s.driver or "local")
                    for s in self.volumes.values()
                    if _of(s.labels, project)
                ),
            )

    def _observed(self, c: FakeContainer) -> ObservedContainer:
        return c.observed(anyio.current_time(), self._digest(c.spec.image))

    async def list_projects(self) -> Mapping[str, tuple[ObservedContainer, ...]]:
        async with self._call("list_projects", ()):
            out: dict[str, list[ObservedContainer]] = {}
            for c in self.containers.values():
                project = c.spec.labels.get(labels.PROJECT)
                if project:
                    out.setdefault(project, []).append(self._observed(c))
            return {p: tuple(cs) for p, cs in sorted(out.items())}

    async def all_containers(self) -> tuple[ObservedContainer, ...]:
        async with self._call("all_containers", ()):
            found = map(self._observed, self.containers.values())
            return tuple(sorted(found, key=lambda c: c.name))

    async def image_id(self, ref: str) -> str | None:
        async with self._call("image_id", (ref,)):
            return self._digest(ref) if self._images is None else self._images.get(ref)

    async def pull_image(self, ref: str, progress: ProgressCallback | None = None) -> str:
        async with self._call("pull_image", (ref,), [ref]):
            if self._images is not None and ref not in self._pullable:
                raise ImageNotFoundError(f"pull access denied for {ref}: not found")
            if self._images is not None:
                self._images[ref] = self._digest(ref)
            if progress is not None:
                progress(f"pulled {ref}")
            return self._digest(ref)

    async def push_image(self, ref: str, progress: ProgressCallback | None = None) -> None:
        async with self._call("push_image", (ref,), [ref]):
            if self._images is not None and ref not in self._images:
                raise ImageNotFoundError(f"cannot push image {ref}: not present locally")

    async def build_image(self, spec: BuildSpec, progress: ProgressCallback | None = None) -> str:
        async with self._call("build_image", (spec.tag,), [spec.tag]):
            if progress is not None:
                progress(f"built {spec.tag}")
            if self._images is not None:
                self._images[spec.tag] = self._digest(spec.tag)
            return self._digest(spec.tag)

    async def create_network(self, spec: NetworkSpec) -> str:
        async with self._call("create_network", (spec.name,), [spec.name]):
            for existing_id, existing in self.networks.items():
                if existing.name == spec.name:  # like the real engine: never a second one
                    return existing_id
            ident = self._new_id("network")
            self.networks[ident] = spec
            self._emit("network", "create", ident, {"name": spec.name}, anyio.current_time())
            return ident

    async def remove_network(self, network_id: str) -> None:
        async with self._call("remove_network", (network_id,), [network_id]):
            ident, spec = self._network(network_id)
            if any(spec.name in _attached(c.spec) for c in self.containers.values()):
                raise ConflictError(
                    f"error while removing network: {spec.name} has active endpoints"
                )
            del self.networks[ident]
            self._emit("network", "destroy", ident, {"name": spec.name}, anyio.current_time())

    def _network(self, ref: str) -> tuple[str, NetworkSpec]:
        for ident, spec in self.networks.items():
            if ref in (ident, spec.name):
                return ident, spec
        raise NotFoundError(f"network {ref} not found")

    async def create_volume(self, spec: VolumeSpec) -> str:
        async with self._call("create_volume", (spec.name,), [spec.name]):
            self.volumes.setdefault(spec.name, spec)  # the engine returns an existing volume
            return spec.name

    async def remove_volume(self, name: str) -> None:
        async with self._call("remove_volume", (name,), [name]):
            if name not in self.volumes:
                raise NotFoundError(f"get {name}: no such volume")
            mounts = [m for c in self.containers.values() for m in c.spec.mounts]
            if any(m.type == "volume" and m.source == name for m in mounts):
                raise ConflictError(f"remove {name}: volume is in use")
            del self.volumes[name]

    async def create_container(self, spec: ContainerSpec) -> str:
        service = spec.labels.get(labels.SERVICE, "")
        async with self._call("create_container", (spec.name,), [spec.name, service]):
            if any(c.name == spec.name for c in self.containers.values()):
                raise ConflictError(
                    f'Conflict. The container name "/{spec.name}" is already in use'
                )
            if self._images is not None and spec.image not in self._images:
                raise ImageNotFoundError(f"No such image: {spec.image}")
            for network in _attached(spec):
                self._network(network)
            ident = self._new_id("container")
            c = FakeContainer(ident, spec, spec.name, anyio.current_time())
            self.containers[ident] = c
            self._emit_container(c, "create")
            return ident

    async def start_container(self, container_id: str) -> None:
        async with self._on_container("start_container", (container_id,)) as c:
            if c.status is ContainerStatus.RUNNING:
                return
            c.check_startable()
            await anyio.sleep(self._behaviour_for(c).start_delay)
            self._begin(c)

    async def stop_container(self, container_id: str, timeout: float | None = None) -> None:
        async with self._on_container("stop_container", (container_id, timeout)) as c:
            self._end(c)

    async def restart_container(self, container_id: str, timeout: float | None = None) -> None:
        async with self._on_container("restart_container", (container_id, timeout)) as c:
            self._end(c)
            self._begin(c)

    async def remove_container(
        self, container_id: str, force: bool = False, volumes: bool = False
    ) -> None:
        async with self._on_container("remove_container", (container_id, force)) as c:
            if c.status is ContainerStatus.RUNNING and not force:
                raise ConflictError(f"You cannot remove a running container {c.id}: stop it first")
            self._drop_future(c.id)
            del self.containers[c.id]
            self._emit_container(c, "destroy")

    async def rename_container(self, container_id: str, new_name: str) -> None:
        async with self._on_container("rename_container", (container_id, new_name)) as c:
            if any(o.name == new_name for o in self.containers.values()):
                raise ConflictError(f'Conflict. The container name "/{new_name}" is already in use')
            c.name = new_name
            self._emit_container(c, "rename")

    async def inspect_container(self, container_id: str) -> ContainerState:
        async with self._on_container("inspect_container", (container_id,)) as c:
            return c.state(anyio.current_time())

    @asynccontextmanager
    async def events(self, project: str | None = None) -> AsyncIterator[AsyncIterator[EngineEvent]]:
        async with self._call("events", (project,)):
            self.events_opened += 1
        stream = self._follow(project, anyio.current_time(), self._counter)
        try:
            yield stream
        finally:
            await stream.aclose()

    async def _follow(
        self, project: str | None, since: float, after: int
    ) -> AsyncGenerator[EngineEvent, None]:
        """Events logged after the subscription, each when its time has come."""
        seen: set[int] = set()
        while True:
            now, changed = anyio.current_time(), self._changed
            pending = [
                e for e in self._log if e.seq not in seen and (e.seq > after or e.time > since)
            ]
            due = sorted((e for e in pending if e.time <= now), key=lambda e: (e.time, e.seq))
            for logged in due:
                seen.add(logged.seq)
                if project is None or logged.event.attributes.get(labels.PROJECT) == project:
                    yield logged.event
            if not due:
                nearest = min((e.time for e in pending), default=math.inf)
                with anyio.move_on_after(nearest - now):
                    await changed.wait()

    async def logs(
        self, container_id: str, follow: bool = False, tail: int | None = None
    ) -> AsyncIterator[LogLine]:
        async with self._on_container("logs", (container_id, follow, tail)) as c:
            lines, name = c.behaviour.logs, c.name
            if tail is not None:
                lines = lines[-tail:] if tail > 0 else ()
        for text in lines:
            yield LogLine(name, "stdout", text)

    async def exec(
        self,
        container_id: str,
        command: tuple[str, ...],
        user: str | None = None,
        workdir: str | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> ExecResult:
        async with self._on_container("exec", (container_id, command)) as c:
            if c.status is not ContainerStatus.RUNNING:
                raise ConflictError(f"Container {c.id} is not running")
            return ExecResult(0, "", "")

    async def close(self) -> None:
        self.calls.append(("close", ()))


def _of(resource_labels: Mapping[str, str], project: str) -> bool:
    return resource_labels.get(labels.PROJECT) == project


def _attached(spec: ContainerSpec) -> set[str]:
    return {n.network for n in spec.networks}
