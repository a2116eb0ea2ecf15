"""``orchestra up`` on the real engine: volumes over time, readiness order, failing jobs,
idempotence. Ordering claims are checked on the engine's own event timestamps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, SLEEPER, Stack, container_actions, event_time, exec_in, mutations

pytestmark = pytest.mark.engine


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


def volume_names(client: Any, project: str) -> set[str]:
    return {v.name for v in client.volumes.list() if v.name.startswith(project)}


def test_named_volume_data_survives_down_and_up_and_goes_with_down_v(
    stack: Stack, docker_client: Any
) -> None:
    stack.write(f"""
        services:
          app:
            {SLEEPER}
            volumes: [data:/data]
        volumes:
          data: {{}}
    """)
    stack.up()
    app = stack.name("app")
    assert exec_in(docker_client, app, "sh", "-c", "echo kept > /data/f")[0] == 0

    stack.ok("down")
    assert not stack.containers()
    assert f"{stack.project}_data" in volume_names(docker_client, stack.project)
    stack.up()
    assert exec_in(docker_client, app, "cat", "/data/f") == (0, "kept\n")

    stack.ok("down", "-v")
    assert f"{stack.project}_data" not in volume_names(docker_client, stack.project)


ANON_TEMPLATE = """
    services:
      app:
        image: {image}
        command: sleep 600
        init: true
        environment: {{GEN: "{gen}"}}
        volumes: [/scratch]
"""


def scratch_volume(stack: Stack) -> str:
    mounts = stack.inspect(stack.name("app"))["Mounts"]
    return str({m["Destination"]: m["Name"] for m in mounts}["/scratch"])


def test_anonymous_volume_removed_with_down_v(stack: Stack, docker_client: Any) -> None:
    stack.write(ANON_TEMPLATE.format(image=IMAGE, gen=1))
    stack.up()
    volume = scratch_volume(stack)
    assert docker_client.volumes.list(filters={"name": volume})
    stack.ok("down", "-v")
    assert not docker_client.volumes.list(filters={"name": volume})


def test_anonymous_volume_kept_on_recreate(stack: Stack, docker_client: Any) -> None:
    stack.write(ANON_TEMPLATE.format(image=IMAGE, gen=1))
    stack.up()
    app = stack.name("app")
    assert exec_in(docker_client, app, "sh", "-c", "echo anon > /scratch/f")[0] == 0
    first = scratch_volume(stack)

    stack.write(ANON_TEMPLATE.format(image=IMAGE, gen=2))
    stack.up()
    assert exec_in(docker_client, app, "cat", "/scratch/f") == (0, "anon\n")
    assert scratch_volume(stack) == first


def health_stack(stack: Stack) -> None:
    stack.write(f"""
        services:
          db:
            image: {IMAGE}
            command: sh -c 'sleep 1.5; touch /tmp/ready; exec sleep 600'
            init: true
            healthcheck:
              test: ["CMD", "test", "-f", "/tmp/ready"]
              interval: 500ms
              timeout: 2s
              retries: 20
          web:
            {SLEEPER}
            depends_on:
              db: {{condition: service_healthy}}
    """)


def test_dependent_starts_after_its_dependency_is_healthy(stack: Stack) -> None:
    health_stack(stack)
    result, events = stack.up_watched()
    assert result.rc == 0, str(result)
    healthy = event_time(events, "health_status: healthy", stack.name("db"))
    db_started = event_time(events, "start", stack.name("db"))
    web_started = event_time(events, "start", stack.name("web"))
    assert db_started < healthy < web_started, container_actions(events)


def test_failing_job_blocks_its_dependents(stack: Stack) -> None:
    stack.write(f"""
        services:
          migrate:
            image: {IMAGE}
            command: sh -c 'echo migrating; exit 3'
          web:
            {SLEEPER}
            depends_on:
              migrate: {{condition: service_completed_successfully}}
          other:
            {SLEEPER}
    """)
    result, events = stack.up_watched()
    assert result.rc == 1, str(result)
    assert "Traceback" not in result.err
    failure = [line for line in result.err.splitlines() if "migrate" in line and "3" in line]
    assert failure, f"no line names the job and its exit code:\n{result.err}"
    started = {name for action, name in container_actions(events) if action == "start"}
    assert stack.name("web") not in started
    assert stack.name("other") in started, "an independent service still starts"
    assert stack.inspect(stack.name("migrate"))["State"]["ExitCode"] == 3


def test_second_up_changes_nothing(stack: Stack) -> None:
    # No one-shot job here: like docker compose, orchestra starts an exited job on every up.
    stack.write(f"""
        services:
          db:
            image: {IMAGE}
            command: sleep 600
            init: true
            mem_limit: 32m
            cpu_shares: 256
            healthcheck:
              test: ["CMD", "true"]
              interval: 500ms
            volumes: [data:/data]
          web:
            {SLEEPER}
            environment: {{MODE: prod}}
            ports: ["127.0.0.1::80"]
            tmpfs: [/run/tmp]
            networks: [default, back]
            depends_on:
              db: {{condition: service_healthy}}
        networks:
          back: {{}}
        volumes:
          data: {{}}
    """)
    stack.up()
    ids = {name: c["Id"] for name, c in stack.containers().items()}

    result, events = stack.up_watched()
    assert result.rc == 0, str(result)
    assert mutations(events) == []
    assert {name: c["Id"] for name, c in stack.containers().items()} == ids
    planned = stack.run("plan")
    assert planned.rc == 0, str(planned)
    assert "nothing to do" in planned.out
