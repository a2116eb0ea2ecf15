"""The raw lower bound's ``up``: plain docker SDK low-level calls from K worker threads.

Networks and volumes first; then containers are created in dependency order, and each is
started as soon as it is created and its dependencies meet their conditions. The workers
take starts before creates (a start unblocks the next layer; a create only prepares), so
the engine is never idle while work is ready. Health is followed through the engine's event
stream (polling ``inspect`` was measured slower than compose). No observation, no planning:
the engine's practical limit. Imports ``docker`` (through the client passed in); must not
import ``orchestra``.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench.raw_stack import PROJECT_LABEL, SERVICE_LABEL, RawService, RawStack

__all__ = ["raw_up"]

Message = tuple[str, str, str]  # (kind, service, detail)
_START, _CREATE = 0, 1  # priorities: lower runs first


class _Workers:
    """K threads draining a priority queue of calls; results go to ``inbox`` as messages."""

    def __init__(self, count: int, inbox: queue.Queue[Message]) -> None:
        self._jobs: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._inbox = inbox
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(count)]
        for thread in self._threads:
            thread.start()

    def submit(self, priority: int, kind: str, service: str, call: Callable[[], object]) -> None:
        self._jobs.put((priority, next(self._order), (kind, service, call)))

    def _work(self) -> None:
        while True:
            _, _, job = self._jobs.get()
            if job is None:
                return
            kind, service, call = job
            try:
                self._inbox.put((kind, service, str(call() or "")))
            except Exception as exc:
                self._inbox.put(("failed", service, f"{kind}: {exc!r}"))

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put((99, next(self._order), None))


def _create_resources(api: Any, stack: RawStack) -> None:
    labels = {PROJECT_LABEL: stack.project}
    for name in stack.networks:
        # A network the engine refused to remove ("has active endpoints" with none attached)
        # is reused, as compose does; the name filter matches substrings, so compare exactly.
        if any(row["Name"] == name for row in api.networks(names=[name])):
            continue
        api.create_network(name, driver="bridge", labels=labels, check_duplicate=True)
    for name in stack.volumes:
        api.create_volume(name, labels=labels)


def _create(api: Any, stack: RawStack, service: RawService) -> str:
    host = api.create_host_config(
        binds=service.binds or None,
        mem_limit=service.mem_limit,
        cpu_shares=service.cpu_shares,
        init=service.init or None,
    )
    first, *others = service.networks
    net = api.create_networking_config({first: api.create_endpoint_config(aliases=[service.name])})
    created = api.create_container(
        service.image,
        command=service.command or None,
        name=service.container,
        labels=service.labels(stack.project),
        host_config=host,
        networking_config=net,
        healthcheck=service.healthcheck,
    )
    container_id = str(created["Id"])
    # API 1.41 attaches one network at create; the others before start.
    for other in others:
        api.connect_container_to_network(container_id, other, aliases=[service.name])
    return container_id


def _watch_health(events: Iterator[dict[str, Any]], inbox: queue.Queue[Message]) -> None:
    try:
        for event in events:
            attrs = event.get("Actor", {}).get("Attributes", {})
            service = attrs.get(SERVICE_LABEL, "")
            status = str(event.get("status", ""))
            if status == "health_status: healthy":
                inbox.put(("healthy", service, ""))
            elif status in ("health_status: unhealthy", "die"):
                inbox.put(("failed", service, status))
    except Exception:  # closing the stream from the main thread ends the loop
        return


class _Run:
    """The scheduler's state: what is created, started, healthy; what is still to start."""

    def __init__(self, api: Any, stack: RawStack, workers: int) -> None:
        self.api, self.stack = api, stack
        self.inbox: queue.Queue[Message] = queue.Queue()
        self.workers = _Workers(workers, self.inbox)
        self.created: dict[str, str] = {}
        self.started: set[str] = set()
        self.healthy: set[str] = set()
        self.starting: set[str] = set()

    def satisfied(self, name: str, condition: str) -> bool:
        if condition == "service_healthy":
            return name in self.healthy
        return name in self.started

    def ready(self, name: str) -> bool:
        service = self.stack.services[name]
        return self.satisfied(name, "service_healthy" if service.healthcheck else "")

    def create_all(self) -> None:
        # Services are listed layer by layer, so the queue creates them in dependency order.
        for name, service in self.stack.services.items():
            call = lambda s=service: _create(self.api, self.stack, s)  # noqa: E731
            self.workers.submit(_CREATE, "created", name, call)

    def start_what_can(self) -> None:
        for name, service in self.stack.services.items():
            if name in self.starting or name not in self.created:
                continue
            if all(self.satisfied(dep, cond) for dep, cond in service.depends_on.items()):
                self.starting.add(name)
                call = lambda c=self.created[name]: self.api.start(c)  # noqa: E731
                self.workers.submit(_START, "started", name, call)

    def handle(self, message: Message) -> None:
        kind, service, detail = message
        if kind == "failed":
            raise RuntimeError(f"service {service} failed: {detail}")
        if kind == "created":
            self.created[service] = detail
        elif kind == "started":
            self.started.add(service)
        elif kind == "healthy":
            self.healthy.add(service)


def _converge(run: _Run, wait: bool, deadline: float) -> None:
    names = list(run.stack.services)
    done = run.ready if wait else run.started.__contains__
    run.create_all()
    while not all(done(name) for name in names):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("raw up timed out")
        try:
            run.handle(run.inbox.get(timeout=remaining))
        except queue.Empty:
            continue
        run.start_what_can()


def raw_up(api: Any, stack: RawStack, *, workers: int, wait: bool, timeout: float) -> None:
    """Bring ``stack`` up; with ``wait``, until every healthcheck passes. RuntimeError/Timeout."""
    deadline = time.monotonic() + timeout
    _create_resources(api, stack)
    run = _Run(api, stack, workers)
    events = None
    if any(s.healthcheck for s in stack.services.values()):
        # Subscribed before the first start, so no health_status event can be missed.
        flt = {"type": "container", "label": [f"{PROJECT_LABEL}={stack.project}"]}
        events = api.events(decode=True, filters=flt)
        threading.Thread(target=_watch_health, args=(events, run.inbox), daemon=True).start()
    try:
        _converge(run, wait, deadline)
    finally:
        run.workers.close()
        if events is not None:
            events.close()
