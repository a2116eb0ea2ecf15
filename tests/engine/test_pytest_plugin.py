"""The pytest plugin, run the way users run it: inner pytest sessions in a subprocess (pytester).

Every inner run gets a unique project-name prefix (ini ``orchestra_project_prefix``); afterwards
the engine must hold nothing labelled with a project of that prefix, which is how "torn down"
is checked. Inner tests append ``TAG NAME`` lines to ``names.txt`` to tell which stacks they got.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytest_plugins = ("pytester",)
pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.timeout(600)]

PROJECT_LABEL = "com.docker.compose.project"
COMPOSE = """
services:
  web:
    image: orchestra-test/busybox:1
    command: sh -c "echo marker-from-web; exec sleep 600"
    stop_signal: SIGKILL
"""
BROKEN = """
services:
  setup:
    image: orchestra-test/busybox:1
    command: sh -c "echo broken-says-bye; exit 3"
  web:
    image: orchestra-test/busybox:1
    command: sleep 600
    stop_signal: SIGKILL
    depends_on:
      setup: {condition: service_completed_successfully}
"""
NOTE = """
from pathlib import Path

def note(tag, stack):
    with open(Path(__file__).parent / "names.txt", "a") as log:
        log.write(f"{tag} {stack.name}\\n")
"""


def _ours(labels: dict[str, str] | None, prefix: str) -> bool:
    return (labels or {}).get(PROJECT_LABEL, "").startswith(prefix + "-")


def leftovers(client: Any, prefix: str) -> list[str]:
    """Containers, networks and volumes of any project whose name starts with ``prefix``.

    Low-level list calls only: the SDK's high-level lists inspect each container and fail when
    another user of the shared engine removes one meanwhile.
    """
    api = client.api
    found = [
        c["Names"][0].lstrip("/") for c in api.containers(all=True) if _ours(c["Labels"], prefix)
    ]
    found += [n["Name"] for n in api.networks() if _ours(n.get("Labels"), prefix)]
    volumes = api.volumes().get("Volumes") or []
    return sorted(found + [v["Name"] for v in volumes if _ours(v.get("Labels"), prefix)])


def projects(client: Any, prefix: str) -> set[str]:
    """The projects of ``prefix`` that have containers on the engine."""
    rows = client.api.containers(all=True)
    return {r["Labels"][PROJECT_LABEL] for r in rows if _ours(r["Labels"], prefix)}


def sweep(client: Any, prefix: str) -> None:
    for row in client.api.containers(all=True):
        if _ours(row["Labels"], prefix):
            client.api.remove_container(row["Id"], force=True, v=True)
    for row in client.api.networks():
        if _ours(row.get("Labels"), prefix):
            client.api.remove_network(row["Id"])
    for row in client.api.volumes().get("Volumes") or []:
        if _ours(row.get("Labels"), prefix):
            client.api.remove_volume(row["Name"], force=True)


@pytest.fixture
def prefix(docker_client: Any) -> Iterator[str]:
    """A project-name prefix for one inner run; whatever it left is swept afterwards."""
    value = f"ptt{uuid.uuid4().hex[:8]}"
    yield value
    sweep(docker_client, value)


def run(pytester: pytest.Pytester, prefix: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-o", f"orchestra_project_prefix={prefix}", *args, timeout=400
    )


def names(pytester: pytest.Pytester) -> dict[str, str]:
    lines = (pytester.path / "names.txt").read_text().splitlines()
    return dict(line.split(" ", 1) for line in lines)


def test_stacks_live_as_long_as_their_scope(
    pytester: pytest.Pytester, prefix: str, docker_client: Any
) -> None:
    pytester.makefile(".yaml", compose=COMPOSE)
    fixtures = NOTE + (
        "\nimport pytest\n\n"
        "@pytest.fixture\n"
        "def shared(orchestra_stack):\n"
        "    return orchestra_stack('compose.yaml', scope='session')\n\n"
        "@pytest.fixture\n"
        "def per_module(orchestra_stack):\n"
        "    return orchestra_stack('compose.yaml', scope='module')\n"
    )
    pytester.makeconftest(fixtures)
    body = (
        "from conftest import note\n"
        "import pytest\n\n"
        "@pytest.mark.parametrize('n', [1, 2])\n"
        "def test_scopes(n, shared, per_module, orchestra_stack):\n"
        "    own = orchestra_stack('compose.yaml')\n"
        "    assert orchestra_stack('compose.yaml') is own\n"
        "    assert own.exec('web', ['echo', 'ok']).stdout == 'ok\\n'\n"
        "    for tag, stack in [('session', shared), ('module', per_module), ('own', own)]:\n"
        "        note(f'{MOD}-{n}-{tag}', stack)\n\n"
        "@pytest.mark.orchestra('compose.yaml', services=['web'], scope='module')\n"
        "def test_marker(compose_stack, per_module):\n"
        "    assert [c.service for c in compose_stack.ps()] == ['web']\n"
        "    note(f'{MOD}-marker', compose_stack)\n"
    )
    pytester.makepyfile(test_a="MOD = 'a'\n" + body, test_b="MOD = 'b'\n" + body)
    result = run(pytester, prefix)
    result.assert_outcomes(passed=6)
    got = names(pytester)
    assert all(name.startswith(prefix + "-") for name in got.values())
    assert got["a-1-session"] == got["a-2-session"] == got["b-1-session"]
    assert got["a-1-module"] == got["a-2-module"] != got["b-1-module"]
    assert got["a-1-own"] != got["a-2-own"]
    assert got["a-marker"] not in {got["a-1-module"], got["b-marker"]}
    # session, 2 modules, 2 markers (services differ from per_module), 4 own stacks
    assert len(set(got.values())) == 9
    assert leftovers(docker_client, prefix) == []


def test_xdist_workers_never_share_a_project(
    pytester: pytest.Pytester, prefix: str, docker_client: Any
) -> None:
    pytester.makefile(".yaml", compose=COMPOSE)
    pytester.makepyfile(
        test_parallel=NOTE
        + (
            "import os, pytest\n\n"
            "@pytest.mark.parametrize('n', range(4))\n"
            "def test_one(n, orchestra_stack):\n"
            "    worker = os.environ['PYTEST_XDIST_WORKER']\n"
            "    shared = orchestra_stack('compose.yaml', scope='session')\n"
            "    own = orchestra_stack('compose.yaml')\n"
            "    assert worker in shared.name and worker in own.name\n"
            "    note(f'{n}-{worker}-session', shared)\n"
            "    note(f'{n}-own', own)\n"
        )
    )
    result = run(pytester, prefix, "-n", "2")
    result.assert_outcomes(passed=4)
    got = names(pytester)
    sessions = {tag.split("-")[1]: name for tag, name in got.items() if tag.endswith("-session")}
    assert sorted(sessions) == ["gw0", "gw1"]
    assert len(set(got.values())) == 4 + 2  # one per test, one session stack per worker
    assert leftovers(docker_client, prefix) == []


def test_failures_get_the_logs_and_still_tear_down(
    pytester: pytest.Pytester, prefix: str, docker_client: Any
) -> None:
    pytester.makefile(".yaml", compose=COMPOSE, broken=BROKEN)
    pytester.makepyfile(
        test_failing=(
            "import pytest\n\n"
            "def test_assertion_fails(orchestra_stack):\n"
            "    orchestra_stack('compose.yaml')\n"
            "    assert False, 'the test itself failed'\n\n"
            "@pytest.mark.orchestra('broken.yaml')\n"
            "def test_up_fails(compose_stack):\n"
            "    raise AssertionError('never reached')\n"
        )
    )
    result = run(pytester, prefix)
    result.assert_outcomes(failed=1, errors=1)
    out = result.stdout.str()
    assert out.count(f"orchestra logs: {prefix}-") == 2
    assert "web-1 | marker-from-web" in out
    assert "setup-1 | broken-says-bye" in out
    assert "ExecutionFailed" in out and "never reached" not in out
    assert leftovers(docker_client, prefix) == []


def test_keep_leaves_the_stacks_and_lists_them(
    pytester: pytest.Pytester, prefix: str, docker_client: Any
) -> None:
    pytester.makefile(".yaml", compose=COMPOSE)
    pytester.makepyfile(
        test_kept="def test_up(orchestra_stack):\n    orchestra_stack('compose.yaml')\n"
    )
    result = run(pytester, prefix, "--orchestra-keep")
    result.assert_outcomes(passed=1)
    [project] = projects(docker_client, prefix)
    assert f"{project}-web-1" in leftovers(docker_client, prefix)
    result.stdout.fnmatch_lines(
        ["*stacks kept*", f"{project}    remove with: orchestra -p {project} down -v"]
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_tears_the_stacks_down(
    pytester: pytest.Pytester, prefix: str, docker_client: Any
) -> None:
    pytester.makefile(".yaml", compose=COMPOSE)
    ready = pytester.path / "ready"
    pytester.makepyfile(
        test_slow=(
            "import time\nfrom pathlib import Path\n\n"
            "def test_waits(orchestra_stack):\n"
            "    orchestra_stack('compose.yaml', scope='session')\n"
            "    orchestra_stack('compose.yaml')\n"
            "    Path(__file__).with_name('ready').write_text('up')\n"
            "    time.sleep(300)\n"
        )
    )
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    argv += ["-o", f"orchestra_project_prefix={prefix}"]
    # Should the inner run hang again, it dumps its threads' stacks to stderr (shown with this
    # test's failure) well before the 240 s below run out.
    argv += ["-o", "faulthandler_timeout=150"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    inner = subprocess.Popen(
        argv,
        cwd=pytester.path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        # A shell without job control starts background commands with SIGINT ignored, and
        # Python keeps an ignored SIGINT ignored: the inner run then slept through the signal
        # (seen when the suite ran as `.ci/run &`).
        preexec_fn=_default_sigint,
    )
    try:
        deadline = time.monotonic() + 240
        while not ready.exists() and inner.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ready.exists(), "the inner test never got its stacks"
        assert len(projects(docker_client, prefix)) == 2
        inner.send_signal(signal.SIGINT)
        out, _ = inner.communicate(timeout=240)
    finally:
        if inner.poll() is None:
            inner.kill()
    assert "KeyboardInterrupt" in out
    assert leftovers(docker_client, prefix) == []
