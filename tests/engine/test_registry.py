"""Registries for real: push and pull with per-layer progress against Debian's docker-registry,
an image's whole journey (build → push → remove → ``up`` pulls it back and runs it), pull
policies, ``orchestra pull``/``push``, and clear one-line errors for unreachable registries.

One registry serves the whole module (started on 127.0.0.1:<free port>, storage in a temporary
folder, stopped by pid). Every image a test makes is unique to it (a random token in a layer),
so a pull really transfers that layer; all are removed at the end of the module.
"""

from __future__ import annotations

import contextlib
import textwrap
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from registry import Registry, running_registry
from stacks import IMAGE, Stack, free_port, run_cli, sweep, wait_for

from orchestra.engine.docker import DockerEngine
from orchestra.engine.docker_registry import (
    TransferBoard,
    registry_failure,
    registry_of,
    split_reference,
)
from orchestra.errors import EngineError, ImageNotFoundError

EXAMPLE_APP = "orchestra-example/php-app:1"
APP_DIR = Path(__file__).resolve().parents[2] / "examples/php-mysql/app"


# --- pure parts: no engine -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "host", "split"),
    [
        ("busybox", "docker.io", ("busybox", "latest")),
        ("library/redis:7", "docker.io", ("library/redis", "7")),
        ("127.0.0.1:5000/orch/app:1", "127.0.0.1:5000", ("127.0.0.1:5000/orch/app", "1")),
        ("localhost/app", "localhost", ("localhost/app", "latest")),
        ("ghcr.io/o/app@sha256:ab", "ghcr.io", ("ghcr.io/o/app", "sha256:ab")),
        ("host:5000/app", "host:5000", ("host:5000/app", "latest")),
    ],
)
def test_references_name_their_registry(ref: str, host: str, split: tuple[str, str]) -> None:
    assert registry_of(ref) == host
    assert split_reference(ref) == split


def test_transfer_board_reports_finished_layers_and_throttled_byte_summaries() -> None:
    now = [0.0]
    board = TransferBoard(clock=lambda: now[0], interval=0.5)

    def moving(layer: str, current: int, total: int) -> dict[str, Any]:
        detail = {"current": current, "total": total}
        return {"status": "Downloading", "id": layer, "progressDetail": detail}

    assert board.feed({"status": "Pulling from orch/app", "id": "1"}) == ["Pulling from orch/app"]
    assert board.feed({"status": "Pulling fs layer", "id": "a", "progressDetail": {}}) == []
    assert board.feed({"status": "Already exists", "id": "b", "progressDetail": {}}) == [
        "b: Already exists"
    ]
    assert board.feed(moving("a", 1_000_000, 4_000_000)) == [
        "Downloading 1/2 layers, 1.0 MB/4.0 MB"
    ]
    now[0] = 0.2
    assert board.feed(moving("a", 2_000_000, 4_000_000)) == [], "throttled"
    now[0] = 0.8
    assert board.feed(moving("a", 3_500_000, 4_000_000)) == [
        "Downloading 1/2 layers, 3.5 MB/4.0 MB"
    ]
    assert board.feed({"status": "Pull complete", "id": "a", "progressDetail": {}}) == [
        "a: Pull complete"
    ]
    assert board.summary("Downloaded") == "Downloaded 2/2 layers, 4.0 MB/4.0 MB"
    assert board.feed({"progressDetail": {}, "aux": {"Tag": "1"}}) == []


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        ('Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused',
         "registry 127.0.0.1:1 refused the connection"),
        ("dial tcp: lookup nope.invalid on 10.0.0.53:53: no such host",
         "registry nope.invalid does not resolve"),
        ("manifest for x not found: manifest unknown", "does not have it"),
        ("something\nunexpected", "answered: something unexpected"),
    ],
)  # fmt: skip
def test_registry_failures_are_one_line_naming_image_and_registry(text: str, meaning: str) -> None:
    ref = "127.0.0.1:1/x:1" if "127.0.0.1" in text else "nope.invalid/x:1"
    message = registry_failure("pull", ref, text)
    assert message.startswith(f"cannot pull image {ref}: ")
    assert meaning in message and "\n" not in message


# --- the real registry -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """One registry for the module; every image naming it is removed afterwards."""
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running
        for image in docker_client.images.list():
            for tag in image.tags:
                if tag.startswith(f"{running.host}/"):
                    with contextlib.suppress(Exception):
                        docker_client.images.remove(tag, force=True)


def unique_image(client: Any, workdir: Path, tag: str) -> str:
    """Build a busybox image with a layer of its own (a token and 300 kB of noise); its id."""
    context = workdir / f"ctx-{uuid.uuid4().hex[:8]}"
    context.mkdir(parents=True)
    (context / "Dockerfile").write_text(
        f"FROM {IMAGE}\nRUN echo {uuid.uuid4().hex} > /token"
        " && head -c 300000 /dev/urandom > /noise\n"
        'CMD ["sleep", "300"]\n'
    )
    image, _ = client.images.build(path=str(context), tag=tag, rm=True)
    return str(image.id)


def local_id(client: Any, ref: str) -> str | None:
    try:
        return str(client.images.get(ref).id)
    except Exception:
        return None


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Iterator[Stack]:
    """A stack in tmp_path; images labelled with its project are removed afterwards."""
    yield Stack(docker_client, project_name, tmp_path)
    sweep(docker_client, project_name)  # containers first: an image in use cannot be removed
    flt = {"label": f"com.docker.compose.project={project_name}"}
    for image in docker_client.images.list(filters=flt):
        with contextlib.suppress(Exception):
            docker_client.images.remove(image.id, force=True)


@pytest.fixture
def made(docker_client: Any) -> Iterator[list[str]]:
    """Ids of images a test made that may end up untagged; removed afterwards."""
    ids: list[str] = []
    yield ids
    for image_id in ids:
        with contextlib.suppress(Exception):
            docker_client.images.remove(image_id, force=True)


def sdk_push(client: Any, ref: str) -> None:
    """Push with the SDK (set-up, not under test); the SDK reports failures only in the text."""
    repository, tag = split_reference(ref)
    output = client.images.push(repository, tag=tag)
    assert '"error"' not in output, output


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


@pytest.mark.engine
@pytest.mark.anyio
async def test_push_and_pull_back_report_progress_per_layer(
    engine: DockerEngine, registry: Registry, docker_client: Any, tmp_path: Path
) -> None:
    ref = registry.ref(f"h9/layers-{uuid.uuid4().hex[:8]}:1")
    built = unique_image(docker_client, tmp_path, ref)
    pushed: list[str] = []
    await engine.push_image(ref, pushed.append)
    assert any(line.endswith(": Pushed") for line in pushed), pushed
    assert registry.tags(split_reference(ref)[0].split("/", 1)[1]) == ["1"]
    docker_client.images.remove(ref)
    assert await engine.image_id(ref) is None
    pulled: list[str] = []
    assert await engine.pull_image(ref, pulled.append) == built
    assert any(line.endswith(": Pull complete") for line in pulled), pulled
    assert any(line.endswith(": Already exists") for line in pulled), "busybox's layer is kept"


@pytest.mark.engine
@pytest.mark.anyio
async def test_push_errors_name_the_image_and_the_registry(
    engine: DockerEngine, registry: Registry, docker_client: Any
) -> None:
    missing = registry.ref("h9/never-built:1")
    with pytest.raises(ImageNotFoundError, match="h9/never-built:1: no local image"):
        await engine.push_image(missing)
    unreachable = f"127.0.0.1:1/h9/{uuid.uuid4().hex[:8]}:1"
    docker_client.images.get(IMAGE).tag(unreachable)
    try:
        with pytest.raises(EngineError) as caught:
            await engine.push_image(unreachable)
    finally:
        docker_client.images.remove(unreachable)
    assert str(caught.value).startswith(f"cannot push image {unreachable}: registry 127.0.0.1:1 ")
    assert "refused the connection" in str(caught.value)


# --- the CLI: orchestra build / push / pull / up ---------------------------------------------


@pytest.mark.engine
def test_whole_journey_build_push_remove_then_up_pulls_it_back(
    stack: Stack, registry: Registry, docker_client: Any
) -> None:
    ref = registry.ref(f"orch/app-{uuid.uuid4().hex[:8]}:1")
    token = uuid.uuid4().hex
    write(
        stack.directory / "app/Dockerfile",
        f"""
        FROM {IMAGE}
        RUN echo {token} > /token && head -c 300000 /dev/urandom > /noise
        CMD ["sleep", "300"]
        """,
    )
    stack.write(f"services:\n  app:\n    build: ./app\n    image: {ref}\n    init: true\n")
    stack.ok("build")
    built = local_id(docker_client, ref)
    pushed = stack.ok("push")
    assert f"Image {ref}  Pushed" in pushed.err and ": Pushed" in pushed.err, pushed.err
    docker_client.images.remove(ref)
    assert local_id(docker_client, ref) is None
    # Elsewhere: a compose file that only names the image; up must pull it.
    elsewhere = Stack(docker_client, stack.project, stack.directory, file_name="deploy.yaml")
    elsewhere.write(f"services:\n  app:\n    image: {ref}\n    init: true\n")
    result = elsewhere.up("--wait")
    assert f"Image {ref}  Pulling (not present)" in result.err
    assert ": Pull complete" in result.err, "progress per layer"
    assert local_id(docker_client, ref) == built
    code, out = docker_client.containers.get(stack.name("app")).exec_run(["cat", "/token"])
    assert (code, out.decode().strip()) == (0, token)


@pytest.mark.engine
def test_example_app_image_goes_to_the_registry_and_runs_from_it(
    stack: Stack, registry: Registry, docker_client: Any
) -> None:
    if local_id(docker_client, EXAMPLE_APP) is None:
        # A fresh machine has only the Debian base (make test's example-base): build the app.
        compose = APP_DIR.parent / "compose.yaml"
        env_file = str(APP_DIR.parent / ".env.example")  # .env is not in a fresh clone
        args = ["-f", str(compose), "--env-file", env_file, "build", "app"]
        built = run_cli(args, cwd=APP_DIR.parent, timeout=600)
        assert built.rc == 0, built
    ref = registry.ref(f"orch/php-app-{uuid.uuid4().hex[:8]}:1")
    docker_client.images.get(EXAMPLE_APP).tag(ref)
    stack.write(f"services:\n  app:\n    build: {APP_DIR}\n    image: {ref}\n")
    stack.ok("push", "app")
    docker_client.images.remove(ref)
    port = free_port()
    deploy = Stack(docker_client, stack.project, stack.directory, file_name="deploy.yaml")
    deploy.write(
        f"""
        services:
          app:
            image: {ref}
            ports: ["127.0.0.1:{port}:8080"]
            healthcheck:
              test: ["CMD", "php", "-r", "exit(@fsockopen('127.0.0.1', 8080) ? 0 : 1);"]
              interval: 1s
              retries: 20
        """
    )
    assert "Pulling" in deploy.up("--wait").err
    # No database here: the PHP app answers, and says so.
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
    assert answer.value.code == 503
    assert answer.value.read().decode().startswith("error:")


@pytest.mark.engine
def test_pull_policies(
    stack: Stack, registry: Registry, docker_client: Any, made: list[str]
) -> None:
    ref = registry.ref(f"h9/policy-{uuid.uuid4().hex[:8]}:1")
    remote = unique_image(docker_client, stack.directory, ref)
    sdk_push(docker_client, ref)
    local = unique_image(docker_client, stack.directory, ref)  # the tag now names another image
    made.extend([remote, local])
    service = f"services:\n  app:\n    image: {ref}\n    init: true\n"

    stack.write(service)  # missing (the default): the local image is used as it is
    assert "Pulling" not in stack.up().err
    assert stack.inspect(stack.name("app"))["Image"] == local

    stack.write(service + "    pull_policy: always\n")
    result = stack.up()
    assert f"Image {ref}  Pulling (pull policy always)" in result.err
    assert stack.inspect(stack.name("app"))["Image"] == remote

    stack.ok("down")
    docker_client.images.remove(ref)
    stack.write(service + "    pull_policy: never\n")
    refused = stack.run("up")
    assert refused.rc == 1 and "never" in refused.err and ref in refused.err, str(refused)
    assert stack.containers() == {}


@pytest.mark.engine
def test_pull_policy_build_rebuilds_a_present_image(stack: Stack, docker_client: Any) -> None:
    write(stack.directory / "app/Dockerfile", f"FROM {IMAGE}\nRUN touch /built\n")
    image = f"orchestra-test/h9-policy-build:{stack.project}"
    docker_client.images.get(IMAGE).tag(image)
    try:
        stack.write(
            f"services:\n  app:\n    build: ./app\n    image: {image}\n    pull_policy: build\n"
            "    command: sleep 300\n    init: true\n"
        )
        result = stack.up()
        assert f"Image {image}  Building (pull policy build)" in result.err
        code, _ = docker_client.containers.get(stack.name("app")).exec_run(["test", "-f", "/built"])
        assert code == 0
    finally:
        stack.ok("down")
        docker_client.images.remove(image, force=True)


@pytest.mark.engine
def test_orchestra_pull(stack: Stack, registry: Registry, docker_client: Any) -> None:
    ref = registry.ref(f"h9/pull-{uuid.uuid4().hex[:8]}:1")
    built = unique_image(docker_client, stack.directory, ref)
    sdk_push(docker_client, ref)
    docker_client.images.remove(ref)
    unbuilt = registry.ref(f"h9/only-buildable-{uuid.uuid4().hex[:8]}:1")
    write(stack.directory / "tool/Dockerfile", f"FROM {IMAGE}\n")
    stack.write(
        f"""
        services:
          app:
            image: {ref}
          tool:
            build: ./tool
            image: {unbuilt}
          local:
            build: ./tool
        """
    )
    result = stack.run("pull", "--progress", "plain")
    assert result.rc == 0, str(result)
    assert f"Image {ref}  Pulled" in result.err and ": Pull complete" in result.err
    assert local_id(docker_client, ref) == built
    # The registry does not have tool's image, but tool can build it: a warning, not a failure.
    assert "warning: cannot pull image" in result.err and "orchestra build tool" in result.err
    assert "local: skipped (no image to pull)" in result.err


@pytest.mark.engine
@pytest.mark.parametrize(
    ("ref", "meaning"),
    [
        ("127.0.0.1:1/h9/x:1", "registry 127.0.0.1:1 refused the connection"),
        ("nonexistent.invalid/h9/x:1", "registry nonexistent.invalid does not resolve"),
    ],
)
def test_unreachable_registries_are_one_clear_line(stack: Stack, ref: str, meaning: str) -> None:
    stack.write(f"services:\n  app:\n    image: {ref}\n")
    for args in (("pull", "-q"), ("up", "--progress", "quiet")):
        result = stack.run(*args)
        assert result.rc == 1, str(result)
        if args[0] == "pull":
            assert len(result.err.splitlines()) == 1, result.err
        errors = [line for line in result.err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and ref in errors[0] and meaning in errors[0], result.err
        assert result.err.rstrip().endswith(errors[0]), "nothing after the one error line"
        assert "Traceback" not in result.err
    ignored = stack.run("pull", "--ignore-pull-failures")
    assert ignored.rc == 0 and f"warning: cannot pull image {ref}" in ignored.err
    assert stack.containers() == {}


@pytest.mark.engine
def test_push_to_an_unreachable_registry_fails_clearly(stack: Stack, docker_client: Any) -> None:
    ref = f"127.0.0.1:1/h9/push-{uuid.uuid4().hex[:8]}:1"
    docker_client.images.get(IMAGE).tag(ref)
    try:
        write(stack.directory / "app/Dockerfile", f"FROM {IMAGE}\n")
        stack.write(f"services:\n  app:\n    build: ./app\n    image: {ref}\n")
        failed = stack.run("push", "-q")
        assert failed.rc == 1 and "Traceback" not in failed.err, str(failed)
        assert failed.err.strip() == (
            f"error: cannot push image {ref}: registry 127.0.0.1:1 refused the connection "
            f'(Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused)'
        )
        assert stack.run("push", "-q", "--ignore-push-failures").rc == 0
    finally:
        docker_client.images.remove(ref)


@pytest.mark.engine
def test_build_pull_option_refreshes_the_base_from_the_registry(
    stack: Stack, registry: Registry, docker_client: Any, made: list[str]
) -> None:
    base = registry.ref(f"h9/base-{uuid.uuid4().hex[:8]}:1")
    old = unique_image(docker_client, stack.directory, base)
    made.extend([old, unique_image(docker_client, stack.directory, base)])
    sdk_push(docker_client, base)  # the registry has the newer base
    docker_client.images.get(old).tag(base)  # locally the tag names the old one again
    write(stack.directory / "app/Dockerfile", f"FROM {base}\nRUN cp /token /base-token\n")
    image = f"{stack.project}-app"

    def base_token() -> str:
        out: bytes = docker_client.containers.run(image, ["cat", "/base-token"], remove=True)
        return out.decode().strip()

    def token_of(ref: str) -> str:
        out: bytes = docker_client.containers.run(ref, ["cat", "/token"], remove=True)
        return out.decode().strip()

    old_token = token_of(base)
    stack.write("services:\n  app:\n    build: ./app\n")
    stack.ok("build")
    assert base_token() == old_token, "without pull: the local base"
    stack.write("services:\n  app:\n    build:\n      context: ./app\n      pull: true\n")
    stack.ok("build")
    assert base_token() != old_token, "with pull: true the registry's newer base"
    assert wait_for(lambda: local_id(docker_client, base) != old)
    docker_client.images.remove(image, force=True)
