"""Options shared by every command (``-f``, ``-p``, ...) and loading the project from them.

Heavy modules are imported inside functions so that ``orchestra --help`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from orchestra.spec.files import LoadOptions
    from orchestra.spec.model import Project

__all__ = ["GlobalOptions", "global_options"]


@dataclass
class GlobalOptions:
    """What the user said before the command name."""

    files: list[str] = field(default_factory=list)
    project_name: str | None = None
    project_directory: str | None = None
    env_files: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    debug: bool = False

    def load_options(self) -> LoadOptions:
        from orchestra.spec.files import LoadOptions

        return LoadOptions(
            files=tuple(self.files),
            project_name=self.project_name,
            project_directory=self.project_directory,
            env_files=tuple(self.env_files),
            profiles=tuple(self.profiles),
        )

    def load_project(self) -> Project:
        """Read, merge, interpolate and validate the Compose files; raises SpecError."""
        from orchestra.spec.load import load_project

        return load_project(self.load_options())


def global_options(ctx: typer.Context) -> GlobalOptions:
    """The GlobalOptions the app callback stored on the context."""
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, GlobalOptions):
        obj = GlobalOptions()
        root.obj = obj
    return obj
