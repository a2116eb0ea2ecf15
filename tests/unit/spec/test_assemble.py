"""load_raw end to end on the fixture projects in data/, and against the `docker compose` oracle."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestra.errors import Mark, SpecError
from orchestra.spec.assemble import RawProject, load_raw
from orchestra.spec.files import LoadOptions

DATA = Path(__file__).parent / "data"


def load(
    directory: Path,
    environ: dict[str, str] | None = None,
    **kwargs: Any,
) -> RawProject:
    return load_raw(LoadOptions(cwd=str(directory), environ=environ or {}, **kwargs))


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_basic_fixture() -> None:
    root = DATA / "basic"
    raw = load(root)
    assert raw.name == "basicapp"
    assert raw.directory == root
    assert raw.files == (root / "compose.yaml", root / "compose.override.yaml")
    assert raw.environment == {"PORT": "9090", "TAG": "1.2", "COMPOSE_PROJECT_NAME": "basicapp"}
    assert raw.profiles == ()
    assert raw.warnings == (
        "compose.yaml: the attribute `version` is obsolete, it will be ignored, "
        "please remove it to avoid potential confusion",
    )
    web = raw.tree["services"]["web"]
    assert web == {
        "build": str(root / "web"),
        "image": "example/web:1.2",
        "ports": ["9090:80", "9229:9229"],
        "volumes": [f"{root}/src:/usr/share/nginx/html", "cache:/var/cache"],
        "env_file": str(root / ".env.web"),
        "environment": {"MODE": "development", "LITERAL": "$HOME", "DEBUG": "1"},
        "depends_on": ["db"],
        "restart": "unless-stopped",
    }
    assert raw.tree["services"]["db"]["image"] == "postgres:16"
    assert "version" not in raw.tree
    assert raw.tree["x-restart"] == {"restart": "unless-stopped"}


def test_basic_fixture_marks_point_into_the_right_file() -> None:
    raw = load(DATA / "basic")
    web = raw.tree["services"]["web"]
    assert web.value_marks["image"] == Mark("compose.yaml", 10, 12)
    assert web["ports"].item_marks == [
        Mark("compose.yaml", 12, 9),
        Mark("compose.override.yaml", 7, 9),
    ]
    assert web["environment"].value_marks["DEBUG"] == Mark("compose.override.yaml", 5, 14)


def test_marks_are_relative_to_the_working_directory() -> None:
    raw = load(DATA, files=("basic/compose.yaml",))
    assert raw.tree["services"]["db"].value_marks["image"] == Mark("basic/compose.yaml", 23, 12)


def test_environment_and_name_precedence() -> None:
    raw = load(DATA / "basic", {"PROJECT": "Other Name", "PORT": "1"})
    assert raw.name == "othername"
    assert raw.environment["PORT"] == "1"
    assert raw.tree["services"]["web"]["ports"][0] == "1:80"
    assert load(DATA / "basic", {"COMPOSE_PROJECT_NAME": "env"}).name == "env"
    assert load(DATA / "basic", project_name="cli").environment["COMPOSE_PROJECT_NAME"] == "cli"
    with pytest.raises(SpecError, match='invalid project name "Bad"'):
        load(DATA / "basic", project_name="Bad")


def test_extends_fixture() -> None:
    root = DATA / "extends"
    found = load(root).tree["services"]
    common = {
        "build": str(root / "common"),
        "image": "example/app:latest",
        "volumes": [f"{root}/common/data:/data"],
        "env_file": str(root / "common" / "base.env"),
        "environment": {"LOG": "info", "ROLE": "app"},
    }
    assert found["app"] == {**common, "ports": ["8000:8000"], "command": ["serve"]}
    assert found["worker"] == {**common, "command": ["work"]}


def test_include_fixture() -> None:
    root = DATA / "include"
    raw = load(root)
    assert raw.name == "include"
    assert raw.files == (root / "compose.yaml",)
    assert raw.tree["services"] == {
        "web": {"image": "example/web", "depends_on": ["cache", "db"]},
        "cache": {"image": "redis:7", "volumes": [f"{root}/lib/conf:/conf:ro"]},
        "db": {
            "image": "postgres:15",
            "environment": {"PROJECT": "include"},
            "volumes": [
                "dbdata:/var/lib/postgresql/data",
                f"{root}/db/init:/docker-entrypoint-initdb.d",
            ],
        },
    }
    assert raw.tree["networks"] == {"backend": {}}
    assert raw.tree["volumes"] == {"dbdata": {}}
    assert "PG_TAG" not in raw.environment  # the included project's env stays its own


def test_unset_variables_are_warned_once(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "services:\n  a:\n    image: $X\n    command: [$X, $Y]\n"})
    assert load(tmp_path).warnings == (
        'The "X" variable is not set. Defaulting to a blank string.',
        'The "Y" variable is not set. Defaulting to a blank string.',
    )


@pytest.mark.parametrize(
    ("environ", "dotenv", "given", "expected"),
    [
        ({}, "", (), ()),
        ({"COMPOSE_PROFILES": "a, b,,c"}, "", (), ("a", "b", "c")),
        ({}, "COMPOSE_PROFILES=dev\n", (), ("dev",)),
        ({"COMPOSE_PROFILES": "a"}, "COMPOSE_PROFILES=dev\n", (), ("a",)),
        ({"COMPOSE_PROFILES": "a"}, "", ("x", "y"), ("x", "y")),
    ],
)
def test_profiles_come_from_the_option_or_compose_profiles(
    tmp_path: Path,
    environ: dict[str, str],
    dotenv: str,
    given: tuple[str, ...],
    expected: tuple[str, ...],
) -> None:
    write(tmp_path, {"compose.yaml": "services: {}\n", ".env": dotenv})
    assert load(tmp_path, environ, profiles=given).profiles == expected


def test_documents_of_one_file_merge_in_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  a:\n    image: x\n    ports: ['80:80']\n---\n"
                "services:\n  a:\n    ports: !reset []\n    command: c\n  b:\n    image: y\n"
            )
        },
    )
    assert load(tmp_path).tree["services"] == {
        "a": {"image": "x", "command": "c"},
        "b": {"image": "y"},
    }


def test_problems_of_all_files_are_raised_together(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "one.yaml": "services:\n  a:\n    image: ${A:?need A}\n",
            "two.yaml": "services:\n  a:\n    command: ${\n  b:\n    image: ${B:?}\n",
        },
    )
    with pytest.raises(SpecError) as caught:
        load(tmp_path, files=("one.yaml", "two.yaml"))
    assert [str(p) for p in caught.value.problems] == [
        "one.yaml:3:12: services.a.image: required variable A is missing a value: need A",
        'two.yaml:3:14: services.a.command: invalid interpolation format "${": '
        "you may need to escape any $ with another $",
        "two.yaml:5:12: services.b.image: required variable B is missing a value",
    ]


def test_yaml_errors_stop_loading_with_their_mark(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "services:\n  a:\n    image: x\n    image: y\n"})
    with pytest.raises(SpecError, match=r'compose.yaml:4:5: mapping key "image" already defined'):
        load(tmp_path)


def test_home_comes_from_the_given_environment(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "services:\n  a:\n    volumes: ['~/data:/data']\n"})
    raw = load(tmp_path, {"HOME": "/home/someone"})
    assert raw.tree["services"]["a"]["volumes"] == ["/home/someone/data:/data"]


def test_paths_of_all_f_files_are_relative_to_the_project_directory(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/compose.yaml": "services:\n  a:\n    build: .\n",
            "overrides/dev.yaml": "services:\n  a:\n    volumes: ['./src:/src']\n",
        },
    )
    raw = load(tmp_path, files=("app/compose.yaml", "overrides/dev.yaml"))
    assert raw.name == "app"
    assert raw.tree["services"]["a"] == {
        "build": str(tmp_path / "app"),
        "volumes": [f"{tmp_path}/app/src:/src"],
    }


def test_load_raw_does_not_read_the_process_environment_when_given_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCHESTRA_TEST_LEAK", "leaked")
    write(tmp_path, {"compose.yaml": "services:\n  a:\n    image: x${ORCHESTRA_TEST_LEAK}\n"})
    assert load(tmp_path).tree["services"]["a"]["image"] == "x"


ORACLE = Path(__file__).resolve().parents[3] / ".venv/lib/python3.11/site-packages/compose"
ORACLE_BIN = ORACLE / "docker-compose"


def oracle_config(directory: Path) -> dict[str, Any]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root")}
    done = subprocess.run(
        [str(ORACLE_BIN), "config", "--format", "json"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(
    not ORACLE_BIN.exists() and not os.environ.get("CI"),  # under CI: fail, never skip
    reason="the docker compose oracle is not installed",
)
@pytest.mark.parametrize("fixture", ["basic", "extends", "include"])
def test_fixtures_agree_with_docker_compose_config(fixture: str) -> None:
    directory = DATA / fixture
    expected = oracle_config(directory)
    raw = load(directory, {"HOME": os.environ.get("HOME", "/root")})
    assert raw.name == expected["name"]
    assert set(raw.tree["services"]) == set(expected["services"])
    for name, service in expected["services"].items():
        ours = raw.tree["services"][name]
        assert ours.get("image") == service.get("image")
        if "build" in service:
            assert ours["build"] == service["build"]["context"]
        ours_text = json.dumps(ours)
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert volume["source"] in ours_text
