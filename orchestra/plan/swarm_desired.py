"""What ``up --target swarm`` wants: the selected services, their order and dependencies, and the
networks, secrets and configs they need, mapped to specs by ``plan.swarm_spec``.

Pure: reads the ``Project`` and the options only. Never imports ``docker``/``anyio``.
"""

from __future__ import annotations

from dataclasses import replace

from orchestra.graph import ServiceGraph
from orchestra.plan.options import UpOptions
from orchestra.plan.swarm_up import SwarmDesired
from orchestra.spec.model import Project

__all__ = ["swarm_desired"]


def swarm_desired(project: Project, options: UpOptions) -> SwarmDesired:
    """The ``SwarmDesired`` of ``project`` under ``options`` (selection, ``--scale``).

    Raises UsageError for an unknown service name, SpecError for what cannot be mapped.
    """
    from orchestra.plan.swarm_spec import (
        swarm_network_specs,
        swarm_object_specs,
        swarm_service_specs,
    )

    graph = ServiceGraph.of(project)
    if options.services:
        order = graph.select(options.services, with_dependencies=not options.no_deps)
    else:
        order = graph.start_order()
    specs = swarm_service_specs(project, order)
    for name, count in options.scale.items():
        if name in specs:
            specs[name] = replace(specs[name], replicas=count)
    networks = {
        key: spec
        for key, spec in swarm_network_specs(project).items()
        if key not in project.networks or not project.networks[key].external
    }
    depends = {
        name: {dep: d.condition for dep, d in project.services[name].depends_on.items()}
        for name in order
    }
    return SwarmDesired(
        services=specs,
        order=tuple(order),
        networks=networks,
        objects=swarm_object_specs(project),
        depends=depends,
        defined=frozenset(project.services),
    )
