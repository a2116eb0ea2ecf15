"""Regression tests for what the fuzzing (issue 7, promises 2 and 7) found in the loader.

Each case was a crash or an unbounded cost before its fix:
- ``${A:-${A:-...}}`` nested 2,000 deep raised RecursionError (a traceback) after 4 s;
- a 1 MB ``$$`` scalar aliased 500 times was substituted 500 times (> 60 s);
- ``.env`` lines that each double the one before grew without limit;
- files including the same file twice, level after level, were read 2**levels times;
- services extending a large service multiplied it (10 copies of 20,000 values: 10 s).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from orchestra.errors import SpecError
from orchestra.spec import assemble, extends
from orchestra.spec.envfile import parse_env_text
from orchestra.spec.files import LoadOptions
from orchestra.spec.interpolate import (
    MAX_NESTING,
    MAX_VALUE_CHARS,
    InterpolationError,
    interpolate_tree,
    substitute,
)
from orchestra.spec.load import load_project
from orchestra.spec.yamlload import parse_yaml

ENV = {"A": "1", "EMPTY": ""}


def _load(directory: Path, text: str, project: str | None = "orch-fuzz-reg") -> SpecError | None:
    (directory / "compose.yaml").write_text(text, encoding="utf-8")
    try:
        load_project(LoadOptions(project_name=project, environ=ENV, cwd=str(directory)))
    except SpecError as error:
        return error
    return None


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 2000, 20000])
def test_deeply_nested_defaults_are_an_error_not_a_crash(depth: int) -> None:
    template = "${UNSET:-" * depth + "x" + "}" * depth
    with pytest.raises(InterpolationError, match="nested deeper than"):
        substitute(template, ENV.get)


def test_nesting_up_to_the_limit_still_works() -> None:
    depth = MAX_NESTING
    assert substitute("${UNSET:-" * depth + "x" + "}" * depth, ENV.get) == "x"


def test_an_overlong_result_is_an_error_with_a_short_message() -> None:
    with pytest.raises(InterpolationError, match="expands to more than") as caught:
        substitute("${A}" * (MAX_VALUE_CHARS + 1), ENV.get)
    assert len(str(caught.value)) < 400


def test_aliased_strings_are_substituted_once(tmp_path: Path) -> None:
    big = "$$" * 200_000
    lines = "".join(f"      K{i}: *a\n" for i in range(500))
    text = f"x-a: &a '{big}'\nservices:\n  a:\n    image: x\n    environment:\n{lines}"
    tree = parse_yaml(text, "compose.yaml")[0]
    start = time.process_time()
    result = interpolate_tree(tree, ENV)
    assert time.process_time() - start < 5.0
    values = result.tree["services"]["a"]["environment"]
    assert values["K0"] == "$" * 200_000
    assert values["K0"] is values["K499"], "the alias copies share one substituted string"


def test_an_aliased_bad_value_is_reported_a_few_times_not_per_copy(tmp_path: Path) -> None:
    lines = "".join(f"      K{i}: *a\n" for i in range(1000))
    head = "x-a: &a '${UNSET:?must be set}'\nservices:\n  a:\n    image: x\n"
    text = f"{head}    environment:\n{lines}"
    error = _load(tmp_path, text)
    assert error is not None and "must be set" in str(error)
    assert len(error.problems) <= 6


def test_env_file_doubling_is_bounded() -> None:
    lines = ["A=" + "x" * 1000] + [f"V{i}=${{V{i - 1}}}${{V{i - 1}}}" for i in range(1, 40)]
    text = "\n".join(lines).replace("${V0}", "${A}") + "\n"
    with pytest.raises(SpecError, match="expands to more than"):
        parse_env_text(text, ".env", lambda name: None)


def test_include_diamonds_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assemble, "MAX_INCLUDES", 8)
    levels = 6  # 2**6 = 64 includes without the cap
    for i in range(levels):
        nxt = f"f{i + 1}.yaml"
        (tmp_path / f"f{i}.yaml").write_text(f"include:\n  - {nxt}\n  - {nxt}\n")
    (tmp_path / f"f{levels}.yaml").write_text("services:\n  a:\n    image: x\n")
    error = _load(tmp_path, "include:\n  - f0.yaml\n")
    assert error is not None and "more than 8 includes" in str(error)


def test_extends_copies_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extends, "MAX_EXTENDED_NODES", 200)
    env = "".join(f"      K{i}: v\n" for i in range(60))
    children = "".join(f"  c{i}:\n    extends: base\n" for i in range(10))
    error = _load(tmp_path, f"services:\n  base:\n    image: x\n    environment:\n{env}{children}")
    assert error is not None and "extends copies more than 200 values" in str(error)
    assert error.problems[0].mark is not None


def test_a_few_extends_stay_fine(tmp_path: Path) -> None:
    env = "".join(f"      K{i}: v\n" for i in range(60))
    children = "".join(f"  c{i}:\n    extends: base\n" for i in range(10))
    assert (
        _load(tmp_path, f"services:\n  base:\n    image: x\n    environment:\n{env}{children}")
        is None
    )


@pytest.mark.parametrize("project", ["p" * 201, None])
def test_overlong_project_names_are_refused(tmp_path: Path, project: str | None) -> None:
    text = "services:\n  a:\n    image: x\n"
    if project is None:
        text = f"name: {'n' * 250}\n" + text
    error = _load(tmp_path, text, project)
    assert error is not None and "characters long" in str(error)


def test_a_200_character_project_name_is_fine(tmp_path: Path) -> None:
    assert _load(tmp_path, "services:\n  a:\n    image: x\n", "p" * 200) is None


def test_overlong_volume_names_are_refused(tmp_path: Path) -> None:
    service = "services:\n  a:\n    image: x\n    volumes: [v:/v]\n"
    text = f"{service}volumes:\n  v:\n    name: {'v' * 256}\n"
    error = _load(tmp_path, text)
    assert error is not None and "at most 255" in str(error)
