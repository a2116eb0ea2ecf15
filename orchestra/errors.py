"""The exception tree of orchestra; ``str(error)`` is the message shown to the user.

    OrchestraError                      exit 1 unless a subclass says otherwise
    ├── UsageError                      exit 2: bad command-line input
    ├── SpecError                       exit 2: the Compose files are wrong (carries Problems)
    │   └── DependencyCycleError        exit 2: services depend on each other in a ring
    ├── EngineError                     exit 1: the engine refused or failed a call
    │   ├── EngineUnavailableError      exit 3: no engine answers
    │   ├── NotFoundError               a resource the call named does not exist
    │   │   └── ImageNotFoundError      an image is neither present nor obtainable
    │   ├── ImageBuildError             a build step failed
    │   ├── ConflictError               a name is taken, a port is allocated, ...
    │   │   └── StaleTaskError          the runtime kept a task of the container (daemon restart)
    │   └── SwarmNotManagerError        exit 2: --target swarm, but the engine is no swarm manager
    ├── ExecutionFailed                 exit 1: some operations of a plan failed
    └── Interrupted                     exit 130: the user pressed Ctrl-C

Imports nothing but the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConflictError",
    "DependencyCycleError",
    "EngineError",
    "EngineUnavailableError",
    "ExecutionFailed",
    "ImageBuildError",
    "ImageNotFoundError",
    "Interrupted",
    "Mark",
    "NotFoundError",
    "OrchestraError",
    "Problem",
    "SpecError",
    "StaleTaskError",
    "SwarmNotManagerError",
    "UsageError",
]


class OrchestraError(Exception):
    """Root of every error orchestra raises on purpose."""

    exit_code = 1


class UsageError(OrchestraError):
    """The command line asked for something impossible."""

    exit_code = 2


@dataclass(frozen=True, order=True)
class Mark:
    """A place in a file: 1-based line and column, as editors count them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the Compose files, with where it is."""

    path: str
    message: str
    mark: Mark | None = None

    def __str__(self) -> str:
        where = f"{self.mark}: " if self.mark is not None else ""
        subject = f"{self.path}: " if self.path else ""
        return f"{where}{subject}{self.message}"


class SpecError(OrchestraError):
    """The Compose files cannot be turned into a valid project."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(path="", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems in the Compose files:"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class DependencyCycleError(SpecError):
    """Services depend on each other in a ring; ``cycle`` lists it, first name repeated last."""

    def __init__(self, cycle: list[str], mark: Mark | None = None, path: str = "") -> None:
        self.cycle = cycle
        super().__init__(Problem(path, f"dependency cycle: {' -> '.join(cycle)}", mark))


class EngineError(OrchestraError):
    """The Docker Engine refused or failed a call."""


class EngineUnavailableError(EngineError):
    """No Docker Engine answers at the configured address."""

    exit_code = 3


class NotFoundError(EngineError):
    """A resource named in an engine call does not exist."""


class ImageNotFoundError(NotFoundError):
    """An image is not present and could not be pulled or built."""


class ImageBuildError(EngineError):
    """An image build failed; the message holds the failing step and its last output."""


class ConflictError(EngineError):
    """The engine reported a conflict: a name in use, a port allocated, ..."""


class StaleTaskError(ConflictError):
    """The engine refuses to start a container because its runtime still holds a task of it.

    Engine 20.10 after a daemon restart that cut a start short: containerd kept the task (or
    the shim's directory), and every later start of that container is refused the same way.
    """


class SwarmNotManagerError(EngineError):
    """The engine is not a swarm manager (not in a swarm, a worker, locked): the target is wrong.

    Exit 2, as bad input: the engine answers, but the command was pointed at the wrong one.
    """

    exit_code = 2


class ExecutionFailed(OrchestraError):
    """Some operations of a plan failed; ``failures`` holds one line per failed operation."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        head = f"{len(failures)} operation(s) failed:" if len(failures) > 1 else ""
        body = "\n".join(f"  {f}" if head else f for f in failures)
        super().__init__(f"{head}\n{body}" if head else body)


class Interrupted(OrchestraError):
    """The user interrupted orchestra (Ctrl-C)."""

    exit_code = 130
