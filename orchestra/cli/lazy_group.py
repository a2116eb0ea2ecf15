"""The root command group, which builds only the command being run.

Typer turns every registered command into a click command (reading its signature and type
hints) before it parses anything, and registering them means importing every command module.
For one ``orchestra up`` that was a tenth of its time. ``LazyGroup`` knows which module
registers which command and builds only that command on first use (not its module's others:
typer reads every parameter's type hints to build one); listing the commands (``--help``, an
unknown name, completion) builds them all, in the order below. A name missing from the
table still works (everything is built then); ``tests/unit/cli/test_lazy_group.py`` keeps the
table true.

Imports typer and, lazily, the command modules; nothing else of orchestra.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import typer
import typer.main
from typer.core import TyperGroup

if TYPE_CHECKING:
    # typer vendors click privately; its Context is what TyperGroup's methods declare.
    from typer._click import Command, Context

__all__ = ["COMMAND_MODULES", "LazyGroup"]

COMMAND_MODULES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "spec_commands": ("config", "graph"),
        "stack_commands": ("up", "down", "plan"),
        "container_commands": ("ps", "logs", "exec", "ls"),
        "lifecycle_commands": ("start", "stop", "restart"),
        "build_commands": ("build",),
        "watch_commands": ("watch",),
        "image_commands": ("pull", "push"),
        "run_command": ("run",),
    }
)
"""Each module of ``orchestra.cli`` with a ``register(app)``, and the commands it registers,
in the order ``orchestra --help`` lists them."""


def _module_of(command: str) -> str | None:
    for module, names in COMMAND_MODULES.items():
        if command in names:
            return module
    return None


class LazyGroup(TyperGroup):
    """A ``TyperGroup`` whose commands are built from their modules when first asked for."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._registered: dict[str, typer.Typer] = {}  # module -> its commands, not yet built
        self._loaded: dict[str, list[str]] = {}  # module -> the commands it registered

    def _registry(self, module: str) -> typer.Typer:
        """A Typer of its own for ``module``, with the module's commands registered (unbuilt)."""
        if module not in self._registered:
            part = typer.Typer(rich_markup_mode=None, add_completion=False)
            importlib.import_module(f"orchestra.cli.{module}").register(part)
            self._registered[module] = part
        return self._registered[module]

    def _build(self, module: str, only: str | None = None) -> None:
        """Build ``module``'s commands (just ``only`` when given) as typer converts a group's."""
        part = self._registry(module)
        names = []
        for info in part.registered_commands:
            assert info.callback is not None
            name = info.name or typer.main.get_command_name(info.callback.__name__)
            names.append(name)
            if name in self.commands or (only is not None and name != only):
                continue
            self.commands[name] = typer.main.get_command_from_info(
                info,
                pretty_exceptions_short=part.pretty_exceptions_short,
                rich_markup_mode=part.rich_markup_mode,
            )
        self._loaded[module] = names

    def _load_all(self) -> None:
        for module in COMMAND_MODULES:
            self._build(module)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        """The command ``cmd_name`` (building it now), or None when there is no such one."""
        if cmd_name not in self.commands:
            module = _module_of(cmd_name)
            if module is not None:
                self._build(module, only=cmd_name)
            if cmd_name not in self.commands:
                self._load_all()  # unknown, or the table is out of date: build everything
        return self.commands.get(cmd_name)

    def list_commands(self, ctx: Context) -> list[str]:
        """Every command's name, in the table's order (whatever was built first)."""
        self._load_all()
        ordered = [name for module in COMMAND_MODULES for name in self._loaded[module]]
        return ordered + [name for name in self.commands if name not in ordered]
