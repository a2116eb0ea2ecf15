"""Fuzzing the loader (issue 7, promise 2): a Project or a located SpecError, within budgets.

Hypothesis writes one to three Compose files (``-f`` merges) built by ``fuzz_strategies``:
every attribute of the schema with plausible and wrong values, huge numbers, unicode, empty
strings, deep nesting, anchors, aliases, merge keys, ``!reset``/``!override`` and ``${...}``
forms, well-formed or not, plus a ``.env`` and an ``extends`` target file. For each example:

- ``load_project`` returns a Project or raises SpecError; any other exception is a bug;
- a SpecError names where: every problem has a file mark or a key path;
- a Project renders to JSON (what ``orchestra config`` prints) and hashes every service;
- each load takes under 1 s of CPU and stays under 200 MB (``fuzz_run.measured``: peak RSS
  growth for these small documents, tracemalloc's peak for the alias bombs).

Alias bombs of random width and depth, used in ``environment``, in an ``x-`` extension and in a
service that others ``extends``, must stay within the same budgets.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fuzz_run import FuzzStats, fuzz_settings, measured
from fuzz_strategies import ENVIRONMENT, compose_files, interpolations
from hypothesis import given
from hypothesis import strategies as st

from orchestra.errors import SpecError
from orchestra.hashing import config_hash
from orchestra.spec.files import LoadOptions
from orchestra.spec.load import load_project
from orchestra.spec.model import Project
from orchestra.spec.render import project_to_dict

LOADER_EXAMPLES = 3700
BOMB_EXAMPLES = 100
_OTHER = "services:\n  a:\n    image: orchestra-test/busybox:1\n    environment: {O: '1'}\n"
# Messages of problems that concern the command line rather than a place in a file.
_UNPLACED = ("project name", "compose file not found", "env file")


@pytest.fixture
def workdir() -> Iterator[Path]:
    """One directory reused by every example of a test (cleared before each)."""
    directory = Path(tempfile.mkdtemp(prefix="orch-fuzz-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _write(directory: Path, files: list[str], dotenv: str) -> tuple[str, ...]:
    for child in directory.iterdir():
        child.unlink()
    names = tuple("compose.yaml" if i == 0 else f"override-{i}.yaml" for i in range(len(files)))
    for name, text in zip(names, files, strict=True):
        (directory / name).write_text(text, encoding="utf-8")
    (directory / ".env").write_text(dotenv, encoding="utf-8")
    (directory / "o.yaml").write_text(_OTHER, encoding="utf-8")
    (directory / "s.txt").write_text("secret", encoding="utf-8")
    return names


def load_once(directory: Path, names: tuple[str, ...], project_name: str | None) -> Any:
    """Load the project; returns ("loaded", rendering) or ("refused", the SpecError)."""
    options = LoadOptions(
        files=names, project_name=project_name, environ=ENVIRONMENT, cwd=str(directory)
    )
    try:
        project = load_project(options)
    except SpecError as error:
        return "refused", error
    assert isinstance(project, Project)
    rendered = json.dumps(project_to_dict(project))
    hashes = [config_hash(service) for service in project.services.values()]
    return "loaded", (rendered, hashes)


def check_refusal(error: SpecError) -> None:
    """A SpecError must say what is wrong and where (a file mark or a key path)."""
    assert str(error).strip(), "a SpecError without a message"
    assert error.problems, "a SpecError without problems"
    for problem in error.problems:
        placed = problem.mark is not None or bool(problem.path)
        assert placed or any(text in problem.message for text in _UNPLACED), (
            f"problem names neither a file nor a key: {problem.message!r}"
        )


def check_example(
    directory: Path, files: list[str], dotenv: str, name: str | None, *, traced: bool = True
) -> tuple[str, float, int]:
    """Write, load (measured) and check one example; returns its outcome, time and peak."""
    names = _write(directory, files, dotenv)
    (outcome, detail), seconds, peak = measured(
        lambda: load_once(directory, names, name), traced=traced
    )
    if outcome == "refused":
        check_refusal(detail)
    return str(outcome), seconds, peak


dotenvs = st.lists(
    st.tuples(
        st.sampled_from(["A", "X", "COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME"]), interpolations
    ),
    max_size=3,
).map(lambda pairs: "".join(f"{k}={v.replace(chr(10), ' ')}\n" for k, v in pairs))
project_names = st.one_of(st.none(), st.just("orch-fuzz"))


def test_documents_load_or_refuse_cleanly(workdir: Path) -> None:
    """Random (multi-file) documents: a Project or a located SpecError, under 1 s and 200 MB."""
    stats = FuzzStats("loader documents")

    @fuzz_settings(LOADER_EXAMPLES)
    @given(files=compose_files(), dotenv=dotenvs, name=project_names)
    def run(files: list[str], dotenv: str, name: str | None) -> None:
        stats.add(*check_example(workdir, files, dotenv, name, traced=False))

    run()
    stats.report()
    assert stats.outcomes.get("loaded", 0) > 0, "no example loaded: the strategies are too wild"
    assert stats.outcomes.get("refused", 0) > 0


def _bomb(width: int, depth: int, use: str) -> str:
    """An alias bomb ``depth`` levels deep, each level ``width`` aliases of the one below."""
    lines = ["x-l0: &l0 ['${A}-$$-lol']"]
    for level in range(1, depth + 1):
        items = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"x-l{level}: &l{level} [{items}]")
    top = f"*l{depth}"
    lines.append("services:")
    lines.append("  base:\n    image: orchestra-test/busybox:1")
    if use == "environment":
        lines.append(f"    environment: {{BOMB: {top}}}")
    elif use == "extension":
        lines.append(f"    x-bomb: {top}")
    elif use == "merge":
        lines.append(f"    labels: {{<<: {{k: {top}}}}}")
    lines.append("  child:\n    extends: base")
    lines.append("  grandchild:\n    extends: child")
    return "\n".join(lines) + "\n"


def test_alias_bombs_stay_within_budgets(workdir: Path) -> None:
    """Alias bombs through environment, x- extensions, merge keys and extends: bounded."""
    stats = FuzzStats("alias bombs")

    @fuzz_settings(BOMB_EXAMPLES)
    @given(
        width=st.integers(1, 12),
        depth=st.integers(1, 12),
        use=st.sampled_from(["environment", "extension", "merge"]),
    )
    def run(width: int, depth: int, use: str) -> None:
        # Untraced (peak-RSS growth): tracemalloc doubled the time of these allocation storms.
        bomb = _bomb(width, depth, use)
        stats.add(*check_example(workdir, [bomb], "A=1\n", "orch-fuzz", traced=False))

    run()
    stats.report()
    assert stats.outcomes.get("refused", 0) > 0, "no bomb was big enough to be refused"
