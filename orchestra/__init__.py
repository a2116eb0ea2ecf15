"""orchestra: a compose-style multi-container orchestrator, usable from Python.

The public API is what this package exports (``__all__``); every other module is private.
Exports are imported on first use (module ``__getattr__``), so ``import orchestra`` stays fast
and imports nothing heavy: the CLI reads ``__version__`` from here on every start.

    import orchestra

    async with orchestra.Stack("compose.yaml") as stack:
        host, port = await stack.port("web", 80)
"""

from __future__ import annotations

from importlib import import_module
from types import MappingProxyType

__version__ = "0.1.0"

# Not ``typing.TYPE_CHECKING``: importing ``typing`` alone costs more than the rest of this
# module; type checkers treat any ``TYPE_CHECKING`` name as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from orchestra.api import Stack as Stack
    from orchestra.api import load_project as load_project
    from orchestra.api_types import ContainerInfo as ContainerInfo
    from orchestra.api_types import PublishedPort as PublishedPort
    from orchestra.engine.base import ContainerStatus as ContainerStatus
    from orchestra.engine.base import ExecResult as ExecResult
    from orchestra.engine.base import HealthStatus as HealthStatus
    from orchestra.engine.base import LogLine as LogLine
    from orchestra.errors import ConflictError as ConflictError
    from orchestra.errors import DependencyCycleError as DependencyCycleError
    from orchestra.errors import EngineError as EngineError
    from orchestra.errors import EngineUnavailableError as EngineUnavailableError
    from orchestra.errors import ExecutionFailed as ExecutionFailed
    from orchestra.errors import ImageBuildError as ImageBuildError
    from orchestra.errors import ImageNotFoundError as ImageNotFoundError
    from orchestra.errors import Interrupted as Interrupted
    from orchestra.errors import Mark as Mark
    from orchestra.errors import NotFoundError as NotFoundError
    from orchestra.errors import OrchestraError as OrchestraError
    from orchestra.errors import Problem as Problem
    from orchestra.errors import SpecError as SpecError
    from orchestra.errors import UsageError as UsageError
    from orchestra.events import OpEvent as OpEvent
    from orchestra.events import Phase as Phase
    from orchestra.lock import ProjectLockedError as ProjectLockedError
    from orchestra.plan.ops import Plan as Plan
    from orchestra.readiness import ReadinessFailed as ReadinessFailed
    from orchestra.spec.model import Project as Project
    from orchestra.sync import SyncStack as SyncStack

# name → the private module that defines it (read by ``__getattr__``)
_EXPORTS = MappingProxyType(
    {
        "Stack": "orchestra.api",
        "load_project": "orchestra.api",
        "SyncStack": "orchestra.sync",
        "ContainerInfo": "orchestra.api_types",
        "PublishedPort": "orchestra.api_types",
        "ContainerStatus": "orchestra.engine.base",
        "ExecResult": "orchestra.engine.base",
        "HealthStatus": "orchestra.engine.base",
        "LogLine": "orchestra.engine.base",
        "Plan": "orchestra.plan.ops",
        "OpEvent": "orchestra.events",
        "Phase": "orchestra.events",
        "Project": "orchestra.spec.model",
        "ReadinessFailed": "orchestra.readiness",
        "ProjectLockedError": "orchestra.lock",
        "ConflictError": "orchestra.errors",
        "DependencyCycleError": "orchestra.errors",
        "EngineError": "orchestra.errors",
        "EngineUnavailableError": "orchestra.errors",
        "ExecutionFailed": "orchestra.errors",
        "ImageBuildError": "orchestra.errors",
        "ImageNotFoundError": "orchestra.errors",
        "Interrupted": "orchestra.errors",
        "Mark": "orchestra.errors",
        "NotFoundError": "orchestra.errors",
        "OrchestraError": "orchestra.errors",
        "Problem": "orchestra.errors",
        "SpecError": "orchestra.errors",
        "UsageError": "orchestra.errors",
    }
)

__all__ = [
    "ConflictError",
    "ContainerInfo",
    "ContainerStatus",
    "DependencyCycleError",
    "EngineError",
    "EngineUnavailableError",
    "ExecResult",
    "ExecutionFailed",
    "HealthStatus",
    "ImageBuildError",
    "ImageNotFoundError",
    "Interrupted",
    "LogLine",
    "Mark",
    "NotFoundError",
    "OpEvent",
    "OrchestraError",
    "Phase",
    "Plan",
    "Problem",
    "Project",
    "ProjectLockedError",
    "PublishedPort",
    "ReadinessFailed",
    "SpecError",
    "Stack",
    "SyncStack",
    "UsageError",
    "__version__",
    "load_project",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'orchestra' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
