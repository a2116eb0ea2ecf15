"""The error tree: messages users see and the exit codes the CLI maps them to."""

from __future__ import annotations

from orchestra.errors import (
    DependencyCycleError,
    EngineUnavailableError,
    ExecutionFailed,
    Interrupted,
    Mark,
    OrchestraError,
    Problem,
    SpecError,
    UsageError,
)


def test_problem_renders_file_line_column_path_and_message() -> None:
    problem = Problem("services.web.imagee", "unknown attribute", Mark("compose.yaml", 14, 5))
    assert str(problem) == "compose.yaml:14:5: services.web.imagee: unknown attribute"


def test_spec_error_lists_every_problem() -> None:
    error = SpecError([Problem("a", "first"), Problem("b", "second", Mark("f.yaml", 2, 3))])
    assert str(error).splitlines() == [
        "2 problems in the Compose files:",
        "  a: first",
        "  f.yaml:2:3: b: second",
    ]


def test_cycle_error_prints_the_ring() -> None:
    assert str(DependencyCycleError(["api", "web", "api"])) == "dependency cycle: api -> web -> api"


def test_exit_codes() -> None:
    assert OrchestraError("x").exit_code == 1
    assert UsageError("x").exit_code == 2
    assert SpecError("x").exit_code == 2
    assert EngineUnavailableError("x").exit_code == 3
    assert ExecutionFailed(["a"]).exit_code == 1
    assert Interrupted("x").exit_code == 130
