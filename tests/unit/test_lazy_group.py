"""The CLI's lazy command group: its table is true, one command builds one module, help lists all.

Each check runs in a fresh interpreter: which modules a command imports depends on what the
process imported before.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import typer
import typer.main

from orchestra.cli.lazy_group import COMMAND_MODULES


def test_the_table_names_what_each_module_registers() -> None:
    for module, names in COMMAND_MODULES.items():
        part = typer.Typer()
        importlib.import_module(f"orchestra.cli.{module}").register(part)
        assert tuple(typer.main.get_group(part).commands) == names, module


def _child(args: list[str]) -> subprocess.CompletedProcess[str]:
    probe = (
        "import sys\n"
        f"sys.argv = ['orchestra', *{args!r}]\n"
        "from orchestra.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "mods = sorted(m.rsplit('.', 1)[1] for m in sys.modules\n"
        f"              if m.rsplit('.', 1)[-1] in {sorted(COMMAND_MODULES)!r})\n"
        "print('modules:', *mods)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )


def test_a_command_imports_only_its_own_module() -> None:
    done = _child(["up", "--help"])
    assert "Usage: orchestra up" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "modules: stack_commands"


def test_help_lists_every_command_in_table_order() -> None:
    done = _child(["--help"])
    listed = [
        line.split()[0]
        for line in done.stdout.split("Commands:", 1)[1].splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    ]
    assert listed == [name for names in COMMAND_MODULES.values() for name in names]


def test_a_misspelt_command_still_gets_a_suggestion() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from orchestra.cli import main; main(['upp'])"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "No such command 'upp'. Did you mean 'up'?" in done.stderr
