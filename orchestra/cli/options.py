"""Options shared by every command (``-f``, ``-p``, ...), and the project or ``Stack`` they name.

Heavy modules (the public API's engine half, the planner) are imported inside functions so that
``orchestra --help`` stays fast; loading goes through ``orchestra.api_load``, which is light.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestra.errors import SpecError

if TYPE_CHECKING:
    import typer

    from orchestra.api import Stack
    from orchestra.cli.quick import Handoff
    from orchestra.spec.model import Project

__all__ = [
    "GlobalOptions",
    "global_options",
    "open_stack",
    "print_warnings",
    "project_or_name",
    "project_or_name_of",
    "stack_of",
]


@dataclass
class GlobalOptions:
    """What the user said before the command name."""

    files: list[str] = field(default_factory=list)
    project_name: str | None = None
    project_directory: str | None = None
    env_files: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    debug: bool = False
    target: str | None = None  # --target (orchestra.cli.swarm_target decides the backend)
    command: str | None = None  # the command's name, for the target's refusals
    preloaded: Project | None = field(default=None, repr=False)  # loaded to read its target

    @classmethod
    def of_params(
        cls, params: Mapping[str, Any], command: str | None, handoff: Handoff | None = None
    ) -> GlobalOptions:
        """The options from the app callback's parameters (``file``, ``project_name``, ...; a
        missing one takes its default), for ``command``, with what ``handoff`` knows."""
        return cls(
            files=list(params.get("file") or []),
            project_name=params.get("project_name"),
            project_directory=params.get("project_directory"),
            env_files=list(params.get("env_file") or []),
            profiles=list(params.get("profile") or []),
            debug=bool(params.get("debug")),
            target=params.get("target"),
            command=command,
            preloaded=handoff.project if handoff else None,
        )

    def load_project(self) -> Project:
        """Read, merge, interpolate and validate the Compose files; raises SpecError (and
        UsageError when the files' ``x-orchestra.target`` refuses the command)."""
        from orchestra.api_load import load_project
        from orchestra.cli.swarm_target import check_command, explicit_target, file_target

        if self.preloaded is not None:  # the target check loaded it: use it once
            project, self.preloaded = self.preloaded, None
            return project
        project = load_project(
            self.files,
            project_name=self.project_name,
            profiles=self.profiles,
            env_files=self.env_files,
            project_directory=self.project_directory,
        )
        if explicit_target(self.target) is None:
            where = ", ".join(map(str, project.files)) or "the Compose file"
            target = file_target(project.extensions, where)
            check_command(self.command, target, f"x-orchestra.target in {where}")
        return project


def global_options(ctx: typer.Context) -> GlobalOptions:
    """The GlobalOptions the app callback stored on the context."""
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, GlobalOptions):
        obj = GlobalOptions()
        root.obj = obj
    return obj


def project_or_name(ctx: typer.Context) -> tuple[Project | None, str]:
    """``project_or_name_of`` the context's global options."""
    return project_or_name_of(global_options(ctx))


def project_or_name_of(opts: GlobalOptions) -> tuple[Project | None, str]:
    """The project ``opts`` name, or (None, NAME) for ``-p NAME`` alone (no ``-f``) where no
    Compose file can be loaded: the engine's labels still know the project.

    Raises SpecError when the files cannot be loaded and no such name stands in.
    """
    try:
        project = opts.load_project()
    except SpecError:
        if not (opts.project_name and not opts.files):
            raise
        return None, opts.project_name
    return project, project.name


def open_stack(
    ctx: typer.Context, *, by_name: bool = False, project: Project | None = None
) -> Stack:
    """The ``Stack`` the global options name (or of ``project``, loaded already), taking the
    lock as ``orchestra <command>``.

    With ``by_name``, ``-p NAME`` alone works as in ``project_or_name``. Raises SpecError.
    """
    if project is not None:
        return stack_of(project, project.name)
    if by_name:
        return stack_of(*project_or_name(ctx))
    return stack_of(global_options(ctx).load_project(), "")


def stack_of(project: Project | None, name: str) -> Stack:
    """The ``Stack`` of ``project``, or of the project ``name`` known by its labels alone."""
    from orchestra.api import Stack
    from orchestra.lock import report_waiting

    if project is None:
        return Stack.by_name(name, client="orchestra", on_lock_wait=report_waiting(name))
    return Stack(project, client="orchestra", on_lock_wait=report_waiting(project.name))


def print_warnings(warnings: list[str]) -> None:
    """A plan's warnings on stderr, one line each."""
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
