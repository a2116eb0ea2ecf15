"""Promise 4: data is never deleted without being asked.

Data goes into two named volumes of the project and an ``external: true`` volume; then every
CLI command that is not ``down -v`` runs (``orchestra --help`` lists them) and the data is read
back after each, straight from the volumes' directories on this host (so a check costs no
container start). Only ``down -v`` removes the project's named volumes, never the external one.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, Result, Stack, orchestra_binary

pytestmark = [pytest.mark.engine, pytest.mark.slow]

SERVICE = f"image: {IMAGE}\n    command: sleep 600\n    init: true"


def compose(external: str, *, aux: bool = True, env: str = "one") -> str:
    """db and aux share ``data``; db also mounts ``logs`` and the external volume."""
    text = (
        f"services:\n  db:\n    {SERVICE}\n    environment: {{LEVEL: {env}}}\n"
        "    volumes: [data:/data, logs:/logs, ext:/ext]\n"
    )
    if aux:
        text += f"  aux:\n    {SERVICE}\n    volumes: [data:/shared]\n"
    return text + (
        f"volumes:\n  data: {{}}\n  logs: {{}}\n  ext:\n    external: true\n    name: {external}\n"
    )


@pytest.fixture
def external(docker_client: Any, project_name: str) -> Iterator[str]:
    volume = docker_client.volumes.create(f"{project_name}-external")
    yield volume.name
    with contextlib.suppress(Exception):
        docker_client.containers.get(f"{project_name}-db-1").remove(force=True)
    with contextlib.suppress(Exception):
        volume.remove(force=True)


def volume_file(client: Any, volume: str) -> str | None:
    """The marker file of ``volume`` as this host sees it; None when the volume is gone."""
    try:
        mountpoint = client.api.inspect_volume(volume)["Mountpoint"]
    except Exception:  # the SDK's NotFound: the volume was removed
        return None
    marker = Path(mountpoint) / "marker"
    return marker.read_text() if marker.exists() else "(marker missing)"


def watch_briefly(stack: Stack) -> Result:
    """``orchestra watch`` for a few seconds, then Ctrl-C."""
    process = subprocess.Popen(
        [orchestra_binary(), "-p", stack.project, "-f", str(stack.file), "watch"],
        cwd=stack.directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return Result(process.returncode, out, err)


Step = tuple[str, Callable[[], Result], int | None]  # name, action, exit code (None: any)


def commands(stack: Stack, external: str, tmp: Path) -> list[Step]:
    """Every command but ``down -v``, in an order that keeps the stack meaningful."""
    plan_file = str(tmp / "saved.json")

    def write_then(text: str, *args: str) -> Callable[[], Result]:
        return lambda: (stack.write(text), stack.run(*args))[1]

    def run(*args: str) -> Callable[[], Result]:
        return lambda: stack.run(*args)

    return [
        ("up (no-op)", run("up", "-d"), 0),
        ("up --force-recreate", run("up", "-d", "--force-recreate"), 0),
        ("config change + up", write_then(compose(external, env="two"), "up", "-d"), 0),
        ("up --scale db=0", run("up", "-d", "--scale", "db=0"), 0),
        ("up --scale db=1", run("up", "-d", "--scale", "db=1"), 0),
        (
            "aux removed + up --remove-orphans",
            write_then(compose(external, aux=False), "up", "-d", "--remove-orphans"),
            0,
        ),
        ("stop", run("stop"), 0),
        ("start", run("start"), 0),
        ("restart", run("restart"), 0),
        ("stop db", run("stop", "db"), 0),
        ("up after stop", run("up", "-d"), 0),
        ("ps", run("ps"), 0),
        ("logs", run("logs"), 0),
        ("exec", run("exec", "db", "ls", "/data"), 0),
        ("run --rm", run("run", "--rm", "db", "cat", "/data/marker"), 0),
        ("config", run("config"), 0),
        ("graph", run("graph"), 0),
        ("ls", run("ls"), 0),
        (
            "config change + plan -o",  # exit 2: changes pending
            write_then(compose(external, aux=False, env="3"), "plan", "-o", plan_file),
            2,
        ),
        ("up --plan (apply)", run("up", "--plan", plan_file), 0),
        ("build (nothing to build)", run("build"), None),
        ("pull (no registry here)", run("pull"), None),
        ("push (nothing to push)", run("push"), None),
        ("watch, then Ctrl-C", lambda: watch_briefly(stack), None),
        ("down", run("down"), 0),
        ("up after down", run("up", "-d"), 0),
        ("down --remove-orphans", run("down", "--remove-orphans"), 0),
        ("up again", run("up", "-d"), 0),
    ]


def test_no_command_but_down_v_deletes_data(
    docker_client: Any, project_name: str, tmp_path: Path, external: str
) -> None:
    stack = Stack(docker_client, project_name, tmp_path).write(compose(external))
    stack.up("-d")
    volumes = [f"{project_name}_data", f"{project_name}_logs", external]
    for volume in volumes:
        Path(docker_client.api.inspect_volume(volume)["Mountpoint"], "marker").write_text(volume)
    checked = []
    for name, command, code in commands(stack, external, tmp_path):
        result = command()
        assert code is None or result.rc == code, f"{name}:\n{result}"
        found = {volume: volume_file(docker_client, volume) for volume in volumes}
        assert found == {v: v for v in volumes}, f"after {name}: {found}\n{result}"
        checked.append(name)
        if name.startswith("up --scale db=0"):
            assert stack.name("db") not in stack.containers()
        if name.startswith("aux removed"):
            assert stack.name("aux") not in stack.containers()
        if name.startswith("up --plan"):  # the saved plan really recreated db
            assert "LEVEL=3" in stack.inspect(stack.name("db"))["Config"]["Env"]
    assert len(checked) == 28
    # The data is really the containers' data: the running db sees it.
    assert stack.ok("exec", "db", "cat", "/data/marker", "/logs/marker", "/ext/marker").out == (
        "".join(volumes)
    )
    stack.ok("down", "-v")
    assert volume_file(docker_client, f"{project_name}_data") is None
    assert volume_file(docker_client, f"{project_name}_logs") is None
    assert volume_file(docker_client, external) == external
