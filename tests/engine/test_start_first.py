"""Start-first updates on a real engine, watched by an HTTP probe over the project network.

The probe container asks, every ~50 ms, both the service alias (``web``, answered by every
container of the service) and the old container's own name (``<project>-web-1``, which the new
container only takes at the end) and logs ``ok <host> <version>`` or ``FAIL <host>``. Ports are
not published: two containers cannot publish one host port, and start-first is refused there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from stacks import IMAGE, Stack, container_actions, wait_for

pytestmark = pytest.mark.engine

TEMPLATE = """
    services:
      web:
        image: {image}
        init: true
        command: ["sh", "-c", "mkdir -p /www && echo $$V > /www/index.html && exec httpd -f -p 80 -h /www"]
        environment: {{V: "{version}"}}
        healthcheck: {{test: ["CMD-SHELL", "{check}"], interval: 1s, timeout: 1s, retries: 2}}
        deploy: {{update_config: {{order: start-first}}}}
      probe:
        image: {image}
        init: true
        command: ["sh", "-c", "while true; do for h in web {name}; do if timeout 3 wget -q -O /tmp/o http://$$h/ 2>/dev/null; then echo ok $$h $$(cat /tmp/o); else echo FAIL $$h; fi; done; sleep 0.05; done"]
"""  # noqa: E501
SERVES = "wget -q -O /dev/null http://localhost/"


@pytest.fixture
def stack(docker_client: Any, project_name: str, tmp_path: Path) -> Stack:
    return Stack(docker_client, project_name, tmp_path)


def version(stack: Stack, v: str, check: str = SERVES) -> Stack:
    return stack.write(TEMPLATE.format(image=IMAGE, version=v, check=check, name=stack.name("web")))


def probe_log(stack: Stack) -> list[str]:
    raw = stack.client.api.logs(stack.name("probe"), stdout=True, stderr=True)
    return raw.decode(errors="replace").splitlines()


def running_probe(stack: Stack) -> int:
    """Wait until the probe has seen v1 on both hosts; the number of log lines so far."""
    old = stack.name("web")
    wait_for(lambda: {"ok web v1", f"ok {old} v1"} <= set(probe_log(stack)), timeout=30)
    return len(probe_log(stack))


def test_a_healthy_new_container_starts_before_the_old_one_stops(stack: Stack) -> None:
    version(stack, "v1").up("--wait")
    old_id = stack.containers()[stack.name("web")]["Id"]
    running_probe(stack)
    result, events = version(stack, "v2").up_watched()
    assert result.rc == 0, str(result)
    web = stack.containers()[stack.name("web")]
    assert web["Id"] != old_id and web["State"] == "running"
    assert set(stack.containers()) == {stack.name("web"), stack.name("probe")}
    actions = container_actions(events)
    temp = next(name for action, name in actions if action == "start")
    assert temp.startswith(stack.name("web") + "-new-")
    order = [(a, n) for a, n in actions if a in ("start", "kill", "die", "rename")]
    assert order.index(("start", temp)) < order.index(("die", stack.name("web")))
    wait_for(lambda: f"ok {stack.name('web')} v2" in probe_log(stack), timeout=15)
    assert stack.run("plan").rc == 0


def test_a_failing_new_container_is_rolled_back_and_the_old_one_keeps_serving(
    stack: Stack,
) -> None:
    version(stack, "v1").up("--wait")
    old = stack.containers()[stack.name("web")]
    mark = running_probe(stack)
    result, events = version(stack, "v2", check="false").up_watched()
    assert result.rc == 1, str(result)
    assert "update of web rolled back: " in result.err and "is unhealthy" in result.err
    after = stack.containers()
    assert set(after) == {stack.name("web"), stack.name("probe")}
    assert after[stack.name("web")]["Id"] == old["Id"]
    assert after[stack.name("web")]["State"] == "running"
    touched = {name for action, name in container_actions(events) if action in ("kill", "die")}
    assert stack.name("web") not in touched  # only the new container was stopped
    assert any(name.startswith(stack.name("web") + "-new-") for name in touched)
    during = probe_log(stack)[mark:]
    old_name = stack.name("web")
    assert f"ok {old_name} v1" in during
    assert [line for line in during if line.startswith(f"FAIL {old_name}")] == []
    assert not any(line.startswith(f"ok {old_name} v2") for line in during)
