"""Secrets and configs on the real engine (issue 7, promise 6).

Every source kind (``file``, ``environment``, ``content``) ends up as a file in the container
with the owner and mode asked for (``stat -c`` in busybox); where ``docker compose`` defines the
result (environment secrets, content configs) the same file gives the same ``stat`` lines under
the oracle. No secret value appears in the container's labels, its environment, the engine's
mounts, or anything orchestra prints (progress, ``plan``, ``config``, errors); a changed value
recreates the container. ``content:`` on a *secret* is orchestra's extension (compose allows it
on configs only), so it is checked against orchestra alone.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from oracle import clean_env, oracle_binary
from stacks import IMAGE, Stack, exec_in, mutations

pytestmark = pytest.mark.engine

STAT = 'stat -c "%n %u %g %a %s" '

ALL_KINDS = """
    services:
      app:
        image: @IMAGE@
        command: sleep 600
        init: true
        environment:
          DB_PASSWORD: "@USER_ENV@"
        secrets:
          - from_file
          - {source: from_file, target: owned, uid: "100", gid: "101", mode: 0400}
          - {source: from_env, target: /run/secrets/env_one, uid: "7", mode: 0440}
          - from_content
        configs:
          - {source: conf, target: /etc/app/app.conf, uid: "33", gid: "33", mode: 0600}
          - conf_env
    secrets:
      from_file: {file: ./secret.txt}
      from_env: {environment: APP_SECRET}
      from_content: {content: "@CONTENT@"}
    configs:
      conf: {file: ./app.conf}
      conf_env: {environment: APP_SECRET}
"""

# Only what compose supports without Swarm and copies into the container itself.
ORACLE_KINDS = f"""
    services:
      app:
        image: {IMAGE}
        command: sleep 600
        init: true
        secrets:
          - plain
          - {{source: plain, target: custom, uid: "100", gid: "101", mode: 0400}}
        configs:
          - inline
          - {{source: inline, target: /deep/dir/inline, uid: "7", mode: 0440}}
    secrets:
      plain: {{environment: APP_SECRET}}
    configs:
      inline: {{content: "config-body"}}
"""
ORACLE_PATHS = "/run/secrets/plain /run/secrets/custom /inline /deep /deep/dir /deep/dir/inline"


def token(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex}"


@pytest.fixture
def values() -> dict[str, str]:
    return {name: token(name) for name in ("file", "env", "content", "conf", "user_env")}


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path, values: dict[str, str]) -> Stack:
    (tmp_path / "secret.txt").write_text(values["file"])
    (tmp_path / "app.conf").write_text(values["conf"])
    result = Stack(docker_client, project_name, tmp_path, env={"APP_SECRET": values["env"]})
    text = ALL_KINDS.replace("@IMAGE@", IMAGE).replace("@USER_ENV@", values["user_env"])
    return result.write(text.replace("@CONTENT@", values["content"]))


def secret_values(values: dict[str, str]) -> list[str]:
    """The values that must never show (the user's own env var is theirs to expose)."""
    return [v for k, v in values.items() if k != "user_env"]


def assert_hidden(text: str, values: dict[str, str], where: str) -> None:
    leaked = [v for v in secret_values(values) if v in text]
    assert leaked == [], f"{where} shows secret values {leaked}:\n{text}"


def test_every_source_kind_is_a_file_with_its_owner_and_mode(
    stack: Stack, values: dict[str, str]
) -> None:
    result = stack.up()
    assert_hidden(result.out + result.err, values, "up's progress output")
    name = stack.name("app")
    code, out = exec_in(
        stack.client, name, "sh", "-c", STAT + "/run/secrets/* /etc/app/app.conf /conf_env"
    )
    assert code == 0, out
    assert out.splitlines() == [
        f"/run/secrets/env_one 7 0 440 {len(values['env'])}",
        f"/run/secrets/from_content 0 0 444 {len(values['content'])}",
        f"/run/secrets/from_file 0 0 444 {len(values['file'])}",
        f"/run/secrets/owned 100 101 400 {len(values['file'])}",
        f"/etc/app/app.conf 33 33 600 {len(values['conf'])}",
        f"/conf_env 0 0 444 {len(values['env'])}",
    ]
    for path, key in [
        ("/run/secrets/from_file", "file"),
        ("/run/secrets/owned", "file"),
        ("/run/secrets/env_one", "env"),
        ("/run/secrets/from_content", "content"),
        ("/etc/app/app.conf", "conf"),
    ]:
        assert exec_in(stack.client, name, "cat", path) == (0, values[key]), path


def test_the_engine_holds_no_secret_value_outside_the_files(
    stack: Stack, values: dict[str, str]
) -> None:
    stack.up()
    details = stack.inspect(stack.name("app"))
    assert_hidden(json.dumps(details["Config"]["Labels"]), values, "the labels")
    assert_hidden(json.dumps(details["Config"]["Env"]), values, "the environment")
    assert_hidden(json.dumps(details["HostConfig"]), values, "the host config")
    assert details["Mounts"] == []  # copied in, not bound: the host paths stay private
    # The user's own environment variable is theirs: it is in the container, as asked.
    assert f"DB_PASSWORD={values['user_env']}" in details["Config"]["Env"]


def test_plan_and_config_mask_values_unless_asked(stack: Stack, values: dict[str, str]) -> None:
    for args in (
        ("plan",),
        ("plan", "--format", "json"),
        ("config",),
        ("config", "--format", "json"),
    ):
        result = stack.run(*args)
        assert result.rc in (0, 2), result
        assert_hidden(result.out + result.err, values, " ".join(args))
        assert values["user_env"] not in result.out, args  # a *PASSWORD* variable is masked
        if args != ("plan",):  # a new container's text plan shows no values at all
            assert "********" in result.out, args
    shown = stack.run("config", "--show-secrets")
    assert values["user_env"] in shown.out and values["content"] in shown.out
    plan_json = stack.run("plan", "--format", "json", "--show-secrets").out
    assert values["user_env"] in plan_json


def test_a_changed_secret_value_recreates_the_container(
    stack: Stack, values: dict[str, str]
) -> None:
    stack.up()
    before = stack.inspect(stack.name("app"))["Id"]
    assert stack.run("plan").rc == 0  # converged: nothing to do
    changed = token("env2")
    plan = stack.run("plan", env={"APP_SECRET": changed})
    assert plan.rc == 2 and "secrets[2].digest" in plan.out, plan
    assert_hidden(plan.out + plan.err, {**values, "env2": changed}, "the recreate plan")
    stack.env["APP_SECRET"] = changed
    stack.up()
    after = stack.inspect(stack.name("app"))["Id"]
    assert after != before
    assert exec_in(stack.client, stack.name("app"), "cat", "/run/secrets/env_one") == (0, changed)
    (stack.directory / "secret.txt").write_text("rotated")
    assert "secrets[0].digest" in stack.run("plan").out


def test_an_unreadable_secret_fails_before_any_change(stack: Stack, values: dict[str, str]) -> None:
    (stack.directory / "secret.txt").unlink()
    stack.env.pop("APP_SECRET")
    result, events = stack.up_watched()
    assert result.rc == 2, result
    assert "secret from_file: file " in result.err and "does not exist" in result.err
    assert "secret from_env: environment variable APP_SECRET is not set" in result.err
    assert "Traceback" not in result.err
    assert mutations(events) == [] and stack.containers() == {}


def _stat_lines(client: Any, container: str) -> list[str]:
    code, out = exec_in(client, container, "sh", "-c", STAT + ORACLE_PATHS)
    assert code == 0, out
    return out.replace(container, "<c>").splitlines()


def test_owner_and_mode_match_docker_compose(docker_client: Any, stack: Stack) -> None:
    stack.write(ORACLE_KINDS)
    stack.up()
    mine = _stat_lines(docker_client, stack.name("app"))
    oracle_project = f"{stack.project}-oracle"
    command = [str(oracle_binary()), "-p", oracle_project, "-f", str(stack.file)]
    env = clean_env(stack.env)
    try:
        up = subprocess.run([*command, "up", "-d"], env=env, capture_output=True, timeout=120)
        assert up.returncode == 0, up.stderr.decode()
        theirs = _stat_lines(docker_client, f"{oracle_project}-app-1")
    finally:
        subprocess.run([*command, "down", "-t", "0"], env=env, capture_output=True, timeout=120)
    assert mine == theirs
    assert mine[1].split()[1:4] == ["100", "101", "400"]
