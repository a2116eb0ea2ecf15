"""healthcheck forms and build (string and mapping)."""

from __future__ import annotations

from pathlib import Path

import pytest
from raw_tree_builder import load_text, service_of, service_problems

from orchestra.spec.model import Build, Healthcheck


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("healthcheck: {test: wget -q localhost}", Healthcheck(("CMD-SHELL", "wget -q localhost"))),
        ("healthcheck: {test: [CMD, 'true']}", Healthcheck(("CMD", "true"))),
        ("healthcheck: {test: [CMD-SHELL, a, b]}", Healthcheck(("CMD-SHELL", "a", "b"))),
        ("healthcheck: {test: [NONE]}", Healthcheck(("NONE",))),
        ("healthcheck: {test: NONE}", Healthcheck(("CMD-SHELL", "NONE"))),
        ("healthcheck: {disable: true}", Healthcheck(disable=True)),
        ("healthcheck: {}", Healthcheck()),
        (
            "healthcheck: {interval: 1m30s, timeout: 10s, start_period: 5s, start_interval: 1s, "
            "retries: '3'}",
            Healthcheck((), 90.0, 10.0, 5.0, 1.0, 3),
        ),
        ("healthcheck: {retries: 0}", Healthcheck(retries=0)),
    ],
)
def test_healthcheck_forms(body: str, check: Healthcheck) -> None:
    assert service_of(body).healthcheck == check


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "healthcheck: {test: [ls, a]}",
            "compose.yaml:4:25: services.web.healthcheck.test: a test"
            " list must start with NONE, CMD or CMD-SHELL",
        ),
        ("healthcheck: {test: [CMD]}", "a CMD test needs a command after it"),
        ("healthcheck: {interval: 10}", "healthcheck.interval: must be a duration"),
        ("healthcheck: {interval: 1x}", "healthcheck.interval: unknown unit 'x'"),
        ("healthcheck: {retries: -1}", "healthcheck.retries: must not be negative"),
        (
            "healthcheck: {retries: 3, tset: [CMD, x]}",
            "compose.yaml:4:31: services.web.healthcheck.tset: unknown attribute (did you mean "
            "'test'?)",
        ),
        ("healthcheck: [CMD, x]", "services.web.healthcheck: must be a mapping, not a list"),
    ],
)
def test_healthcheck_problems(body: str, expected: str) -> None:
    found = service_problems(body)
    assert len(found) == 1, found
    assert expected in found[0]


def test_build_string_is_the_context() -> None:
    assert service_of("build: /src").build == Build(context="/src")


def test_build_mapping_defaults_to_the_project_directory() -> None:
    text = "services:\n  web:\n    build: {dockerfile_inline: FROM x, args: [A=1, FROM_ENV, GONE]}"
    build = (
        load_text(text, directory=Path("/proj"), environment={"FROM_ENV": "e"})
        .services["web"]
        .build
    )
    assert build is not None
    assert (build.context, build.dockerfile, build.dockerfile_inline) == ("/proj", None, "FROM x")
    assert dict(build.args) == {"A": "1", "FROM_ENV": "e"}


def test_build_mapping_in_full() -> None:
    build = service_of(
        """
        build:
          context: /ctx
          dockerfile: Dockerfile.db
          target: prod
          labels: [x=y]
          network: host
          no_cache: true
          pull: true
          cache_from: [a]
          cache_to: [b]
          extra_hosts: ["h:1.1.1.1"]
          shm_size: 1g
          tags: [t]
          platforms: [linux/amd64]
        """
    ).build
    assert build is not None
    assert (build.context, build.dockerfile, build.target, build.network) == (
        "/ctx",
        "Dockerfile.db",
        "prod",
        "host",
    )
    assert dict(build.labels) == {"x": "y"} and build.no_cache and build.pull
    assert (build.cache_from, build.cache_to, build.tags, build.platforms) == (
        ("a",),
        ("b",),
        ("t",),
        ("linux/amd64",),
    )
    assert build.extra_hosts == ("h:1.1.1.1",) and build.shm_size == 1024**3


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "build: {context: /c, ssh: [default]}",
            "services.web.build.ssh: not supported by orchestra",
        ),
        ("build: {contxt: /c}", "build.contxt: unknown attribute (did you mean 'context'?)"),
        ("build: 5", "services.web.build: must be a context path or a mapping"),
        ("build: {no_cache: maybe}", "build.no_cache: must be a boolean"),
    ],
)
def test_build_problems(body: str, expected: str) -> None:
    found = service_problems(body)
    assert len(found) == 1, found
    assert expected in found[0]
