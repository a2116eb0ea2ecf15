"""``build:`` against the real engine: each option's effect on the built image, the tag, progress
lines, parallel builds, and a failed build that leaves a running stack untouched.

Images are built ``FROM orchestra-test/busybox:1`` (no registry needed) and tagged with this
test's project name; a fixture removes them afterwards.
"""

from __future__ import annotations

import contextlib
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, Stack, exec_in, mutations, sweep

pytestmark = [pytest.mark.engine, pytest.mark.timeout(300)]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Iterator[Stack]:
    """A stack in tmp_path; images labelled with its project are removed afterwards."""
    yield Stack(docker_client, project_name, tmp_path)
    sweep(docker_client, project_name)  # containers first: an image in use cannot be removed
    flt = {"label": f"com.docker.compose.project={project_name}"}
    for image in docker_client.images.list(filters=flt):
        with contextlib.suppress(Exception):
            docker_client.images.remove(image.id, force=True)


def file_in_image(client: Any, image: str, path: str) -> str:
    """The content of ``path`` in ``image`` (a throw-away container reads it)."""
    output: bytes = client.containers.run(image, ["cat", path], remove=True)
    return output.decode().strip()


def test_long_form_options_take_effect(stack: Stack, docker_client: Any) -> None:
    write(
        stack.directory / "src/Containerfile",
        f"""
        FROM {IMAGE} AS base
        ARG FLAVOUR=vanilla
        RUN echo "$FLAVOUR" > /flavour
        RUN wc -l < /proc/net/route > /routes
        FROM base AS unwanted
        RUN echo unwanted > /stage
        FROM base AS chosen
        RUN echo chosen > /stage
        FROM chosen AS last
        RUN echo last > /stage
        """,
    )
    stack.write(
        """
        services:
          app:
            build:
              context: ./src
              dockerfile: Containerfile
              args:
                FLAVOUR: pistachio
              target: chosen
              labels:
                org.example.team: tests
              network: none
            image: orchestra-test/h9-options:${TAG}
        """
    )
    tag = stack.project
    result = stack.run("build", env={"TAG": tag})
    assert result.rc == 0, str(result)
    image = f"orchestra-test/h9-options:{tag}"
    assert file_in_image(docker_client, image, "/flavour") == "pistachio"
    assert file_in_image(docker_client, image, "/stage") == "chosen"
    # network: none leaves the build step only the route table's header line.
    assert file_in_image(docker_client, image, "/routes") == "1"
    labels = docker_client.images.get(image).labels
    assert labels["org.example.team"] == "tests"
    assert labels["com.docker.compose.project"] == stack.project
    assert labels["com.docker.compose.service"] == "app"
    assert "Step 3/" in result.err, "step lines are the build's progress"


def test_short_form_tags_project_service_and_network_default_has_routes(
    stack: Stack, docker_client: Any
) -> None:
    write(stack.directory / "app/Dockerfile", f"FROM {IMAGE}\nRUN wc -l < /proc/net/route > /r\n")
    stack.write("services:\n  app:\n    build: ./app\n")
    stack.ok("build")
    image = f"{stack.project}-app"
    assert int(file_in_image(docker_client, image, "/r")) > 1


def test_no_cache_rebuilds_every_step(stack: Stack, docker_client: Any) -> None:
    write(
        stack.directory / "app/Dockerfile",
        f"FROM {IMAGE}\nRUN cat /proc/sys/kernel/random/uuid > /id\n",
    )
    stack.write("services:\n  app:\n    build: ./app\n")
    image = f"{stack.project}-app"
    stack.ok("build")
    first = file_in_image(docker_client, image, "/id")
    stack.ok("build")
    assert file_in_image(docker_client, image, "/id") == first, "the cache is used by default"
    stack.ok("build", "--no-cache")
    second = file_in_image(docker_client, image, "/id")
    assert second != first
    stack.write("services:\n  app:\n    build:\n      context: ./app\n      no_cache: true\n")
    stack.ok("build")
    assert file_in_image(docker_client, image, "/id") not in (first, second)


def test_build_pull_true_tries_to_refresh_the_base(stack: Stack) -> None:
    # The base exists only locally; with pull: true the builder must ask a registry for it.
    write(stack.directory / "app/Dockerfile", "FROM 127.0.0.1:1/h9/base:1\n")
    stack.write("services:\n  app:\n    build:\n      context: ./app\n      pull: true\n")
    result = stack.run("build")
    assert result.rc == 1, str(result)
    assert "127.0.0.1:1" in result.err
    assert "Traceback" not in result.err


def test_up_builds_a_missing_image_and_never_pulls_it(stack: Stack, docker_client: Any) -> None:
    # The registry named in image: cannot be reached: a pull attempt would fail the up.
    write(stack.directory / "app/Dockerfile", f'FROM {IMAGE}\nCMD ["sleep", "300"]\n')
    image = f"127.0.0.1:1/h9/{stack.project}:1"
    stack.write(f"services:\n  app:\n    build: ./app\n    image: {image}\n    init: true\n")
    result = stack.up()
    assert "Building" in result.err and "Pulling" not in result.err
    assert stack.running() == {stack.name("app")}
    assert docker_client.images.get(image).labels["com.docker.compose.service"] == "app"


def test_two_builds_overlap_in_time(stack: Stack, docker_client: Any) -> None:
    for name in ("one", "two"):
        write(
            stack.directory / f"{name}/Dockerfile",
            f"""
            FROM {IMAGE}
            RUN echo {uuid.uuid4().hex} > /token && date +%s > /began
            RUN sleep 3 && date +%s > /ended
            """,
        )
    stack.write("services:\n  one:\n    build: ./one\n  two:\n    build: ./two\n")
    stack.ok("build")
    spans = []
    for name in ("one", "two"):
        image = f"{stack.project}-{name}"
        began = int(file_in_image(docker_client, image, "/began"))
        ended = int(file_in_image(docker_client, image, "/ended"))
        spans.append((began, ended))
    (a_began, a_ended), (b_began, b_ended) = spans
    # One after the other, the second would begin no earlier than the first ended.
    assert a_began < b_ended and b_began < a_ended, f"no overlap: {spans}"


def test_failed_build_changes_no_container(stack: Stack, docker_client: Any) -> None:
    dockerfile = stack.directory / "app/Dockerfile"
    write(dockerfile, f'FROM {IMAGE}\nCMD ["sleep", "300"]\n')
    stack.write(
        f"""
        services:
          app:
            build: ./app
            init: true
          side:
            image: {IMAGE}
            command: sleep 300
            init: true
            depends_on: [app]
        """
    )
    stack.up()
    before = {name: c["Id"] for name, c in stack.containers().items()}
    write(
        dockerfile,
        f"""
        FROM {IMAGE}
        RUN echo preparing
        RUN echo broken-marker-1 && echo broken-marker-2 && exit 3
        CMD ["sleep", "300"]
        """,
    )
    since = time.time()
    result = stack.run("up", "--build", "--progress", "plain")
    events = stack.events_since(since)
    assert result.rc == 1, str(result)
    error = result.err[result.err.index("error:") :]
    assert "Step 3/" in error and "exit 3" in error, error
    assert "broken-marker-2" in error, "the failing step's last output is shown"
    assert "Traceback" not in result.err
    assert [e for e in events if e.get("Type") == "container"] == [], mutations(events)
    after = {name: c["Id"] for name, c in stack.containers().items()}
    assert after == before
    assert stack.running() == set(before)
    code, _ = exec_in(docker_client, stack.name("app"), "true")
    assert code == 0
