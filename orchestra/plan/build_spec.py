"""A service's ``build:`` as an engine-neutral BuildSpec, tagged as ``image:`` says or
``<project>-<service>``. Pure; never imports ``docker``/``anyio``."""

from __future__ import annotations

from orchestra.engine.base import BuildSpec
from orchestra.plan.container_spec import image_ref
from orchestra.spec.model import Service

__all__ = ["build_spec"]


def build_spec(project_name: str, service: Service) -> BuildSpec:
    """What to build for ``service``; ValueError when it has no ``build:``."""
    build = service.build
    if build is None:
        raise ValueError(f"service {service.name} has no build section")
    labels = {
        **build.labels,
        "com.docker.compose.project": project_name,
        "com.docker.compose.service": service.name,
    }
    return BuildSpec(
        tag=image_ref(project_name, service),
        context=build.context,
        dockerfile=build.dockerfile,
        args={key: value for key, value in build.args.items() if value is not None},
        target=build.target,
        labels=labels,
        network=build.network,
        no_cache=build.no_cache,
        pull=build.pull,
        extra_hosts=build.extra_hosts,
        shm_size=build.shm_size,
    )
