"""Commands that only read the Compose files (``config``, ``graph``); never the engine."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from orchestra.cli.options import global_options
from orchestra.errors import UsageError

__all__ = ["register"]


class ConfigFormat(StrEnum):
    yaml = "yaml"
    json = "json"


class GraphFormat(StrEnum):
    mermaid = "mermaid"
    dot = "dot"


def _dump(data: Any, fmt: ConfigFormat) -> str:
    if fmt is ConfigFormat.json:
        return json.dumps(data, indent=2)
    import yaml

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


def config(
    ctx: typer.Context,
    fmt: Annotated[ConfigFormat, typer.Option("--format", help="Output format.")] = (
        ConfigFormat.yaml
    ),
    services: Annotated[bool, typer.Option("--services", help="Print the service names.")] = False,
    volumes: Annotated[bool, typer.Option("--volumes", help="Print the volume names.")] = False,
    profiles: Annotated[bool, typer.Option("--profiles", help="Print the profile names.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only validate.")] = False,
    hash_of: Annotated[
        str | None,
        typer.Option("--hash", help="Print the config hash of SERVICE ('*' for all)."),
    ] = None,
    show_secrets: Annotated[
        bool,
        typer.Option("--show-secrets", help="Show secret-looking environment values in clear."),
    ] = False,
) -> None:
    """Validate the Compose files and print the resolved model (secret values masked)."""
    project = global_options(ctx).load_project()  # validates references and cycles too
    for warning in project.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if quiet:
        return
    if services:
        print("\n".join(sorted(project.services)))  # sorted, as docker compose prints them
    elif volumes:
        print("\n".join(sorted(project.volumes)))
    elif profiles:
        everything = [*project.services.values(), *project.disabled_services.values()]
        print("\n".join(sorted({p for s in everything for p in s.profiles})))
    elif hash_of is not None:
        _print_hashes(project, hash_of)
    else:
        from orchestra.spec.mask import mask_project_dict
        from orchestra.spec.render import project_to_dict

        data = project_to_dict(project)
        sys.stdout.write(_dump(data if show_secrets else mask_project_dict(data), fmt))
        if fmt is ConfigFormat.json:
            sys.stdout.write("\n")


def _print_hashes(project: Any, selector: str) -> None:
    from orchestra.hashing import config_hash

    names = sorted(project.services) if selector == "*" else selector.split(",")
    for name in names:
        if name not in project.services:
            raise UsageError(f"no such service: '{name}'")
        print(f"{name} {config_hash(project.services[name])}")


def graph(
    ctx: typer.Context,
    fmt: Annotated[GraphFormat, typer.Option("--format", help="Output format.")] = (
        GraphFormat.mermaid
    ),
) -> None:
    """Print the service dependency graph (Mermaid or Graphviz DOT)."""
    from orchestra.graph import ServiceGraph

    dag = ServiceGraph.of(global_options(ctx).load_project())
    print(dag.to_mermaid() if fmt is GraphFormat.mermaid else dag.to_dot())


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("config")(config)
    app.command("graph")(graph)
