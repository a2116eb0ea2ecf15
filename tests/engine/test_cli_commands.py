"""The commands around ``up``: ``ps`` (table and JSON), ``logs --tail``, ``exec``,
``start``/``stop``/``restart`` and ``ls``, each checked against the engine's own view.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from stacks import (
    IMAGE,
    SLEEPER,
    Stack,
    container_actions,
    free_port,
    orchestra_binary,
    wait_for,
)

pytestmark = pytest.mark.engine


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


def ps_stack(stack: Stack, port: int) -> None:
    stack.write(f"""
        services:
          db:
            {SLEEPER}
            mem_limit: 40m
            cpu_shares: 300
            healthcheck:
              test: ["CMD", "true"]
              interval: 500ms
          web:
            image: {IMAGE}
            command: sh -c 'echo hi > /tmp/i; exec httpd -f -p 80 -h /tmp'
            stop_signal: SIGKILL
            ports: ["127.0.0.1:{port}:80"]
            depends_on:
              db: {{condition: service_healthy}}
    """)


def test_ps_table_and_json(stack: Stack) -> None:
    port = free_port()
    ps_stack(stack, port)
    stack.up()
    rows = json.loads(stack.ok("ps", "--format", "json", "--limits").out)
    by_service = {row["service"]: row for row in rows}
    assert set(by_service) == {"db", "web"}
    db, web = by_service["db"], by_service["web"]
    assert (db["name"], db["state"], db["health"]) == (stack.name("db"), "running", "healthy")
    assert db["limits"]["memory"] == 40 * 1024 * 1024
    assert db["limits"]["cpu_shares"] == 300
    assert (web["state"], web["health"]) == ("running", None)
    assert any(f"127.0.0.1:{port}->80" in p for p in web["ports"]), web["ports"]
    # Without --limits: the same rows from the list call alone, no limits.
    quick = json.loads(stack.ok("ps", "--format", "json").out)
    assert [{k: v for k, v in row.items() if k != "limits"} for row in rows] == quick

    table = stack.ok("ps").out.splitlines()
    assert table[0].split() == ["NAME", "SERVICE", "STATUS", "PORTS"]
    db_line = next(line for line in table if line.startswith(stack.name("db")))
    assert "running" in db_line and "healthy" in db_line
    web_line = next(line for line in table if line.startswith(stack.name("web")))
    assert f"127.0.0.1:{port}->80" in web_line


def test_logs_tail_prefixes_each_line(stack: Stack) -> None:
    stack.write(f"""
        services:
          talker:
            image: {IMAGE}
            command: sh -c 'for i in 1 2 3 4 5; do echo line$$i; done; exec sleep 600'
            init: true
          quiet:
            {SLEEPER}
    """)
    stack.up()
    talker = stack.client.containers.get(stack.name("talker"))
    wait_for(lambda: b"line5" in talker.logs())
    out = stack.ok("logs", "--tail", "2", "--no-color").out.splitlines()
    assert [line.split("|", 1)[1].strip() for line in out] == ["line4", "line5"], out
    assert all(line.startswith("talker-1") for line in out), out
    bare = stack.ok("logs", "--tail", "1", "--no-log-prefix", "talker").out
    assert bare == "line5\n"


def test_exec_passes_output_and_exit_code_through(stack: Stack) -> None:
    stack.write(f"""
        services:
          app:
            {SLEEPER}
            environment: {{GREETING: hello}}
    """)
    stack.up()
    result = stack.run("exec", "app", "sh", "-c", 'echo "$GREETING"; echo oops >&2; exit 7')
    assert result.rc == 7, str(result)
    assert result.out == "hello\n" and "oops" in result.err
    assert stack.ok("exec", "-e", "X=42", "app", "sh", "-c", "echo $X").out == "42\n"
    missing = stack.run("exec", "nosuch", "true")
    assert missing.rc != 0 and "Traceback" not in missing.err, str(missing)


def test_stop_start_restart(stack: Stack) -> None:
    stack.write(f"""
        services:
          db:
            {SLEEPER}
          web:
            {SLEEPER}
            depends_on: [db]
    """)
    stack.up()
    db, web = stack.name("db"), stack.name("web")
    ids = {name: c["Id"] for name, c in stack.containers().items()}

    since = time.time()
    stack.ok("stop")
    assert stack.running() == set()
    actions = container_actions(stack.events_since(since))
    assert actions.index(("die", web)) < actions.index(("die", db)), actions

    since = time.time()
    stack.ok("start")
    assert stack.running() == {db, web}
    actions = container_actions(stack.events_since(since))
    assert actions.index(("start", db)) < actions.index(("start", web)), actions

    started = stack.inspect(db)["State"]["StartedAt"]
    stack.ok("restart", "db")
    assert stack.inspect(db)["State"]["StartedAt"] > started
    assert stack.running() == {db, web}
    assert {name: c["Id"] for name, c in stack.containers().items()} == ids


def test_ls_lists_the_project_with_its_states(stack: Stack) -> None:
    stack.write(f"""
        services:
          a:
            {SLEEPER}
          b:
            {SLEEPER}
    """)
    stack.up()
    stack.ok("stop", "b")
    rows = json.loads(stack.ok("ls", "--format", "json").out)
    mine = [row for row in rows if row["name"] == stack.project]
    assert len(mine) == 1, rows
    assert "running(1)" in mine[0]["status"] and "exited(1)" in mine[0]["status"], mine
    table = stack.ok("ls").out
    assert any(line.split()[0] == stack.project for line in table.splitlines()[1:]), table


def test_logs_follow_reads_every_container_until_ctrl_c(stack: Stack) -> None:
    stack.write(f"""
        services:
          one:
            image: {IMAGE}
            command: sh -c 'while true; do echo tick-one; sleep 0.3; done'
            init: true
          two:
            image: {IMAGE}
            command: sh -c 'while true; do echo tick-two; sleep 0.3; done'
            init: true
    """)
    stack.up()
    command = ["-p", stack.project, "-f", str(stack.file), "logs", "-f", "--no-color"]
    process = subprocess.Popen(
        [orchestra_binary(), *command],
        cwd=stack.directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[str] = set()
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while seen != {"one-1", "two-1"} and time.monotonic() < deadline:
            line = process.stdout.readline()
            if "|" in line:
                seen.add(line.split("|", 1)[0].strip())
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert seen == {"one-1", "two-1"}, seen
    assert process.returncode == 130 and "Traceback" not in err, err
