"""``orchestra plan`` on a real engine: exit codes, per-field diffs, saved plans and staleness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, Stack, mutations

pytestmark = pytest.mark.engine

APP = """
    services:
      db:
        image: {image}
        command: sleep 600
        init: true
      web:
        image: {image}
        command: sleep 600
        init: true
        environment: {{DB_HOST: {host}}}
        depends_on: [db]
"""


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


def app(stack: Stack, host: str = "db") -> Stack:
    return stack.write(APP.format(image=IMAGE, host=host))


def test_exit_codes_follow_terraform_detailed_exitcode(stack: Stack) -> None:
    fresh = app(stack).run("plan")
    assert fresh.rc == 2, str(fresh)
    assert "container:web:1 CREATE (not found)" in fresh.out
    stack.up()
    converged = stack.run("plan")
    assert (converged.rc, converged.out.strip()) == (0, "nothing to do")
    stack.file.write_text("services:\n  web:\n    image: [not, a, string]\n")
    broken = stack.run("plan")
    assert broken.rc == 1, str(broken)
    assert broken.err.startswith("error: ") and "Traceback" not in broken.err


def test_plan_shows_the_changed_field_and_json_carries_it(stack: Stack) -> None:
    app(stack).up()
    app(stack, host="db2")
    text = stack.run("plan")
    assert text.rc == 2, str(text)
    assert "container:web:1 STOP (config changed: environment.DB_HOST)" in text.out
    assert '    ~ environment.DB_HOST: "db" → "db2"' in text.out.splitlines()
    data = json.loads(stack.run("plan", "--format", "json").out)
    (create,) = [op for op in data["ops"] if op["kind"] == "create_container"]
    assert create["params"]["diff"] == [
        {"path": "environment.DB_HOST", "desired": "db2", "observed": "db"}
    ]


def test_up_plan_applies_exactly_the_saved_plan(stack: Stack, tmp_path: Path) -> None:
    app(stack).up()
    app(stack, host="db2")
    saved = tmp_path / "plan.json"
    saved.write_text("{}")
    saved.chmod(0o644)
    assert stack.run("plan", "-o", str(saved)).rc == 2
    assert saved.stat().st_mode & 0o777 == 0o600, "a saved plan may hold secret values"
    app(stack, host="ignored")  # the saved plan, not the files, says what to do now
    result, events = stack.up_watched("--plan", str(saved))
    assert result.rc == 0, str(result)
    web = stack.name("web")
    assert {name for _, name in mutations(events)} == {web}
    assert "DB_HOST=db2" in stack.inspect(web)["Config"]["Env"]
    assert app(stack, host="db2").run("plan").rc == 0


def test_up_plan_refuses_a_plan_the_engine_moved_away_from(stack: Stack, tmp_path: Path) -> None:
    app(stack).up()
    app(stack, host="db2")
    saved = tmp_path / "plan.json"
    assert stack.run("plan", "-o", str(saved)).rc == 2
    stack.client.api.stop(stack.name("db"), timeout=1)
    result, events = stack.up_watched("--plan", str(saved))
    assert result.rc == 1, str(result)
    assert result.err.strip() == (
        f"error: the engine changed since the plan was made: container {stack.name('db')} "
        "stopped; run orchestra plan again"
    )
    assert mutations(events) == []


def test_up_plan_takes_no_planning_options_and_checks_the_project(
    stack: Stack, tmp_path: Path
) -> None:
    app(stack)
    saved = tmp_path / "plan.json"
    assert stack.run("plan", "-o", str(saved)).rc == 2
    mixed = stack.run("up", "--plan", str(saved), "--force-recreate", "web")
    assert mixed.rc == 2
    assert "--plan applies the saved plan as it is; drop --force-recreate, --services" in mixed.err
    other = Stack(stack.client, f"{stack.project}-x", stack.directory)
    wrong = other.run("up", "--plan", str(saved))
    assert wrong.rc == 2
    assert f"is a plan for project {stack.project}, not {other.project}" in wrong.err
    assert stack.containers() == {}
