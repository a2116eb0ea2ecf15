"""`extends` and `include`, through load_raw on small projects written to a temporary directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestra.errors import Mark, SpecError
from orchestra.spec.assemble import RawProject, load_raw
from orchestra.spec.files import LoadOptions
from orchestra.spec.include import read_include
from orchestra.spec.yamlload import parse_yaml


def project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def load(root: Path, environ: dict[str, str] | None = None) -> RawProject:
    return load_raw(LoadOptions(cwd=str(root), environ=environ or {}))


def services(root: Path, environ: dict[str, str] | None = None) -> Any:
    return load(root, environ).tree["services"]


def problems_of(root: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load(root)
    return [str(p) for p in caught.value.problems]


def test_extends_in_the_same_file_with_a_chain(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n"
                "  base:\n    image: x\n    environment: [A=1]\n    ports: ['80']\n"
                "  mid:\n    extends: base\n    environment: {B: 2}\n"
                "  top:\n    extends: {service: mid}\n    image: y\n    ports: ['81']\n"
            )
        },
    )
    found = services(tmp_path)
    assert found["mid"] == {"image": "x", "environment": {"A": "1", "B": 2}, "ports": ["80"]}
    assert found["top"] == {
        "image": "y",
        "environment": {"A": "1", "B": 2},
        "ports": ["80", "81"],
    }
    assert "extends" not in found["top"]


def test_extends_another_file_resolves_its_paths_against_that_file(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  a:\n    extends: {file: sub/base.yaml, service: b}\n"
                "    volumes: ['./mine:/mine']\n"
            ),
            "sub/base.yaml": (
                "services:\n  b:\n    build: ./ctx\n    volumes: ['./data:/data', 'named:/n']\n"
                "    env_file: b.env\n    depends_on: [other]\n    image: ${IMG:-base}\n"
                "  other:\n    image: o\n"
            ),
        },
    )
    assert services(tmp_path, {"IMG": "fromenv"})["a"] == {
        "build": str(tmp_path / "sub" / "ctx"),
        "volumes": [f"{tmp_path}/sub/data:/data", "named:/n", f"{tmp_path}/mine:/mine"],
        "env_file": str(tmp_path / "sub" / "b.env"),
        "depends_on": ["other"],
        "image": "fromenv",
    }


def test_extends_uses_interpolated_values_and_honours_reset(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  a:\n    extends: {service: '${BASE:-x}'}\n    ports: !reset []\n"
                "    labels: !override {c: 1}\n"
                "  x:\n    image: i\n    ports: ['80']\n    labels: {a: 1}\n"
            )
        },
    )
    assert services(tmp_path)["a"] == {"image": "i", "labels": {"c": 1}}


def test_extends_chain_through_another_file(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "compose.yaml": "services:\n  a:\n    extends: {file: lib/one.yaml, service: one}\n",
            "lib/one.yaml": (
                "services:\n  one:\n    extends: two\n    user: u\n  two:\n    image: t\n"
            ),
        },
    )
    assert services(tmp_path)["a"] == {"image": "t", "user": "u"}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"compose.yaml": "services:\n  a:\n    extends: b\n  b:\n    extends: c\n"
                             "  c:\n    extends: a\n"},
            "compose.yaml:3:14: services.a.extends: extends cycle: a -> b -> c -> a "
            "(in compose.yaml)",
        ),
        (
            {"compose.yaml": "services:\n  a:\n    extends: a\n"},
            "compose.yaml:3:14: services.a.extends: extends cycle: a -> a (in compose.yaml)",
        ),
        (
            {"compose.yaml": "services:\n  a:\n    extends: {file: o.yaml, service: b}\n",
             "o.yaml": "services:\n  b:\n    extends: {file: compose.yaml, service: a}\n"},
            "compose.yaml:3:14: services.a.extends: extends cycle: a (compose.yaml) -> "
            "b (o.yaml) -> a (compose.yaml)",
        ),
        (
            {"compose.yaml": "services:\n  a:\n    extends: nope\n"},
            'compose.yaml:3:14: services.a.extends: cannot extend service "a": '
            'service "nope" not found in compose.yaml',
        ),
        (
            {"compose.yaml": "services:\n  a:\n    extends: {file: o.yaml, service: x}\n",
             "o.yaml": "services:\n  b: {image: b}\n"},
            'compose.yaml:3:14: services.a.extends: cannot extend service "a": '
            'service "x" not found in o.yaml',
        ),
        (
            {"compose.yaml": "services:\n  a:\n    extends: {file: nofile.yaml, service: x}\n"},
            "compose.yaml:3:21: services.a.extends.file: cannot read nofile.yaml: no such file",
        ),
        (
            {"compose.yaml": "services:\n  a:\n    extends: {file: compose.yaml}\n"},
            "compose.yaml:3:14: services.a.extends.service: is required",
        ),
        (
            {"compose.yaml": "services:\n  a:\n    extends: [x]\n"},
            "compose.yaml:3:14: services.a.extends: must be a service name or a mapping",
        ),
    ],
)  # fmt: skip
def test_extends_errors(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    project(tmp_path, files)
    found = problems_of(tmp_path)
    assert len(found) == 1
    assert found[0].startswith(expected)


def test_extends_errors_in_the_other_file_are_reported_with_its_marks(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "compose.yaml": "services:\n  a:\n    extends: {file: o.yaml, service: b}\n",
            "o.yaml": "services:\n  b:\n    image: ${NEED:?please}\n",
        },
    )
    assert problems_of(tmp_path) == [
        "o.yaml:3:12: services.b.image: required variable NEED is missing a value: please"
    ]


def test_include_short_and_long_forms_with_their_own_env(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "compose.yaml": (
                "include:\n  - lib/compose.yaml\n"
                "  - path: lib2/c.yaml\n    project_directory: lib\n    env_file: lib2/custom.env\n"
                "services:\n  main:\n    image: main\n"
            ),
            ".env": "TOPVAR=top\n",
            "lib/compose.yaml": (
                "services:\n  libsvc:\n    image: ${IMG:-default}\n    build: ./ctx\n"
                "    environment: {FROMTOP: '${TOPVAR:-unset}', P: '${COMPOSE_PROJECT_NAME}'}\n"
                "networks:\n  libnet: {}\n"
            ),
            "lib/.env": "IMG=libimg\n",
            "lib2/c.yaml": "services:\n  two:\n    image: ${IMG:-two}\n    volumes: ['./x:/x']\n",
            "lib2/custom.env": "IMG=fromenvfile\n",
        },
    )
    raw = load(tmp_path)
    found = raw.tree["services"]
    assert found["main"] == {"image": "main"}
    assert found["libsvc"] == {
        "image": "libimg",
        "build": str(tmp_path / "lib" / "ctx"),
        "environment": {"FROMTOP": "top", "P": tmp_path.name.lower()},
    }
    assert found["two"] == {"image": "fromenvfile", "volumes": [f"{tmp_path}/lib/x:/x"]}
    assert raw.tree["networks"] == {"libnet": {}}
    assert "include" not in raw.tree


def test_the_including_project_s_environment_wins_over_the_included_env(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "compose.yaml": "include: [lib/compose.yaml]\n",
            ".env": "IMG=parent\n",
            "lib/compose.yaml": "services:\n  s:\n    image: ${IMG}\n",
            "lib/.env": "IMG=child\n",
        },
    )
    assert services(tmp_path)["s"]["image"] == "parent"
    assert services(tmp_path, {"IMG": "process"})["s"]["image"] == "process"


def test_include_of_several_files_merges_them_like_f_files(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "compose.yaml": "include:\n  - path: [lib/a.yaml, over.yaml]\n",
            "lib/a.yaml": "services:\n  s:\n    image: a\n    ports: ['80']\n",
            "over.yaml": "services:\n  s:\n    image: b\n    volumes: ['./v:/v']\n",
        },
    )
    assert services(tmp_path)["s"] == {
        "image": "b",
        "ports": ["80"],
        "volumes": [f"{tmp_path}/lib/v:/v"],  # relative to the included project's directory
    }


def test_the_same_file_included_twice_is_not_a_conflict(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "compose.yaml": "include: [lib/compose.yaml, lib/compose.yaml]\n",
            "lib/compose.yaml": "services:\n  s:\n    image: a\n",
        },
    )
    assert services(tmp_path) == {"s": {"image": "a"}}


def test_a_later_f_file_may_override_an_included_service(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "compose.yaml": "include: [lib/compose.yaml]\n",
            "over.yaml": "services:\n  s:\n    image: overridden\n",
            "lib/compose.yaml": "services:\n  s:\n    image: a\n",
        },
    )
    raw = load_raw(LoadOptions(files=("compose.yaml", "over.yaml"), cwd=str(tmp_path), environ={}))
    assert raw.tree["services"]["s"] == {"image": "overridden"}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"compose.yaml": "include: [lib.yaml]\nservices:\n  s:\n    image: mine\n",
             "lib.yaml": "services:\n  s:\n    image: theirs\n"},
            "compose.yaml:3:3: services.s: conflicts with imported resource",
        ),
        (
            {"compose.yaml": "include: [lib.yaml]\nvolumes:\n  v: {driver: a}\n",
             "lib.yaml": "volumes:\n  v: {driver: b}\n"},
            "compose.yaml:3:3: volumes.v: conflicts with imported resource",
        ),
        (
            {"compose.yaml": "include:\n  - sub/c.yaml\n",
             "sub/c.yaml": "include:\n  - ../compose.yaml\n"},
            "sub/c.yaml:2:5: include: include cycle: compose.yaml -> sub/c.yaml -> compose.yaml",
        ),
        (
            {"compose.yaml": "include:\n  - nope.yaml\n"},
            "compose.yaml:2:5: include: included file not found: nope.yaml",
        ),
        (
            {"compose.yaml": "include:\n  - path: lib.yaml\n    env_file: missing.env\n",
             "lib.yaml": "services: {}\n"},
            "compose.yaml:2:5: include: env file not found: missing.env",
        ),
        (
            {"compose.yaml": "include: lib.yaml\n"},
            "compose.yaml:1:10: include: must be a list",
        ),
        (
            {"compose.yaml": "include:\n  - {project_directory: x}\n"},
            "compose.yaml:2:5: include[0].path: is required",
        ),
        (
            {"compose.yaml": "include:\n  - [a]\n"},
            "compose.yaml:2:5: include[0]: must be a path or a mapping with `path`",
        ),
    ],
)  # fmt: skip
def test_include_errors(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    project(tmp_path, files)
    found = problems_of(tmp_path)
    assert len(found) == 1
    assert found[0].startswith(expected)


def test_read_include_resolves_every_path_against_the_base() -> None:
    doc = parse_yaml(
        "include:\n  - a/c.yaml\n  - path: [b/c.yaml, o.yaml]\n    project_directory: pd\n"
        "    env_file: [e1.env, /abs/e2.env]\n",
        "compose.yaml",
    )[0]
    specs, problems = read_include(doc, Path("/base"), "/home/u")
    assert problems == []
    assert [(s.paths, s.project_directory, s.env_files) for s in specs] == [
        ((Path("/base/a/c.yaml"),), Path("/base/a"), ()),
        (
            (Path("/base/b/c.yaml"), Path("/base/o.yaml")),
            Path("/base/pd"),
            (Path("/base/e1.env"), Path("/abs/e2.env")),
        ),
    ]
    assert specs[1].mark == Mark("compose.yaml", 3, 5)
