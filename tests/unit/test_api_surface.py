"""The public surface without an engine: exports, lazy imports, loading, records, the plugin's
naming. (Behaviour against a real engine: tests/engine/test_api.py and test_pytest_plugin.py.)
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import orchestra
from orchestra.api_types import ContainerInfo, PublishedPort, connectable_host, parse_published
from orchestra.engine.base import ContainerState, ContainerStatus, HealthStatus, ObservedContainer
from orchestra.pytest_plugin import StackRegistry, StackRequest

PACKAGE = Path(orchestra.__file__).parent
HEAVY = ("anyio", "docker", "yaml", "networkx", "typer", "rich", "typing")
IMPORT_BUDGET_US = 150_000  # ``python -c "import orchestra"`` stays under 0.15 s


def test_every_export_resolves_to_its_documented_object() -> None:
    exported = set(orchestra.__all__) - {"__version__"}
    assert exported == set(orchestra._EXPORTS)
    for name in exported:
        value = getattr(orchestra, name)
        assert getattr(value, "__name__", name) == name
    assert set(orchestra.__all__) <= set(dir(orchestra))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = orchestra.nope  # type: ignore[attr-defined]


def test_errors_are_the_ones_of_the_error_tree() -> None:
    from orchestra import errors

    assert orchestra.SpecError is errors.SpecError
    assert issubclass(orchestra.ReadinessFailed, orchestra.OrchestraError)
    assert issubclass(orchestra.ProjectLockedError, orchestra.OrchestraError)


def _run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout + done.stderr


def test_import_orchestra_is_lazy_and_fast() -> None:
    out = _run_python("import sys, orchestra; print('MODULES', sorted(sys.modules))")
    modules = set(re.search(r"MODULES (.*)", out)[1].strip("[]").replace("'", "").split(", "))  # type: ignore[index]
    assert {m for m in modules if m.split(".")[0] in HEAVY} == set()
    assert {m for m in modules if m.startswith("orchestra")} == {"orchestra"}
    cumulative = [int(m[1]) for m in re.finditer(r"\|\s*(\d+) \| orchestra$", out, re.MULTILINE)]
    assert cumulative and cumulative[0] < IMPORT_BUDGET_US, out


def test_loading_the_pytest_plugin_imports_no_engine_code() -> None:
    out = _run_python("import sys, orchestra.pytest_plugin; print(sorted(sys.modules))")
    for heavy in ("anyio", "docker", "yaml", "networkx", "orchestra.api", "orchestra.sync"):
        assert f"'{heavy}'" not in out


def test_the_package_declares_its_types() -> None:
    assert (PACKAGE / "py.typed").is_file()


def test_load_project_reads_env_over_the_environment(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        textwrap.dedent(
            """
            services:
              web:
                image: busybox
                ports: ["127.0.0.1:${APP_PORT:-8080}:80"]
              debug:
                image: busybox
                profiles: [debug]
            """
        )
    )
    (tmp_path / "dev.env").write_text("APP_PORT=7000\n")
    plain = orchestra.load_project(tmp_path / "compose.yaml", project_name="one")
    assert (plain.name, sorted(plain.services)) == ("one", ["web"])
    assert plain.services["web"].ports[0].published == "8080"
    from_file = orchestra.load_project(
        [tmp_path / "compose.yaml"], env_files=[tmp_path / "dev.env"]
    )
    assert from_file.services["web"].ports[0].published == "7000"
    assert from_file.name == re.sub(r"[^a-z0-9_-]", "", tmp_path.name.lower())
    overlaid = orchestra.load_project(
        tmp_path / "compose.yaml",
        env={"APP_PORT": "9000"},
        env_files=[tmp_path / "dev.env"],
        profiles=["debug"],
    )
    assert overlaid.services["web"].ports[0].published == "9000"
    assert sorted(overlaid.services) == ["debug", "web"]


def test_loading_problems_are_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(orchestra.SpecError, match="compose file not found"):
        orchestra.load_project(tmp_path / "missing.yaml")
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: [1]\n")
    with pytest.raises(orchestra.SpecError) as caught:
        orchestra.Stack(tmp_path / "compose.yaml")
    assert caught.value.problems[0].mark is not None


def test_a_loaded_project_rejects_loading_arguments(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: busybox\n")
    project = orchestra.load_project(tmp_path / "compose.yaml", project_name="given")
    assert orchestra.Stack(project, project_name="given").name == "given"
    assert orchestra.SyncStack(project).project is project
    with pytest.raises(orchestra.UsageError, match="differs"):
        orchestra.Stack(project, project_name="other")
    with pytest.raises(orchestra.UsageError, match="apply to loading"):
        orchestra.SyncStack(project, env={"A": "1"})


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("0.0.0.0:32768->8080/tcp", PublishedPort(8080, "tcp", "0.0.0.0", 32768)),
        (":::32768->8080/tcp", PublishedPort(8080, "tcp", "::", 32768)),
        ("127.0.0.1:53->53/udp", PublishedPort(53, "udp", "127.0.0.1", 53)),
        (":8000->80/tcp", PublishedPort(80, "tcp", "", 8000)),
    ],
)
def test_published_ports_are_parsed(shown: str, expected: PublishedPort) -> None:
    assert parse_published((shown,)) == (expected,)


def test_unreadable_port_entries_are_left_out() -> None:
    assert parse_published(("80/tcp", "0.0.0.0:None->80/tcp", "garbage")) == ()
    assert str(PublishedPort(80, "tcp", "::", 8000)) == "[::]:8000->80/tcp"


@pytest.mark.parametrize(
    ("bound", "connect"),
    [("0.0.0.0", "127.0.0.1"), ("::", "::1"), ("", "127.0.0.1"), ("127.0.0.2", "127.0.0.2")],
)
def test_wildcard_binds_are_reached_through_loopback(bound: str, connect: str) -> None:
    assert connectable_host(bound) == connect


def test_container_info_joins_the_list_row_and_the_inspect() -> None:
    row = ObservedContainer(
        id="abc",
        name="p-web-2",
        labels={"com.docker.compose.service": "web", "com.docker.compose.container-number": "2"},
        status=ContainerStatus.RUNNING,
        health=None,
        image_id="sha256:1",
    )
    state = ContainerState(
        id="abc",
        name="p-web-2",
        status=ContainerStatus.EXITED,
        health=HealthStatus.UNHEALTHY,
        exit_code=137,
        started_at="",
        finished_at="",
        ports=("0.0.0.0:8000->80/tcp",),
        limits={"memory": 1024},
    )
    info = ContainerInfo.of(row, state)
    assert (info.service, info.number, info.state, info.exit_code) == ("web", 2, "exited", 137)
    assert info.ports == (PublishedPort(80, "tcp", "0.0.0.0", 8000),)
    assert info.limits == {"memory": 1024} and not info.running


def test_stack_requests_resolve_paths_against_the_test_directory(tmp_path: Path) -> None:
    request = StackRequest.build(
        tmp_path,
        "stacks/Web App/compose.yaml",
        services=["db"],
        env={"B": "2", "A": "1"},
        env_files=["my.env"],
    )
    assert request.files == (str(tmp_path / "stacks/Web App/compose.yaml"),)
    assert request.env == (("A", "1"), ("B", "2"))
    assert request.env_files == (str(tmp_path / "my.env"),)
    assert request.slug() == "webapp"
    same = StackRequest.build(tmp_path, ["stacks/Web App/compose.yaml"], services=("db",))
    assert hash(same) == hash(StackRequest(request.files, ("db",)))


def test_project_names_are_unique_valid_and_name_the_worker() -> None:
    registry = StackRegistry(prefix="pt", run="ab12cd", worker="gw1", keep=False, log_lines=50)
    request = StackRequest(files=("/x/My_Stack/compose.yaml",))
    names = [registry.project_name(request) for _ in range(3)]
    assert names == [
        "pt-ab12cd-gw1-1-mystack",
        "pt-ab12cd-gw1-2-mystack",
        "pt-ab12cd-gw1-3-mystack",
    ]
    alone = StackRegistry(prefix="pt", run="ab12cd", worker="", keep=False, log_lines=50)
    assert alone.project_name(StackRequest(files=())) == "pt-ab12cd-1-stack"
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_-]*", n) for n in names)


def test_container_info_from_the_list_call_alone() -> None:
    row = ObservedContainer(
        id="abc",
        name="p-web-1",
        labels={"com.docker.compose.service": "web", "com.docker.compose.container-number": "1"},
        status=ContainerStatus.EXITED,
        health=HealthStatus.UNHEALTHY,
        image_id="sha256:1",
        exit_code=3,
        ports=(":::8000->80/tcp", "0.0.0.0:8000->80/tcp"),
    )
    info = ContainerInfo.listed(row)
    assert (info.name, info.service, info.number) == ("p-web-1", "web", 1)
    assert (info.state, info.health, info.exit_code) == ("exited", "unhealthy", 3)
    assert info.ports == (
        PublishedPort(80, "tcp", "::", 8000),
        PublishedPort(80, "tcp", "0.0.0.0", 8000),
    )
    assert info.limits == {} and not info.running


# Documented tables: "| `up(services=None, wait=True, ...)` | ..." → method → parameter names.
_DOC_ROW = re.compile(r"^\| `(\w+)\(([^)]*)\)` \|", re.MULTILINE)


def _documented() -> dict[str, list[str]]:
    text = (PACKAGE.parent / "docs" / "api.md").read_text()
    return {
        name: [p.split("=")[0].strip() for p in params.split(",") if p.strip()]
        for name, params in _DOC_ROW.findall(text)
    }


def _parameters(function: object) -> list[str]:
    return [p for p in inspect.signature(function).parameters if p != "self"]  # type: ignore[arg-type]


def test_the_documented_signatures_are_the_real_ones() -> None:
    documented = _documented()
    assert set(documented) >= {"up", "down", "plan", "ps", "logs", "exec", "port", "wait_healthy"}
    for method, params in documented.items():
        assert params == _parameters(getattr(orchestra.Stack, method)), method


@pytest.mark.parametrize("method", ["up", "down", "plan", "ps", "logs", "exec", "port"])
def test_sync_stack_takes_the_same_arguments(method: str) -> None:
    async_only = {"cancel", "on_plan", "follow"}  # an anyio.Event, a hook, a live stream
    expected = [p for p in _parameters(getattr(orchestra.Stack, method)) if p not in async_only]
    assert _parameters(getattr(orchestra.SyncStack, method)) == expected


def test_a_stack_opened_by_name_refuses_what_needs_the_files() -> None:
    import anyio

    stack = orchestra.Stack.by_name("someproject")
    assert stack.name == "someproject"
    assert "unknown" in repr(stack)
    with pytest.raises(orchestra.UsageError, match="opened by name"):
        _ = stack.project
    with pytest.raises(orchestra.UsageError, match="opened by name"):
        anyio.run(stack.up)  # before any engine call: no engine is needed to see it
