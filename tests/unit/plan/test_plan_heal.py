"""Golden plans of the watch-mode ("heal") rules of ``plan_up`` and the ``x-orchestra`` key."""

from __future__ import annotations

import re
import textwrap

import pytest
from planfix import container, converged, images_of, load, swap, without

from orchestra.engine.base import ContainerStatus, HealthStatus, Observed
from orchestra.errors import SpecError
from orchestra.plan.options import HealHints, UpOptions
from orchestra.plan.up import plan_up
from orchestra.spec.model import Project

EXITED = ContainerStatus.EXITED


def golden(text: str) -> str:
    return textwrap.dedent(text).strip()


NO_HINTS = HealHints()


def render(project: Project, observed: Observed, heal: HealHints | None = NO_HINTS) -> str:
    return plan_up(project, observed, images_of(project), UpOptions(heal=heal)).render()


DB_WEB = """
services:
  db:
    image: postgres:16
    healthcheck: {test: [CMD, pg_isready], interval: 2s}
  web:
    image: nginx:1
    depends_on: {db: {condition: service_healthy, restart: true}}
  api:
    image: nginx:1
    depends_on: {db: {condition: service_healthy}}
"""


def test_a_held_service_gets_no_op_while_others_are_healed() -> None:
    project = load(DB_WEB)
    observed = swap(
        converged(project),
        container(project, "db", status=EXITED),
        container(project, "api", status=EXITED),
    )
    assert render(project, observed, HealHints(hold=frozenset({"db"}))) == golden("""
        #1 container:db:1 WAIT healthy (api depends on db)
        [1] -> #2 container:api:1 START (stopped)
    """)


def test_a_held_service_is_not_created_either() -> None:
    project = load(DB_WEB)
    observed = without(converged(project), "demo-db-1")
    assert render(project, observed, HealHints(hold=frozenset({"db"}))) == ""


def test_a_completed_job_is_not_started_again_but_its_dependents_still_wait() -> None:
    project = load("""
        services:
          migrate: {image: busybox:1}
          app:
            image: nginx:1
            depends_on: {migrate: {condition: service_completed_successfully}}
    """)
    job = container(project, "migrate", status=EXITED)
    observed = swap(converged(project), job, container(project, "app", status=EXITED))
    done = HealHints(completed=frozenset({job.id}))
    assert render(project, observed, done) == golden("""
        #1 container:migrate:1 WAIT completed (app depends on migrate)
        [1] -> #2 container:app:1 START (stopped)
    """)
    assert "migrate:1 START" in render(project, observed, HealHints()), "not known completed"
    assert "migrate:1 START" in render(project, observed, None), "up re-runs jobs, as compose"


def test_a_completed_job_whose_config_changed_runs_again() -> None:
    project = load("services:\n  migrate: {image: busybox:1, command: [echo, v2]}\n")
    old = container(project, "migrate", status=EXITED, labels={"io.orchestra.config-hash": "x"})
    text = render(project, swap(converged(project), old), HealHints(completed=frozenset({old.id})))
    assert "migrate:1 CREATE" in text


@pytest.mark.parametrize("policy", ["always", "unless-stopped", "on-failure"])
def test_a_restarting_container_is_left_to_its_restart_policy(policy: str) -> None:
    project = load(f"services:\n  web: {{image: nginx:1, restart: {policy}}}\n")
    restarting = container(project, "web", status=ContainerStatus.RESTARTING)
    observed = swap(converged(project), restarting)
    assert render(project, observed) == ""


HEALED = """
services:
  web:
    image: nginx:1
    healthcheck: {test: [CMD, "true"]}
    x-orchestra: {heal: unhealthy}
  plain:
    image: nginx:1
    healthcheck: {test: [CMD, "true"]}
"""


def test_an_unhealthy_container_is_replaced_only_when_its_service_opted_in() -> None:
    project = load(HEALED)
    sick = HealthStatus.UNHEALTHY
    observed = swap(
        converged(project),
        container(project, "web", health=sick),
        container(project, "plain", health=sick),
    )
    assert render(project, observed) == golden("""
        #1 container:web:1 STOP (unhealthy (x-orchestra heal: unhealthy))
        [1] -> #2 container:web:1 REMOVE (unhealthy (x-orchestra heal: unhealthy))
        [2] -> #3 container:web:1 CREATE (unhealthy (x-orchestra heal: unhealthy))
        [3] -> #4 container:web:1 START (unhealthy (x-orchestra heal: unhealthy))
    """)
    assert render(project, observed, heal=None) == "", "plain up never replaces for health"


def test_a_dependency_started_by_the_pass_restarts_restart_true_dependents() -> None:
    project = load(DB_WEB)
    observed = swap(converged(project), container(project, "db", status=EXITED))
    assert render(project, observed) == golden("""
        #1 container:db:1 START (stopped)
        [1] -> #2 container:db:1 WAIT healthy (web depends on db)
        [2] -> #3 container:web:1 RESTART (dependency db restarted)
    """)
    assert render(project, observed, heal=None) == "#1 container:db:1 START (stopped)"


def test_a_dependency_created_again_restarts_restart_true_dependents() -> None:
    project = load(DB_WEB)
    text = render(project, without(converged(project), "demo-db-1"))
    assert text.endswith("-> #4 container:web:1 RESTART (dependency db restarted)")


def test_a_dependency_restarted_outside_orchestra_restarts_its_dependents() -> None:
    project = load(DB_WEB)
    starting = container(project, "db", health=HealthStatus.STARTING)
    observed = swap(converged(project), starting)
    assert render(project, observed, HealHints(restarted=frozenset({"db"}))) == golden("""
        #1 container:db:1 WAIT healthy (web depends on db)
        [1] -> #2 container:web:1 RESTART (dependency db restarted)
    """)
    assert render(project, observed) == "", "no restart seen: nothing to do"


def test_x_orchestra_heal_is_read_into_the_model() -> None:
    project = load(HEALED)
    assert project.services["web"].heal == "unhealthy"
    assert project.services["plain"].heal is None


@pytest.mark.parametrize(
    ("extension", "message"),
    [
        ("{heal: always}", "invalid heal policy 'always' (unhealthy)"),
        ("{heel: unhealthy}", "unknown attribute (did you mean 'heal'?)"),
        ("unhealthy", "must be a mapping"),
    ],
)
def test_bad_x_orchestra_values_are_spec_errors(extension: str, message: str) -> None:
    with pytest.raises(SpecError, match=re.escape(message)) as caught:
        load(f"services:\n  web:\n    image: nginx:1\n    x-orchestra: {extension}\n")
    assert str(caught.value).startswith("compose.yaml:4:"), "located at the line it is on"
