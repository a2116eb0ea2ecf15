"""Masking of secret-looking values in what orchestra prints (``config``, ``plan``).

An environment variable whose name contains ``PASSWORD``, ``SECRET``, ``TOKEN`` or ``KEY`` (any
case) has its value replaced by ``MASK``, and so has a secret's inline ``content``; the commands'
``--show-secrets`` skips the masking. The model and the engine requests are never masked: only
the text printed from them. Pure data in, data out; imports only the standard library.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["MASK", "SECRET_WORDS", "looks_secret", "mask_environment", "mask_project_dict"]

MASK = "********"
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY")


def looks_secret(name: str) -> bool:
    """Whether a variable called ``name`` probably holds a secret."""
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)


def mask_environment(environment: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``environment`` with secret-looking values masked (an unset None stays None)."""
    return {
        key: MASK if value is not None and looks_secret(str(key)) else value
        for key, value in environment.items()
    }


def mask_project_dict(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``render.project_to_dict`` output with every secret value masked."""
    out = copy.deepcopy(dict(data))
    services = out.get("services")
    for service in services.values() if isinstance(services, dict) else ():
        environment = service.get("environment") if isinstance(service, dict) else None
        if isinstance(environment, dict):
            service["environment"] = mask_environment(environment)
    secrets = out.get("secrets")
    for secret in secrets.values() if isinstance(secrets, dict) else ():
        if isinstance(secret, dict) and secret.get("content") is not None:
            secret["content"] = MASK
    return out
