"""The images ``up`` needs: PULL_IMAGE or BUILD_IMAGE ops by pull policy, or a plan-time error.

Policies: ``missing`` (also ``if_not_present`` and the time-based ``daily``/``weekly``/
``every_<d>``, since the planner has no clock), ``always``, ``never``, ``build``. A service with
``build:`` is built when its image is missing (or the policy is ``build``) and never pulled.
One op per image reference, however many services use it. Pure; never imports
``docker``/``anyio``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from orchestra.errors import ImageNotFoundError
from orchestra.plan.build_spec import build_spec
from orchestra.plan.container_spec import image_ref
from orchestra.plan.ops import OpKind, Plan
from orchestra.spec.model import Service

__all__ = ["add_image_ops", "pull_policy"]


def pull_policy(service: Service, override: str | None) -> str:
    """The effective policy: the command line's, else the service's, as one of four words."""
    policy = override or service.pull_policy or "missing"
    if policy in ("always", "never", "build"):
        return policy
    return "missing"


def add_image_ops(
    plan: Plan,
    project_name: str,
    services: Iterable[Service],
    images: Mapping[str, str | None],
    override: str | None,
    rebuild: bool = False,
) -> Mapping[str, int]:
    """Add the pulls and builds the services need; image reference → op id.

    ImageNotFoundError when an image is missing, cannot be built and the policy is ``never``.
    """
    ops: dict[str, int] = {}
    for service in services:
        ref = image_ref(project_name, service)
        if ref in ops:
            continue
        kind, cause = _image_op(service, ref, images.get(ref), override)
        if rebuild and service.build is not None:
            kind, cause = OpKind.BUILD_IMAGE, "--build"
        if kind is not None:
            spec = build_spec(project_name, service) if kind is OpKind.BUILD_IMAGE else None
            ops[ref] = plan.add(
                kind, f"image:{ref}", cause, image=ref, service=service.name, spec=spec
            )
    return ops


def _image_op(
    service: Service, ref: str, image_id: str | None, override: str | None
) -> tuple[OpKind | None, str]:
    policy = pull_policy(service, override)
    if service.build is not None:
        if policy == "build":
            return OpKind.BUILD_IMAGE, "pull policy build"
        return (OpKind.BUILD_IMAGE, "not present") if image_id is None else (None, "")
    if policy == "build":
        # Nothing to build from: compose then falls back to the image as it is.
        policy = "missing"
    if image_id is None:
        if policy == "never":
            raise ImageNotFoundError(
                f"service {service.name}: image {ref} is not present and the pull policy is never"
            )
        return OpKind.PULL_IMAGE, "not present"
    if policy == "always":
        return OpKind.PULL_IMAGE, "pull policy always"
    return None, ""
