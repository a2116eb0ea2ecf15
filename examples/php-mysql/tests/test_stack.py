"""The example's behaviour through orchestra's Python API: visits are counted and kept.

Every test gets the same session-scoped stack (``conftest.py``); each reads the counter before
and after what it does, so the tests do not depend on their order.
"""

from __future__ import annotations

import re
import urllib.request

import pytest

from orchestra import ContainerStatus, HealthStatus, SyncStack

pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.timeout(900)]

APP_PORT = 8080  # the port the app listens on inside its container
MEMORY_LIMIT = 500 * 1024 * 1024  # mem_limit: 500m in compose.yaml


def visits(stack: SyncStack) -> int:
    """Visit the app once and return the count it shows (this visit included)."""
    host, port = stack.port("app", APP_PORT)
    with urllib.request.urlopen(f"http://{host}:{port}/", timeout=10) as answer:
        assert answer.status == 200
        body = answer.read().decode()
    match = re.search(r"^visits: (\d+)$", body, re.MULTILINE)
    assert match, body
    return int(match.group(1))


def counted_in_db(stack: SyncStack) -> int:
    """The number of visits as the database itself counts them (a query inside ``db``)."""
    query = 'mariadb -N -u "$MARIADB_USER" -e "SELECT COUNT(*) FROM visits" "$MARIADB_DATABASE"'
    result = stack.exec("db", ["sh", "-c", f'MYSQL_PWD="$MARIADB_PASSWORD" {query}'])
    assert result.exit_code == 0, result.stderr
    return int(result.stdout.strip())


def test_each_visit_is_counted_once(stack: SyncStack) -> None:
    first = visits(stack)
    assert visits(stack) == first + 1
    assert counted_in_db(stack) == first + 1


def test_the_app_is_published_on_the_chosen_loopback_port(stack: SyncStack) -> None:
    host, port = stack.port("app", APP_PORT)
    assert host == "127.0.0.1"
    published = [p for c in stack.ps(["app"]) for p in c.ports]
    assert [(p.host_ip, p.host_port, p.container_port) for p in published] == [
        ("127.0.0.1", port, APP_PORT)
    ]


def test_visits_survive_down_and_up(stack: SyncStack) -> None:
    before = visits(stack)
    stack.down()  # keeps the named volume db-data
    assert stack.ps() == []
    stack.up()
    assert visits(stack) == before + 1


def test_both_services_are_healthy_and_the_app_is_limited(stack: SyncStack) -> None:
    stack.wait_healthy("db", timeout=60)
    containers = {c.service: c for c in stack.ps()}
    assert sorted(containers) == ["app", "db"]
    for container in containers.values():
        assert container.state is ContainerStatus.RUNNING
        assert container.health is HealthStatus.HEALTHY
    assert containers["app"].limits["memory"] == MEMORY_LIMIT
    assert containers["app"].limits["cpu_shares"] == 512


def test_a_second_up_has_nothing_to_do(stack: SyncStack) -> None:
    assert stack.plan().is_empty
