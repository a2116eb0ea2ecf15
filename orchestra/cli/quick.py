"""The common ``up`` and ``ps`` command lines, run before typer is imported.

Importing typer (and the click it vendors) and building a command from its signature cost a
third of a no-op ``up`` and a sixth of a cold ``up``'s client CPU. So ``main`` first offers the
command line to ``answer``, which reads a strict subset of the grammar the typer app declares
(``_GLOBAL``, ``_UP``, ``_PS``): the common global options, then ``up`` or ``ps`` with their
common options. A line in that grammar runs here, through the same functions the typer commands
call (``up_run.run_up``, ``ps_view.show_ps``), and its errors reach ``main`` as the app's would.
Anything else (another command or option, ``--help``, a line the grammar does not read, a Swarm
target) comes back before anything was changed or printed, and the typer app runs the command,
with the project already loaded when the quick path got that far (``Handoff``).
``tests/unit/test_cli_quick.py`` keeps this grammar equal to the typer app's.

Must not import typer, rich or anyio (``up`` imports anyio only for a pass with work to do).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from orchestra.errors import OrchestraError

if TYPE_CHECKING:
    from orchestra.cli.options import GlobalOptions
    from orchestra.spec.model import Project

__all__ = ["Handoff", "Parsed", "answer", "parse"]

# option -> (parameter of the typer command, how it takes values): "flag" (no value), "one"
# (the last given wins), "many" (a list, in order), or a tuple of the accepted choices.
Grammar = Mapping[str, tuple[str, Any]]

_GLOBAL: Grammar = {
    "-f": ("file", "many"),
    "--file": ("file", "many"),
    "-p": ("project_name", "one"),
    "--project-name": ("project_name", "one"),
    "--project-directory": ("project_directory", "one"),
    "--env-file": ("env_file", "many"),
    "--profile": ("profile", "many"),
}
_UP: Grammar = {
    "-d": ("detach", "flag"),
    "--detach": ("detach", "flag"),
    "--wait": ("wait", "flag"),
    "--wait-timeout": ("wait_timeout", "one"),
    "--no-deps": ("no_deps", "flag"),
    "--no-recreate": ("no_recreate", "flag"),
    "--remove-orphans": ("remove_orphans", "flag"),
    "--progress": ("progress", ("auto", "tty", "plain", "quiet")),
    "-q": ("quiet", "flag"),
    "--quiet": ("quiet", "flag"),
    "--no-wait": ("no_wait", "flag"),
}
_PS: Grammar = {
    "--format": ("fmt", "one"),
    "-a": ("all_", "flag"),
    "--all": ("all_", "flag"),
}
_COMMANDS = {"up": _UP, "ps": _PS}
_WAIT_TIMEOUT = 300.0  # seconds: `up --wait-timeout`'s default in the typer app


class Parsed:
    """A command line in the quick grammar: the global options' values, the command's name, its
    options' values and its positional services (keyed as the typer app's parameters)."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.globals: dict[str, Any] = {}
        self.options: dict[str, Any] = {}
        self.services: list[str] = []


class _NotQuick(Exception):
    """The command line is outside the quick grammar."""


def _take(into: dict[str, Any], grammar: Grammar, token: str, rest: Iterator[str]) -> None:
    name, _, inline = token.partition("=")
    if name not in grammar or (inline == "" and token.endswith("=")):
        raise _NotQuick
    param, kind = grammar[name]
    if kind == "flag":
        if "=" in token:
            raise _NotQuick
        into[param] = True
        return
    value = inline if "=" in token else next(rest, None)
    if value is None or (isinstance(kind, tuple) and value not in kind):
        raise _NotQuick
    if kind == "many":
        into.setdefault(param, []).append(value)
    else:
        into[param] = value


def parse(argv: list[str]) -> Parsed | None:
    """``argv`` read in the quick grammar, or None when it is outside it."""
    tokens = iter(argv)
    found: dict[str, Any] = {}
    try:
        for token in tokens:
            if not token.startswith("-"):
                parsed = Parsed(token)
                parsed.globals = found
                grammar = _COMMANDS.get(token)
                if grammar is None:
                    return None
                for item in tokens:
                    if item.startswith("-"):
                        _take(parsed.options, grammar, item, tokens)
                    else:
                        parsed.services.append(item)
                return parsed
            _take(found, _GLOBAL, token, tokens)
    except _NotQuick:
        return None
    return None  # no command: the typer app prints the help


class Handoff:
    """What ``answer`` learnt before it left a command to the typer app: ``done`` when it ran the
    command itself; else the ``project`` it loaded with the same options (None if it did not
    get that far), so the app does not read the files again."""

    def __init__(self, done: bool, project: Project | None = None) -> None:
        self.done = done
        self.project = project


def answer(argv: list[str]) -> Handoff:
    """Run ``argv`` here if it is in the quick grammar and not for a swarm (see the module);
    otherwise the Handoff for the typer app, which must run it (nothing was changed or printed
    then). Raises what the app's command would raise (OrchestraError, with the same message)."""
    parsed = parse(argv)
    if parsed is None:
        return Handoff(False)
    handoff = Handoff(False)
    try:
        return _up(parsed, handoff) if parsed.command == "up" else _ps(parsed, handoff)
    except _Elsewhere:
        return handoff


class _Elsewhere(OrchestraError):
    """Not for the quick path after all: the typer app runs the command."""


def _global_options(parsed: Parsed) -> GlobalOptions:
    from orchestra.cli.options import GlobalOptions
    from orchestra.cli.swarm_target import explicit_target

    if explicit_target(None) is not None:
        raise _Elsewhere  # ORCHESTRA_TARGET decides: the typer app's on_swarm reads it
    return GlobalOptions.of_params(parsed.globals, parsed.command)


def _refuse_swarm(project: Project) -> None:
    from orchestra.cli.swarm_target import file_target

    if file_target(project.extensions) == "swarm":
        raise _Elsewhere


def _up(parsed: Parsed, handoff: Handoff) -> Handoff:
    from orchestra.cli.up_run import run_up
    from orchestra.plan.options import UpOptions

    opts = parsed.options
    if "wait_timeout" in opts and not _is_float(opts["wait_timeout"]):
        return handoff  # the app says why it is not a number
    project = handoff.project = _global_options(parsed).load_project()
    _refuse_swarm(project)
    options = UpOptions(
        services=tuple(parsed.services),
        no_deps=bool(opts.get("no_deps")),
        no_recreate=bool(opts.get("no_recreate")),
        remove_orphans=bool(opts.get("remove_orphans")),
        wait=bool(opts.get("wait")),
    )
    mode = "quiet" if opts.get("quiet") else opts.get("progress", "auto")
    timeout = float(opts.get("wait_timeout", _WAIT_TIMEOUT))
    no_wait = bool(opts.get("no_wait"))
    run_up(project, options, timeout, dry_run=False, no_wait=no_wait, mode=mode)
    return Handoff(True)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _ps(parsed: Parsed, handoff: Handoff) -> Handoff:
    from orchestra.cli.options import project_or_name_of
    from orchestra.cli.ps_view import show_ps

    project, name = project_or_name_of(_global_options(parsed))
    if project is not None:
        handoff.project = project
        _refuse_swarm(project)
    fmt = parsed.options.get("fmt", "table")
    show_ps(project, name, parsed.services or None, fmt, bool(parsed.options.get("all_")))
    return Handoff(True)
