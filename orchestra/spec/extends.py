"""Resolve ``extends`` in the services of one Compose document.

``extends: name`` or ``extends: {service: name}`` takes a service of the same document;
``extends: {file: path, service: name}`` a service of another file (read by a loader the caller
passes in, which interpolates it and resolves its paths against that file's directory). Chains
are followed, a ring is an error naming it, and the local service is merged over its base with
the same rules as ``-f`` files (``merge.merge_service``). Like compose, everything is inherited,
``depends_on``, ``volumes_from`` and ``links`` included.

Imports only ``orchestra.errors`` and ``orchestra.spec`` (raw, merge).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestra.errors import Mark, Problem
from orchestra.spec.merge import merge_service
from orchestra.spec.raw import RMap, value_mark

__all__ = ["MAX_EXTENDED_NODES", "FileLoader", "resolve_extends"]

# Every service that extends another gets a copy of it: a large base extended by many services
# (or a long chain) would multiply memory and time, as an alias bomb does, so copies are counted.
MAX_EXTENDED_NODES = 50_000

FileLoader = Callable[[Path], RMap]
"""Reads another Compose file into one tree (interpolated, paths resolved); raises SpecError."""

_Key = tuple[Path, str]


def resolve_extends(
    doc: RMap, file: Path, load_other: FileLoader, display: Callable[[Path], str]
) -> tuple[RMap, list[Problem]]:
    """A copy of ``doc`` (read from ``file``) whose services no longer use ``extends``.

    Returns the new document and the problems found (unknown service or file, ring, bad form).
    Raises SpecError only when another file cannot be read or parsed.
    """
    services = doc.get("services")
    if not isinstance(services, RMap) or not any(_extends_of(s) for s in services.values()):
        return doc, []
    resolver = _Resolver(load_other, display)
    new_services = RMap(mark=services.mark)
    new_services.key_marks.update(services.key_marks)
    new_services.value_marks.update(services.value_marks)
    new_services.tags.update(services.tags)
    for name, service in services.items():
        resolved = resolver.service(file, services, name, ())
        new_services[name] = service if resolved is None else resolved
    result = RMap(doc.items(), mark=doc.mark)
    result.key_marks.update(doc.key_marks)
    result.value_marks.update(doc.value_marks)
    result.tags.update(doc.tags)
    result["services"] = new_services
    return result, resolver.problems


def _extends_of(service: Any) -> Any:
    return service.get("extends") if isinstance(service, RMap) else None


class _Resolver:
    def __init__(self, load_other: FileLoader, display: Callable[[Path], str]) -> None:
        self.load_other = load_other
        self.display = display
        self.done: dict[_Key, RMap | None] = {}
        self.problems: list[Problem] = []
        self.copied = 0

    def service(
        self, file: Path, services: RMap, name: str, chain: tuple[_Key, ...]
    ) -> RMap | None:
        """The service ``name`` of ``services`` (from ``file``) with its extends resolved."""
        key = (file, name)
        if key in self.done:
            return self.done[key]
        service = services.get(name)
        extends = _extends_of(service)
        if extends is None:
            return service if isinstance(service, RMap) else None
        mark = value_mark(service, "extends")
        if key in chain:
            self._cycle((*chain, key), mark)
            return None
        resolved = self._resolve(file, services, name, (*chain, key), mark)
        self.done[key] = resolved
        return resolved

    def _resolve(
        self, file: Path, services: RMap, name: str, chain: tuple[_Key, ...], mark: Mark | None
    ) -> RMap | None:
        service: RMap = services[name]
        path = f"services.{name}.extends"
        target = self._target(service["extends"], path, mark)
        if target is None:
            return None
        base_name, base_file = target
        base_services: RMap | None = services
        if base_file is None:
            base_file = file
        else:
            extends = service["extends"]
            file_mark = value_mark(extends, "file") if isinstance(extends, RMap) else mark
            base_services = self._services_of(base_file, path, file_mark or mark)
        if base_services is None:
            return None
        if base_name not in base_services:
            where = self.display(base_file)
            message = f'cannot extend service "{name}": service "{base_name}" not found in {where}'
            self.problems.append(Problem(path, message, mark))
            return None
        base = self.service(base_file, base_services, base_name, chain)
        if base is None or not self._within_budget(base, path, mark):
            return None
        local = RMap(((k, v) for k, v in service.items() if k != "extends"), mark=service.mark)
        for attr in ("key_marks", "value_marks", "tags"):
            getattr(local, attr).update(getattr(service, attr))
        merged, problems = merge_service(base, local, name)
        self.problems.extend(problems)
        return merged

    def _within_budget(self, base: RMap, path: str, mark: Mark | None) -> bool:
        """Count the copy of ``base`` about to be made; False (one problem) past the limit."""
        if self.copied > MAX_EXTENDED_NODES:
            return False
        self.copied += _size(base, MAX_EXTENDED_NODES - self.copied + 1)
        if self.copied <= MAX_EXTENDED_NODES:
            return True
        message = f"extends copies more than {MAX_EXTENDED_NODES} values; the file is too large"
        self.problems.append(Problem(path, message, mark))
        return False

    def _target(self, extends: Any, path: str, mark: Mark | None) -> tuple[str, Path | None] | None:
        if isinstance(extends, str):
            return extends, None
        if isinstance(extends, RMap):
            name, file = extends.get("service"), extends.get("file")
            if not isinstance(name, str) or not name:
                self.problems.append(Problem(f"{path}.service", "is required", mark))
                return None
            if file is not None and not isinstance(file, str):
                self.problems.append(Problem(f"{path}.file", "must be a string", mark))
                return None
            return name, Path(file) if file else None
        message = "must be a service name or a mapping with `service` (and `file`)"
        self.problems.append(Problem(path, message, mark))
        return None

    def _services_of(self, file: Path, path: str, mark: Mark | None) -> RMap | None:
        if not file.is_file():
            message = f"cannot read {self.display(file)}: no such file"
            self.problems.append(Problem(f"{path}.file", message, mark))
            return None
        services = self.load_other(file).get("services")
        return services if isinstance(services, RMap) else RMap()

    def _cycle(self, chain: tuple[_Key, ...], mark: Mark | None) -> None:
        ring = chain[chain.index(chain[-1]) :]
        files = {file for file, _ in ring}
        if len(files) == 1:
            steps = " -> ".join(name for _, name in ring) + f" (in {self.display(ring[0][0])})"
        else:
            steps = " -> ".join(f"{name} ({self.display(file)})" for file, name in ring)
        self.problems.append(
            Problem(f"services.{ring[-1][1]}.extends", f"extends cycle: {steps}", mark)
        )


def _size(value: Any, cap: int) -> int:
    """The number of values in ``value`` (containers and scalars), counting no further than cap."""
    count, stack = 0, [value]
    while stack and count < cap:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count
