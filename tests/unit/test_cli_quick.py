"""``cli.quick`` reads exactly what the typer app reads, and defers everything else to it.

The quick grammar is a second reading of the command line: each case here is parsed by both
it and the typer app's click commands (``make_context``, which parses and converts without
running anything), and every value the quick path uses must be the same. Lines outside the
grammar must come back as None, so that the typer app runs them; a line inside it that fails
must fail exactly as it does through the app. (That both paths make the same changes on the
engine is shown by the engine tests, which run the CLI through ``main``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main

from orchestra.cli import main, quick
from orchestra.cli.app import app
from orchestra.cli.options import GlobalOptions
from orchestra.cli.quick import answer, parse

QUICK_LINES = [
    ["up"],
    ["up", "-d"],
    ["-f", "a.yaml", "-f", "b.yaml", "-p", "demo", "up", "-d", "web", "db"],
    ["--file=a.yaml", "--project-name=demo", "--project-directory", "/srv", "up", "--detach"],
    ["--env-file", "x.env", "--env-file=y.env", "--profile", "debug", "up", "--wait"],
    ["-p", "one", "-p", "two", "up", "web", "--no-deps", "--remove-orphans", "--no-recreate"],
    ["up", "--wait", "--wait-timeout", "30", "--progress", "plain", "-q", "--no-wait"],
    ["up", "--wait-timeout=2.5", "--progress=quiet", "--quiet", "web"],
    ["ps"],
    ["-p", "demo", "ps", "--format", "json"],
    ["ps", "-a", "web", "--format=table", "db", "--all"],
]

OTHER_LINES = [
    [],
    ["--help"],
    ["up", "--help"],
    ["-h"],
    ["--debug", "up"],
    ["--target", "container", "up"],
    ["up", "--dry-run"],
    ["up", "--force-recreate"],
    ["up", "--scale", "web=2"],
    ["up", "-dq"],
    ["up", "--", "web"],
    ["up", "--progress", "fancy"],
    ["up", "--detach=yes"],
    ["up", "--wait-timeout"],
    ["-p"],
    ["-p", "demo"],
    ["-fcompose.yaml", "up"],
    ["ps", "--limits"],
    ["down"],
    ["config"],
    ["up", "-f", "other.yaml"],
]


def _click_params(argv: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The global and the command's parameters as the typer app parses ``argv``."""
    group: Any = typer.main.get_command(app)
    root = group.make_context("orchestra", list(argv))
    rest = [*getattr(root, "_protected_args", []), *root.args]
    name, command, args = group.resolve_command(root, rest)
    assert command is not None, name
    sub = command.make_context(name, args, parent=root)
    return root.params, sub.params


@pytest.mark.parametrize("argv", QUICK_LINES, ids=" ".join)
def test_the_quick_grammar_reads_what_the_typer_app_reads(argv: list[str]) -> None:
    parsed = parse(argv)
    assert parsed is not None
    roots, params = _click_params(argv)
    assert GlobalOptions.of_params(parsed.globals, parsed.command) == GlobalOptions.of_params(
        roots, parsed.command
    )
    assert parsed.services == list(params["services"] or [])
    for name, value in parsed.options.items():
        if name == "detach":
            continue  # accepted and ignored by both ("always on")
        clicked = params[name]
        expected = getattr(clicked, "value", clicked)  # the --progress enum by its value
        assert (float(value) if name == "wait_timeout" else value) == expected, name
    _, bare = _click_params([parsed.command])
    for name, value in params.items():
        if name not in parsed.options and name != "services":
            assert value == bare[name], (
                f"{name}={value!r} given to typer, not read by the quick path"
            )


@pytest.mark.parametrize("argv", OTHER_LINES, ids=lambda a: " ".join(a) or "(nothing)")
def test_lines_outside_the_grammar_go_to_the_typer_app(argv: list[str]) -> None:
    assert parse(argv) is None


BAD_INPUTS = {
    "no file": None,
    "bad image": "services:\n  web:\n    image: [not, a, name]\n",
    "cycle": "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n",
}


@pytest.mark.parametrize("argv", [["up", "-d"], ["-p", "demo", "ps", "--format", "json"]])
@pytest.mark.parametrize("text", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_a_quick_command_fails_as_the_typer_app_does(
    argv: list[str],
    text: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ORCHESTRA_TARGET", raising=False)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    if text is not None:
        (tmp_path / "compose.yaml").write_text(text)
    outcomes = []
    for through_quick in (True, False):
        if not through_quick:  # the same line through the typer app
            monkeypatch.setattr("orchestra.cli.quick.parse", lambda argv: None)
        with pytest.raises(SystemExit) as ended:
            main(argv)
        outcomes.append((ended.value.code, capsys.readouterr()))
    assert outcomes[0] == outcomes[1]
    code, (out, err) = outcomes[0]
    assert code in (2, 3) and out == "" and err.startswith("error: ") and err.count("\n") == 1


def test_a_swarm_target_goes_to_the_typer_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: busybox\n")
    monkeypatch.setenv("ORCHESTRA_TARGET", "swarm")
    assert answer(["ps"]).done is False
    monkeypatch.delenv("ORCHESTRA_TARGET")
    (tmp_path / "compose.yaml").write_text(
        "x-orchestra: {target: swarm}\nservices:\n  web:\n    image: busybox\n"
    )
    handoff = answer(["-p", "demo", "up"])
    assert handoff.done is False
    # The app gets the project loaded with the same options: it does not read the files again.
    assert handoff.project is not None and handoff.project.name == "demo"
    assert list(handoff.project.services) == ["web"]
    assert capsys.readouterr() == ("", "")


def test_the_quick_defaults_are_the_typer_apps() -> None:
    _, bare = _click_params(["up"])
    assert bare["wait_timeout"] == quick._WAIT_TIMEOUT
    assert (str(bare["progress"]), bare["quiet"], bare["no_wait"]) == ("auto", False, False)
    _, listing = _click_params(["ps"])
    assert (listing["fmt"], listing["all_"], listing["limits"]) == ("table", False, False)
