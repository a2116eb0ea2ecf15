"""Masking of secret values in ``config`` and ``plan`` output (issue 7, promise 6).

``orchestra config`` and ``orchestra plan`` print secret-looking environment values (names with
PASSWORD, SECRET, TOKEN or KEY, any case) and inline secret content as ``********`` unless
``--show-secrets``; the plan that runs keeps every value. The CLI side is checked with the real
engine in tests/engine/test_secrets.py.
"""

from __future__ import annotations

import json

import pytest
from planfix import IMG_A, container, load

from orchestra import labels as lbl
from orchestra.engine.base import Observed
from orchestra.plan.mask_plan import masked_plan, masked_plan_dict
from orchestra.plan.up import plan_up
from orchestra.spec.mask import MASK, looks_secret, mask_environment, mask_project_dict
from orchestra.spec.render import project_to_dict

PASSWORD = "pw-0123456789"


@pytest.mark.parametrize(
    "name",
    ["DB_PASSWORD", "password", "MYSQL_ROOT_PASSWORD", "api_key", "KEY", "GitHub_Token", "SECRET"],
)
def test_secret_looking_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize("name", ["HOST", "PORT", "USER", "PASS", "PASSWD", "DB_NAME", ""])
def test_other_names_are_shown(name: str) -> None:
    assert not looks_secret(name)


def test_mask_environment_keeps_unset_values_and_other_keys() -> None:
    env = {"DB_PASSWORD": PASSWORD, "API_TOKEN": None, "HOST": "db", "Secret_Thing": ""}
    assert mask_environment(env) == {
        "DB_PASSWORD": MASK,
        "API_TOKEN": None,
        "HOST": "db",
        "Secret_Thing": MASK,
    }


COMPOSE = f"""
services:
  web:
    image: nginx:1
    environment: {{DB_PASSWORD: {PASSWORD}, HOST: db}}
    secrets: [inline]
    configs: [conf]
secrets:
  inline: {{content: inline-secret-value}}
configs:
  conf: {{content: config-body}}
"""


def test_config_output_masks_environment_and_secret_content_only() -> None:
    data = project_to_dict(load(COMPOSE))
    masked = mask_project_dict(data)
    text = json.dumps(masked)
    assert PASSWORD not in text and "inline-secret-value" not in text
    assert masked["services"]["web"]["environment"] == {"DB_PASSWORD": MASK, "HOST": "db"}
    assert masked["secrets"]["inline"] == {"name": "demo_inline", "content": MASK}
    assert masked["configs"]["conf"]["content"] == "config-body"  # configs are not secrets
    assert data["services"]["web"]["environment"]["DB_PASSWORD"] == PASSWORD  # input unchanged


def _recreate_plan() -> tuple[str, str, str]:
    """A plan replacing ``web`` whose DB_PASSWORD changed: (text, json, json --show-secrets)."""
    old = load(COMPOSE.replace(PASSWORD, "old-" + PASSWORD))
    new = load(COMPOSE)
    observed = Observed(containers=(container(old, "web"),))
    plan = plan_up(new, observed, {"nginx:1": IMG_A})
    shown = masked_plan(plan)
    return shown.render(), shown.to_json(), plan.to_json()


def test_plan_text_and_json_mask_values_the_run_keeps() -> None:
    text, masked_json, full_json = _recreate_plan()
    assert f"~ environment.DB_PASSWORD: {json.dumps(MASK)} → {json.dumps(MASK)}" in text
    for shown in (text, masked_json):
        assert PASSWORD not in shown and "inline-secret-value" not in shown
    assert PASSWORD in full_json and "old-" + PASSWORD in full_json
    create = next(op for op in json.loads(masked_json)["ops"] if op["kind"] == "create_container")
    spec = create["params"]["spec"]
    assert spec["environment"] == {"DB_PASSWORD": MASK, "HOST": "db"}
    assert [f["content"] for f in spec["files"]] == [MASK, MASK]
    config = lbl.decode_config(spec["labels"][lbl.CONFIG])
    assert config is not None and config["environment"]["DB_PASSWORD"] == MASK


def test_added_variables_are_masked_and_a_whole_mapping_key_by_key() -> None:
    old = load("services:\n  web:\n    image: nginx:1\n")
    observed = Observed(containers=(container(old, "web"),))
    plan = masked_plan(plan_up(load(COMPOSE), observed, {"nginx:1": IMG_A}))
    lines = [line.strip() for line in plan.render_lines() if "+ environment" in line]
    assert lines == [f'+ environment.DB_PASSWORD: "{MASK}"', '+ environment.HOST: "db"']
    whole = {"path": "environment", "desired": {"API_KEY": "k", "A": "1"}}
    data = {"ops": [{"id": 1, "params": {"diff": [whole]}}]}
    masked = masked_plan_dict(data)["ops"][0]["params"]["diff"][0]
    assert masked == {"path": "environment", "desired": {"API_KEY": MASK, "A": "1"}}
    assert whole["desired"] == {"API_KEY": "k", "A": "1"}  # the input is not changed
