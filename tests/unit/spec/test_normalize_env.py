"""environment with env_file, labels, annotations, sysctls and extra_hosts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from raw_tree_builder import load_text, one_service, problems_of, service_of, service_problems


def test_environment_list_and_map_forms_agree() -> None:
    as_list = service_of("environment: [A=1, B=x=y, C=]")
    as_map = service_of("environment: {A: 1, B: 'x=y', C: ''}")
    assert dict(as_list.environment) == dict(as_map.environment) == {"A": "1", "B": "x=y", "C": ""}


def test_environment_scalars_become_compose_text() -> None:
    service = service_of("environment: {I: 1, T: true, F: false, R: 1.5, N: }")
    assert dict(service.environment) == {"I": "1", "T": "true", "F": "false", "R": "1.5", "N": None}


def test_bare_keys_come_from_the_project_environment_or_stay_none() -> None:
    service = service_of("environment: [HOME, MISSING]", environment={"HOME": "/root"})
    assert dict(service.environment) == {"HOME": "/root", "MISSING": None}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "environment: 5",
            "compose.yaml:4:18: services.web.environment: must be a mapping or a list",
        ),
        (
            "environment: {A: [1]}",
            "services.web.environment.A: must be a string, number or boolean",
        ),
        ("environment: [1]", "services.web.environment[0]: must be a string"),
    ],
)
def test_environment_problems(body: str, expected: str) -> None:
    found = service_problems(body)
    assert len(found) == 1
    assert expected in found[0]


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_env_files_in_order_under_environment(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.env", "A=from-a\nB=from-a\nC=${X}-c\n")
    second = _write(tmp_path / "b.env", "B=from-b\nBARE\nGONE\n")
    service = service_of(
        f"env_file: [{first}, {second}]\nenvironment: {{A: own, X: x}}",
        environment={"BARE": "env"},
    )
    assert dict(service.environment) == {
        "A": "own",
        "B": "from-b",
        "C": "x-c",  # env files see the service's own environment, as Compose does
        "BARE": "env",
        "X": "x",
    }


def test_env_file_long_form_may_be_optional(tmp_path: Path) -> None:
    present = _write(tmp_path / "p.env", "P=1\n")
    body = (
        f"env_file:\n  - path: {tmp_path / 'missing.env'}\n    required: false\n"
        f"  - path: {present}\n    required: true"
    )
    assert dict(service_of(body).environment) == {"P": "1"}


def test_missing_required_env_file_is_located(tmp_path: Path) -> None:
    missing = tmp_path / "missing.env"
    found = service_problems(f"env_file: {missing}")
    assert found == [f"compose.yaml:4:15: services.web.env_file: env file {missing} not found"]


def test_env_file_reader_is_replaceable(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.env", "ignored")
    seen: list[Mapping[str, str]] = []

    def reader(file: Path, environ: Mapping[str, str]) -> dict[str, str | None]:
        seen.append(environ)
        return {"FROM_READER": file.name, "UNSET": None}

    from raw_tree_builder import raw_project

    from orchestra.spec.load import project_from_raw

    raw = raw_project(one_service(f"env_file: {path}"), environment={"E": "1"})
    service = project_from_raw(raw, read_env_file=reader).services["web"]
    assert dict(service.environment) == {"FROM_READER": "x.env"}
    assert seen == [{"E": "1"}]


def test_env_file_syntax_errors_are_reported(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.env", "A='unclosed\n")
    found = service_problems(f"env_file: {path}")
    assert len(found) == 1 and "bad.env" in found[0]


def test_labels_and_annotations_list_or_map() -> None:
    service = service_of("labels: [a=b, c]\nannotations: {n: 1, e: }")
    assert dict(service.labels) == {"a": "b", "c": ""}
    assert dict(service.annotations) == {"n": "1", "e": ""}


def test_sysctls_need_values() -> None:
    assert dict(service_of("sysctls: [net.core.somaxconn=1024]").sysctls) == {
        "net.core.somaxconn": "1024"
    }
    assert "services.web.sysctls.a: needs a value" in service_problems("sysctls: {a: }")[0]


@pytest.mark.parametrize(
    ("body", "hosts"),
    [
        ('extra_hosts: ["a:1.2.3.4", "b=::1", "c:::1"]', ("a:1.2.3.4", "b:::1", "c:::1")),
        ("extra_hosts: {a: 1.2.3.4, b: [10.0.0.1, '::1']}", ("a:1.2.3.4", "b:10.0.0.1", "b:::1")),
    ],
)
def test_extra_hosts_become_engine_entries(body: str, hosts: tuple[str, ...]) -> None:
    assert service_of(body).extra_hosts == hosts


def test_bad_extra_host_is_located() -> None:
    assert service_problems('extra_hosts: ["nohost"]') == [
        "compose.yaml:4:19: services.web.extra_hosts[0]: invalid extra host 'nohost': "
        "expected HOST:IP"
    ]


def test_project_environment_is_kept() -> None:
    project = load_text("services: {}", environment={"A": "1"})
    assert dict(project.environment) == {"A": "1"}
    assert problems_of("services: {}") == []
