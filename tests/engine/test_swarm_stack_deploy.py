"""The Swarm mapping against the oracle: ``docker stack deploy`` of the same file.

For each case the file is deployed twice on the private single-node swarm: by ``docker stack
deploy --resolve-image never`` under one name, then (after ``docker stack rm``, so ingress
ports are free again) by orchestra's mapping under another: ``swarm_network_specs``,
``swarm_object_specs`` and ``swarm_service_specs`` turned into Engine API bodies by
``docker_swarm_convert`` and POSTed as they are. Then ``docker service inspect``'s ``Spec`` of
every service is compared field by field, and so are the networks, secrets and configs.

What is normalised away, on both sides (``_normalise``), and why:
1. The project/stack name becomes ``<p>``, a network ``Target`` ID its name, and secret/config
   IDs are dropped: they differ by construction.
2. orchestra's own labels (``com.docker.compose.project``/``service``/``volume``/``network``/
   ``secret``/``config`` and ``io.orchestra.*``): its state, which stack deploy does not write.
3. The ``-<10 hex>`` version suffix of a created secret/config name: orchestra versions them so
   a changed value rolls the service (stack deploy cannot change a value in use).
4. An all-empty ``Privileges`` (the CLI sends one with every field unset; the engine stores it).
Every other difference is in ``DELIBERATE`` with its reason (docs/swarm.md repeats them).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from swarm_daemon import SwarmDaemon

from orchestra.api_load import load_project
from orchestra.engine.docker_network_body import network_create_body
from orchestra.engine.docker_swarm_convert import object_body, service_body
from orchestra.plan.swarm_capabilities import check_swarm
from orchestra.plan.swarm_spec import (
    swarm_network_specs,
    swarm_object_specs,
    swarm_service_specs,
)

pytestmark = [pytest.mark.engine, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = [
    FIXTURES / "swarm-full",
    *(
        FIXTURES / "valid" / name
        for name in (
            "deploy",
            "dns",
            "healthcheck_forms",
            "labels_list_map",
            "logging",
            "process_settings",
            "restart_policies",
            "sysctls",
            "tmpfs_read_only",
            "volumes_short",
            "volumes_top_level",
        )
    ),
]

_NO_RESTART = "restart: 'no' stays no restart (stack deploy leaves Swarm's default: any)"
_TMPFS = "service-level tmpfs: entries are mounted (stack deploy drops them silently)"
# case -> {dotted path prefix of a service spec: why orchestra differs}
DELIBERATE: dict[str, dict[str, str]] = {
    "swarm-full": {
        "services.plain.TaskTemplate.RestartPolicy.Condition": _NO_RESTART,
        "services.web.TaskTemplate.ContainerSpec.Mounts": _TMPFS,
    },
    "restart_policies": {"services.never.TaskTemplate.RestartPolicy.Condition": _NO_RESTART},
    "tmpfs_read_only": {
        "services.single.TaskTemplate.ContainerSpec.Mounts": _TMPFS,
        "services.many.TaskTemplate.ContainerSpec.Mounts": _TMPFS,
    },
}

_OWN_LABEL = re.compile(
    r"^(io\.orchestra\.|com\.docker\.compose\.(project|service|volume|network|secret|config)$)"
)
_VERSION = re.compile(r"-[0-9a-f]{10}$")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=60)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self._path)
        self.sock = sock


def _post(swarm: SwarmDaemon, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST JSON to the private swarm's Engine API; the decoded answer."""
    connection = _UnixConnection(str(swarm.socket))
    try:
        connection.request(
            "POST", f"/v1.41{path}", json.dumps(body), {"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    assert response.status < 300, f"POST {path}: {response.status} {data!r}"
    answer: dict[str, Any] = json.loads(data) if data else {}
    return answer


def _inspect(swarm: SwarmDaemon, kind: str, namespace: str) -> dict[str, Any]:
    """Every ``kind`` object of the stack ``namespace``, by name, as ``docker inspect`` says."""
    listed = swarm.docker(
        kind, "ls", "-q", "--filter", f"label=com.docker.stack.namespace={namespace}"
    )
    ids = listed.stdout.split()
    if not ids:
        return {}
    shown = swarm.docker(kind, "inspect", *ids)
    assert shown.returncode == 0, shown.stderr
    found = {}
    for item in json.loads(shown.stdout):
        spec = item.get("Spec") or {
            k: item.get(k) for k in ("Name", "Driver", "Attachable", "Internal", "Labels")
        }
        if kind == "network":
            spec["Options"] = {
                k: v for k, v in (item.get("Options") or {}).items() if "vxlanid" not in k
            }
        spec.pop("Data", None)
        found[spec["Name"]] = spec
    return found


def _network_names(swarm: SwarmDaemon) -> dict[str, str]:
    shown = swarm.docker("network", "ls", "--no-trunc", "--format", "{{.ID}} {{.Name}}")
    return dict(line.split(" ", 1) for line in shown.stdout.splitlines())


def _snapshot(swarm: SwarmDaemon, namespace: str) -> dict[str, Any]:
    ids = _network_names(swarm)
    raw = {
        "services": _inspect(swarm, "service", namespace),
        "networks": _inspect(swarm, "network", namespace),
        "secrets": _inspect(swarm, "secret", namespace),
        "configs": _inspect(swarm, "config", namespace),
    }
    renamed = {
        section: {
            _VERSION.sub("", name.removeprefix(f"{namespace}_")): item
            for name, item in items.items()
        }
        for section, items in raw.items()
    }
    normalised: dict[str, Any] = _normalise(renamed, namespace, ids)
    return normalised


def _normalise(value: Any, namespace: str, ids: dict[str, str], key: str = "") -> Any:
    """Rules 1-4 of the module docstring (and the order of secret/config references)."""
    if isinstance(value, dict):
        out = {}
        for name, item in value.items():
            if name in ("SecretID", "ConfigID") or (key == "Labels" and _OWN_LABEL.match(name)):
                continue
            if name == "Privileges" and not any(item.values()):
                continue
            out[name] = _normalise(item, namespace, ids, name)
        return out
    if isinstance(value, list):
        items = [_normalise(item, namespace, ids, key) for item in value]
        # stack deploy orders two references to one object at random (an unstable sort)
        return sorted(items, key=json.dumps) if key in ("Secrets", "Configs") else items
    if isinstance(value, str):
        if key == "Target" and value in ids:
            value = ids[value]
        value = value.replace(namespace, "<p>")
        return _VERSION.sub("", value) if key in ("SecretName", "ConfigName", "Name") else value
    return value


def _diff(oracle: Any, mine: Any, path: str = "") -> list[str]:
    if isinstance(oracle, dict) and isinstance(mine, dict):
        lines = []
        for key in sorted(set(oracle) | set(mine)):
            sub = f"{path}.{key}" if path else key
            if key not in mine:
                lines.append(f"{sub}: missing in orchestra (oracle={oracle[key]!r})")
            elif key not in oracle:
                lines.append(f"{sub}: only in orchestra ({mine[key]!r})")
            else:
                lines += _diff(oracle[key], mine[key], sub)
        return lines
    if isinstance(oracle, list) and isinstance(mine, list) and len(oracle) == len(mine):
        return [
            line
            for i, (a, b) in enumerate(zip(oracle, mine, strict=True))
            for line in _diff(a, b, f"{path}[{i}]")
        ]
    return [] if oracle == mine else [f"{path}: oracle={oracle!r} orchestra={mine!r}"]


def _wait_gone(swarm: SwarmDaemon, namespace: str, timeout: float = 180) -> None:
    """Until the stack's services and networks are gone (its ingress ports are free again)."""
    deadline = time.monotonic() + timeout
    flt = f"label=com.docker.stack.namespace={namespace}"
    while time.monotonic() < deadline:
        left = swarm.docker("service", "ls", "-q", "--filter", flt).stdout.split()
        left += swarm.docker("network", "ls", "-q", "--filter", flt).stdout.split()
        if not left:
            return
        time.sleep(0.5)
    raise AssertionError(f"stack {namespace} still has {left} after {timeout} s")


@contextlib.contextmanager
def _stack(swarm: SwarmDaemon, directory: Path) -> Iterator[str]:
    """``docker stack deploy`` of the case under a fresh name, removed on exit."""
    namespace = f"st{uuid.uuid4().hex[:8]}"
    try:
        done = swarm.docker(
            "stack",
            "deploy",
            "--resolve-image",
            "never",
            "-c",
            str(directory / "compose.yaml"),
            namespace,
        )
        assert done.returncode == 0, done.stderr
        yield namespace
    finally:
        swarm.docker("stack", "rm", namespace)
        _wait_gone(swarm, namespace)


def _deploy_mine(swarm: SwarmDaemon, directory: Path, project_name: str) -> None:
    """orchestra's mapping of the case, POSTed as the adapter would send it."""
    project = load_project(directory / "compose.yaml", project_name=project_name)
    check_swarm(project)
    for network in swarm_network_specs(project).values():
        _post(swarm, "/networks/create", network_create_body(network))
    ids = {}
    for item in swarm_object_specs(project).values():
        ids[item.name] = _post(swarm, f"/{item.kind}s/create", object_body(item))["ID"]
    for service in swarm_service_specs(project).values():
        _post(swarm, "/services/create", service_body(service, ids))


def _drop_deliberate(lines: list[str], case: str) -> list[str]:
    prefixes = DELIBERATE.get(case, {})
    return [line for line in lines if not any(line.startswith(p) for p in prefixes)]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_service_specs_match_stack_deploy(
    case: Path, swarm: SwarmDaemon, swarm_project: str
) -> None:
    with _stack(swarm, case) as namespace:
        oracle = _snapshot(swarm, namespace)
    assert oracle["services"], f"stack deploy of {case.name} created no service"
    _deploy_mine(swarm, case, swarm_project)
    lines = _diff(oracle, _snapshot(swarm, swarm_project))
    left = _drop_deliberate(lines, case.name)
    assert not left, f"{case.name}: {len(left)} field(s) differ:\n" + "\n".join(left)
    # A listed difference that no longer shows (stack deploy or orchestra changed) is stale.
    stale = [p for p in DELIBERATE.get(case.name, {}) if not any(x.startswith(p) for x in lines)]
    assert not stale, f"{case.name}: listed as different but equal now: {stale}"


def _task_container(swarm: SwarmDaemon, service: str, timeout: float = 90) -> str:
    """The id of the running container of ``service``'s task on the private swarm."""
    deadline = time.monotonic() + timeout
    flt = f"label=com.docker.swarm.service.name={service}"
    while time.monotonic() < deadline:
        found = swarm.docker("ps", "-q", "--filter", flt).stdout.split()
        if found:
            return found[0]
        time.sleep(0.5)
    tasks = swarm.docker("service", "ps", "--no-trunc", service).stdout
    raise AssertionError(f"no running task of {service} after {timeout} s:\n{tasks}")


def test_a_mapped_service_runs_with_its_files_and_names(
    swarm: SwarmDaemon, swarm_project: str
) -> None:
    """Beyond equal specs: the task sees secrets and configs with the asked owner, mode and
    content, its tmpfs entry, and the container_name as a network alias."""
    _deploy_mine(swarm, FIXTURES / "swarm-files", swarm_project)
    container = _task_container(swarm, f"{swarm_project}_app")
    script = (
        "stat -c '%a %u %g' /run/secrets/other /etc/app/token /etc/greeting;"
        "cat /run/secrets/other; echo; cat /etc/app/token; echo; cat /etc/greeting; echo;"
        "grep -c ' /scratch tmpfs ' /proc/mounts; nslookup legacy-app >/dev/null && echo alias"
    )
    shown = swarm.docker("exec", container, "sh", "-c", script)
    assert shown.stdout.splitlines() == [
        "444 0 0",
        "400 1000 1001",
        "440 0 0",
        "sec0nd",
        "tok3n",
        "hello from a config",
        "1",
        "alias",
    ], shown.stdout + shown.stderr
    policy = swarm.docker(
        "service",
        "inspect",
        f"{swarm_project}_app",
        "--format",
        "{{.Spec.TaskTemplate.RestartPolicy.Condition}}",
    )
    assert policy.stdout.strip() == "none"  # restart: "no" keeps its meaning
