"""The create path builds plain dicts: the engine receives exactly what the SDK's builders sent.

``golden/create_requests.json`` holds the requests the docker SDK produced for the specs in
``convert_cases`` (captured from the adapter's SDK-based builder before the switch to raw
HTTP); the plain builder must produce the same bodies, byte for byte as JSON. No engine needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from convert_cases import CASES, NETWORKS

from orchestra.engine.docker_convert import (
    build_create_request,
    endpoint_config,
    request_body,
    version_lt,
)
from orchestra.engine.docker_network_body import network_create_body
from orchestra.errors import EngineError

GOLDEN: dict[str, Any] = json.loads(
    (Path(__file__).parent / "golden" / "create_requests.json").read_text()
)


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("case", sorted(CASES))
def test_create_request_matches_what_the_sdk_sent(case: str) -> None:
    version, spec = CASES[case]
    golden = GOLDEN["create"][case]
    request = build_create_request(version, spec)
    assert _json(request_body(request.config)) == golden["request"]["body"]
    params = {"name": request.name} | ({"platform": request.platform} if request.platform else {})
    assert params == golden["request"]["params"]
    connects = []
    for attachment in request.later_networks:
        try:
            endpoint = endpoint_config(version, attachment, at_create=False, links=spec.links)
        except EngineError as exc:
            connects.append({"network": attachment.network, "error": str(exc)})
            continue
        connects.append(
            {
                "path": f"/networks/{attachment.network}/connect",
                "params": None,
                "body": _json({"Container": "cid", "EndpointConfig": endpoint}),
            }
        )
    assert connects == golden["connects"]


@pytest.mark.parametrize("case", sorted(NETWORKS))
def test_network_create_body_matches_what_the_sdk_sent(case: str) -> None:
    assert _json(network_create_body(NETWORKS[case])) == GOLDEN["network"][case]["body"]


@pytest.mark.parametrize(
    ("version", "other", "older"),
    [
        ("1.41", "1.44", True),
        ("1.44", "1.44", False),
        ("1.9", "1.10", True),
        ("2.0", "1.45", False),
    ],
)
def test_version_order_is_numeric(version: str, other: str, older: bool) -> None:
    assert version_lt(version, other) is older
