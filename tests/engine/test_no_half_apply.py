"""Promise 1: bad input never half-applies. Every error that can be found before acting is
reported before the first engine mutation: the engine's event stream shows nothing of the
project (no container, network or volume event) for the attempt.

Cases: every file of the bad-input corpus, and the problems only the engine's state reveals (a
host port another container publishes, a container name taken outside the project, a missing
bind source the engine would refuse, a missing build context, an image that cannot be had).
``docker compose`` fails on the same files too, but after creating the network and the earlier
containers; ``test_the_oracle_half_applies_where_orchestra_refuses`` records that.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, Result, Stack, free_port, run_cli

pytestmark = pytest.mark.engine

ORACLE = Path(__file__).resolve().parents[2] / ".venv/lib/python3.11/site-packages/compose"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
INVALID_CASES = sorted(p for p in (FIXTURES / "invalid").iterdir() if p.is_dir())
QUIET = f"image: {IMAGE}\n    command: sleep 600\n    init: true"


def project_events(client: Any, prefix: str, since: float) -> list[tuple[str, str, str]]:
    """(type, action, name) of every engine event since ``since`` whose resource is named after
    or labelled with a project starting with ``prefix`` (network and volume events carry no
    labels, so names are what identifies them)."""
    until = time.time() + 0.3
    time.sleep(0.4)
    stream = client.events(since=f"{since:.6f}", until=f"{until:.6f}", decode=True)
    try:
        raw = list(stream)
    finally:
        stream.close()
    found = []
    for event in raw:
        actor = event.get("Actor") or {}
        attributes = actor.get("Attributes") or {}
        names = (
            str(actor.get("ID", "")),
            str(attributes.get("name", "")),
            str(attributes.get("com.docker.compose.project", "")),
        )
        if any(name.startswith(prefix) for name in names):
            found.append((str(event.get("Type")), str(event.get("Action")), names[1] or names[0]))
    return found


def attempt(stack: Stack, *args: str) -> tuple[Result, list[tuple[str, str, str]]]:
    since = time.time()
    result = stack.run("up", "-d", "--progress", "plain", *args)
    return result, project_events(stack.client, stack.project, since)


@pytest.fixture(scope="module")
def foreign(docker_client: Any) -> Iterator[dict[str, Any]]:
    """A running unlabelled container publishing a host port, and one holding a name (made
    once for the module: container starts are slow on a loaded engine)."""
    prefix = f"xot-foreign-{uuid.uuid4().hex[:6]}"
    port = free_port()
    made = {
        "port": port,
        "publisher": docker_client.containers.run(
            IMAGE,
            ["sleep", "900"],
            name=f"{prefix}-publisher",
            ports={"80/tcp": ("127.0.0.1", port)},
            init=True,
            detach=True,
        ),
        "holder": docker_client.containers.run(
            IMAGE, ["sleep", "900"], name=f"{prefix}-holder", init=True, detach=True
        ),
    }
    yield made
    for key in ("publisher", "holder"):
        with contextlib.suppress(Exception):
            made[key].remove(force=True)


def cases(
    project: str, foreign: dict[str, Any], directory: Path
) -> dict[str, tuple[str, list[str]]]:
    """Case name → (compose file, texts the error must contain)."""
    port, publisher, holder = foreign["port"], foreign["publisher"].name, foreign["holder"].name
    first = f"services:\n  first:\n    {QUIET}\n"
    return {
        "port_of_a_foreign_container": (
            first + f"  web:\n    {QUIET}\n    ports: ['127.0.0.1:{port}:80']\n",
            ["services.web.ports", f"host port {port}/tcp", publisher],
        ),
        "port_wanted_twice": (
            first
            + f"  a:\n    {QUIET}\n    ports: ['{port + 1}:80']\n"
            + f"  b:\n    {QUIET}\n    ports: ['127.0.0.1:{port + 1}:81']\n",
            ["services.b.ports", f"also published by {project}-a-1"],
        ),
        "scaled_fixed_port": (
            first + f"  web:\n    {QUIET}\n    scale: 2\n    ports: ['{port + 2}:80']\n",
            ["services.web.ports", f"also published by {project}-web-1"],
        ),
        "container_name_taken": (
            first + f"  web:\n    {QUIET}\n    container_name: {holder}\n",
            ["services.web.container_name", "a container of no compose project"],
        ),
        "strict_bind_source_missing": (
            first
            + f"  web:\n    {QUIET}\n    volumes:\n      - type: bind\n"
            + f"        source: {directory}/absent\n        target: /data\n"
            + "        bind: {create_host_path: false}\n",
            ["services.web.volumes", f"{directory}/absent"],
        ),
        "build_context_missing": (
            first + "  web:\n    build: ./no-such-context\n",
            ["services.web.build.context", "does not exist"],
        ),
        "all_at_once": (
            first
            + f"  web:\n    {QUIET}\n    ports: ['127.0.0.1:{port}:80']\n"
            + f"    container_name: {holder}\n",
            ["2 problems found before acting", "nothing was changed"],
        ),
    }


CASE_NAMES = [
    "port_of_a_foreign_container",
    "port_wanted_twice",
    "scaled_fixed_port",
    "container_name_taken",
    "strict_bind_source_missing",
    "build_context_missing",
    "all_at_once",
]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_problems_the_engine_reveals_are_refused_before_any_event(
    case: str, docker_client: Any, project_name: str, tmp_path: Path, foreign: dict[str, Any]
) -> None:
    text, expected = cases(project_name, foreign, tmp_path)[case]
    stack = Stack(docker_client, project_name, tmp_path).write(text)
    result, events = attempt(stack)
    assert result.rc == 2, str(result)
    assert "Traceback" not in result.err
    for fragment in expected:
        assert fragment in result.err, f"{fragment!r} missing:\n{result}"
    assert "compose.yaml" in result.err
    assert events == [], events
    assert not (tmp_path / "absent").exists()


def test_a_port_another_running_service_of_ours_holds_is_refused(
    docker_client: Any, project_name: str, tmp_path: Path
) -> None:
    port = free_port()
    stack = Stack(docker_client, project_name, tmp_path)
    stack.write(f"services:\n  api:\n    {QUIET}\n    ports: ['{port}:80']\n").up("-d")
    stack.write(
        f"services:\n  api:\n    {QUIET}\n    ports: ['{port}:80']\n"
        f"  web:\n    {QUIET}\n    ports: ['127.0.0.1:{port}:8080']\n"
    )
    result, events = attempt(stack)
    assert result.rc == 2, str(result)
    assert f"already published by container {project_name}-api-1" in result.err
    assert events == [], events
    # A change of the port's own service frees it first: that is no conflict.
    stack.write(f"services:\n  api:\n    {QUIET}\n    ports: ['127.0.0.1:{port}:81']\n")
    stack.up("-d", "--remove-orphans")


@pytest.mark.parametrize(
    ("policy", "code", "fragment"),
    [("never", 1, "pull policy is never"), ("missing", 1, "cannot pull image")],
)
def test_an_image_that_cannot_be_had_changes_nothing(
    policy: str, code: int, fragment: str, docker_client: Any, project_name: str, tmp_path: Path
) -> None:
    missing = f"orchestra-test/absent-{project_name}:1"
    stack = Stack(docker_client, project_name, tmp_path).write(
        f"services:\n  first:\n    {QUIET}\n"
        f"  web:\n    image: {missing}\n    pull_policy: {policy}\n"
    )
    result, events = attempt(stack)
    assert result.rc == code, str(result)
    assert fragment in result.err and "Traceback" not in result.err
    assert events == [], events


@pytest.mark.slow
def test_every_file_of_the_bad_input_corpus_changes_nothing(
    docker_client: Any, project_name: str
) -> None:
    def attempt_case(numbered: tuple[int, Path]) -> tuple[str, Result]:
        number, case = numbered
        args = ["-p", f"{project_name}-{number}", "-f", str(case / "compose.yaml")]
        return case.name, run_cli([*args, "up", "-d", "--progress", "plain"], case, timeout=120)

    since = time.time()
    # Four at a time: each is one CLI start, slow on a loaded machine, and they share nothing.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(attempt_case, enumerate(INVALID_CASES)))
    for name, result in results:
        assert result.rc == 2, f"{name}: {result}"
        assert "Traceback" not in result.err, name
    assert len(results) == len(INVALID_CASES) >= 60
    assert project_events(docker_client, project_name, since) == []


def test_the_oracle_half_applies_where_orchestra_refuses(
    docker_client: Any, project_name: str, tmp_path: Path, foreign: dict[str, Any]
) -> None:
    """The reference point: ``docker compose up -d`` on the all-at-once case fails too, but
    only after creating the project's network and its first container."""
    text, _ = cases(project_name, foreign, tmp_path)["all_at_once"]
    Stack(docker_client, project_name, tmp_path).write(text)
    since = time.time()
    compose = [str(ORACLE / "docker-compose"), "-p", project_name, "-f", "compose.yaml"]
    done = subprocess.run([*compose, "up", "-d"], cwd=tmp_path, capture_output=True, check=False)
    events = project_events(docker_client, project_name, since)
    subprocess.run([*compose, "down", "-v"], cwd=tmp_path, capture_output=True, check=False)
    assert done.returncode != 0
    assert ("network", "create", f"{project_name}_default") in events, events
