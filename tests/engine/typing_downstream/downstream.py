"""A downstream user's code: type-checked with ``mypy --strict`` as an outside project would.

Never run, only checked (test_downstream_types.py): every public name, method and return type it
touches must be visible and precise to a type checker through orchestra's ``py.typed``.
"""

from __future__ import annotations

from contextlib import aclosing
from pathlib import Path

import anyio
import pytest

import orchestra
from orchestra import (
    ContainerInfo,
    ContainerStatus,
    ExecResult,
    HealthStatus,
    Interrupted,
    LogLine,
    OpEvent,
    OrchestraError,
    Phase,
    Plan,
    Project,
    ProjectLockedError,
    PublishedPort,
    SpecError,
    Stack,
    SyncStack,
)
from orchestra.pytest_plugin import StackFactory


async def visit_count(compose: Path) -> int:
    project: Project = orchestra.load_project(
        [compose], project_name="downstream", env={"APP_PORT": "8081"}, profiles=["debug"]
    )
    async with Stack(project, keep=False) as stack:
        plan: Plan = await stack.up(["app"], wait=True, timeout=60.0)
        assert plan.is_empty or plan.render()
        host, port = await stack.port("app", 8080)
        url: str = f"http://{host}:{port + 0}/"
        result: ExecResult = await stack.exec("db", ["mariadb", "-e", "SELECT 1"])
        code: int = result.exit_code
        infos: list[ContainerInfo] = await stack.ps(["app"])
        healthy = [i for i in infos if i.health is HealthStatus.HEALTHY]
        running: bool = infos[0].state is ContainerStatus.RUNNING and infos[0].running
        ports: tuple[PublishedPort, ...] = infos[0].ports
        memory: int | str | None = infos[0].limits.get("memory")
        await stack.wait_healthy("db", timeout=30.0)
        async with aclosing(stack.logs("app", follow=True)) as lines:
            async for line in lines:
                seen: LogLine = line
                print(seen.container, seen.stream, seen.text)
                break
        print(url, code, healthy, running, ports, memory)
        return len(infos)


async def controlled(compose: Path) -> list[str]:
    done: list[str] = []

    def show(event: OpEvent) -> None:
        if event.phase is Phase.DONE:
            done.append(f"{event.target} {event.elapsed:.1f}s")

    cancel = anyio.Event()
    stack = Stack(compose, client="downstream", on_lock_wait=lambda holder: print(holder))
    preview: Plan = await stack.up(dry_run=True)
    seen: list[Plan] = []
    try:
        await stack.up(
            ["app"],
            no_wait=True,
            progress=show,
            cancel=cancel,
            scale={"app": 2},
            on_plan=seen.append,
        )
    except (ProjectLockedError, Interrupted) as error:
        done.append(str(error))
    quick: list[ContainerInfo] = await stack.ps("app", include_stopped=False, limits=False)
    async with aclosing(stack.logs(["app", "db"], follow=True)) as lines:
        async for line in lines:
            done.append(line.text)
            break
    removed: Plan = await Stack.by_name(stack.name).down(volumes=True, no_wait=True)
    return [*done, preview.render(), removed.render(), str(len(quick) + len(seen))]


def blocking(compose: Path) -> str:
    try:
        with SyncStack(compose, env_files=[compose.with_name(".env")]) as stack:
            lines: list[LogLine] = stack.logs("app", tail=10)
            host, port = stack.port("app", 8080)
            stack.down(volumes=False)
            stack.up()
            return f"{host}:{port} after {len(lines)} lines"
    except SpecError as error:
        return "\n".join(str(problem) for problem in error.problems)
    except OrchestraError as error:
        return str(error)


@pytest.fixture
def app(orchestra_stack: StackFactory) -> SyncStack:
    return orchestra_stack("compose.yaml", services=["app"], scope="session")


def test_visits(app: SyncStack) -> None:
    assert app.exec("app", "true").exit_code == 0


if __name__ == "__main__":
    print(anyio.run(visit_count, Path("compose.yaml")), blocking(Path("compose.yaml")))
