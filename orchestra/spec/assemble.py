"""The front half of the loader: command-line options → one merged raw tree (``RawProject``).

For every document of every compose file, in order: interpolate, make paths absolute, resolve
``extends``, load and add ``include``d projects; then merge the documents (``-f`` order) and
drop ``version`` (with a warning) and ``include``. Every problem found in the files is raised
together as one SpecError. What the tree means is the back half's business.

Imports only ``orchestra.errors`` and ``orchestra.spec`` (files, read, interpolate, envfile,
paths, extends, include, merge, raw).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

from orchestra.errors import Problem, SpecError
from orchestra.records import record
from orchestra.spec.envfile import load_dotenv
from orchestra.spec.extends import resolve_extends
from orchestra.spec.files import LoadOptions, choose_project_name, display_path, locate
from orchestra.spec.include import IncludeSpec, add_included, read_include
from orchestra.spec.interpolate import (
    InterpolationError,
    interpolate_tree,
    substitute,
    unset_warning,
)
from orchestra.spec.merge import merge_documents
from orchestra.spec.paths import resolve_paths
from orchestra.spec.raw import RMap
from orchestra.spec.read import read_compose_file

__all__ = ["MAX_INCLUDES", "RawProject", "load_raw"]

# Each `include` entry is read and assembled afresh, so files that include the same file twice,
# level after level, would be read 2**levels times: the number of includes per load is capped.
MAX_INCLUDES = 256


@record
class RawProject:
    """The merged Compose tree and what was learnt while reading it."""

    name: str
    directory: Path
    files: tuple[Path, ...]
    environment: Mapping[str, str]
    profiles: tuple[str, ...]
    tree: RMap
    warnings: tuple[str, ...] = field(default=())


def load_raw(options: LoadOptions) -> RawProject:
    """Find, read, interpolate, extend, include and merge the project's files; raises SpecError."""
    located = locate(options)
    session = _Session(located.cwd, located.environment.get("HOME") or os.path.expanduser("~"))
    session.warnings.extend(located.warnings)
    documents = [(path, session.read(path)) for path in located.files]
    declared = _declared_name(documents, located.environment)
    name = choose_project_name(
        options.project_name, located.environment, declared, located.directory
    )
    environment = dict(located.environment)
    environment.setdefault("COMPOSE_PROJECT_NAME", name)
    tree = session.assemble(documents, located.directory, environment, ())
    profiles = options.profiles or _split_profiles(environment.get("COMPOSE_PROFILES", ""))
    return RawProject(
        name=name,
        directory=located.directory,
        files=located.files,
        environment=environment,
        profiles=tuple(profiles),
        tree=tree,
        warnings=tuple(dict.fromkeys(session.warnings)),
    )


def _split_profiles(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(",") if p.strip())


def _declared_name(documents: list[tuple[Path, list[RMap]]], env: Mapping[str, str]) -> str | None:
    """The ``name:`` of the last document that sets one, interpolated (errors come later)."""
    declared: str | None = None
    for _, docs in documents:
        for doc in docs:
            value = doc.get("name")
            if isinstance(value, str):
                try:
                    declared = substitute(value, env.get)
                except InterpolationError:
                    continue
    return declared


class _Session:
    """State of one ``load_raw`` call: where we are, warnings, and the files read so far."""

    def __init__(self, cwd: Path, home: str) -> None:
        self.cwd = cwd
        self.home = home
        self.warnings: list[str] = []
        self.includes = 0

    def display(self, path: Path) -> str:
        return display_path(path, self.cwd)

    def read(self, path: Path) -> list[RMap]:
        return read_compose_file(path, self.display(path))

    def assemble(
        self,
        documents: list[tuple[Path, list[RMap]]],
        base: Path,
        environment: Mapping[str, str],
        chain: tuple[Path, ...],
    ) -> RMap:
        """Process and merge ``documents`` of one project; raises SpecError with all problems."""
        problems: list[Problem] = []
        others: dict[Path, RMap] = {}
        processed = [
            self._process(doc, path, base, environment, (*chain, path), others, problems)
            for path, docs in documents
            for doc in docs
        ]
        if problems:
            raise SpecError(problems)
        tree, merge_problems = merge_documents(processed)
        if merge_problems:
            raise SpecError(merge_problems)
        tree.pop("include", None)
        return tree

    def _interpolate(
        self, doc: RMap, environment: Mapping[str, str], problems: list[Problem]
    ) -> RMap:
        result = interpolate_tree(doc, environment)
        problems.extend(result.problems)
        self.warnings.extend(unset_warning(name) for name in result.unset)
        return result.tree

    def _process(
        self,
        doc: RMap,
        path: Path,
        base: Path,
        environment: Mapping[str, str],
        chain: tuple[Path, ...],
        others: dict[Path, RMap],
        problems: list[Problem],
    ) -> RMap:
        tree = self._interpolate(doc, environment, problems)
        if "version" in tree:
            del tree["version"]
            self.warnings.append(
                f"{self.display(path)}: the attribute `version` is obsolete, it will be ignored,"
                " please remove it to avoid potential confusion"
            )
        resolve_paths(tree, base, self.home)

        def load_other(other: Path) -> RMap:
            if other not in others:
                others[other] = self._other_file(other, environment)
            return others[other]

        tree, extend_problems = resolve_extends(tree, path, load_other, self.display)
        problems.extend(extend_problems)
        specs, include_problems = read_include(tree, base, self.home)
        problems.extend(include_problems)
        for spec in specs:
            included = self._included(spec, environment, chain, problems)
            if included is not None:
                problems.extend(add_included(tree, included, spec))
        return tree

    def _other_file(self, path: Path, environment: Mapping[str, str]) -> RMap:
        """Another file named by ``extends.file``: interpolated, paths against its directory."""
        problems: list[Problem] = []
        docs = [self._interpolate(doc, environment, problems) for doc in self.read(path)]
        for doc in docs:
            resolve_paths(doc, path.parent, self.home)
        if problems:
            raise SpecError(problems)
        if len(docs) == 1:
            return docs[0]  # unmerged, so that its own extends still see !reset tags
        tree, merge_problems = merge_documents(docs)
        if merge_problems:
            raise SpecError(merge_problems)
        return tree

    def _included(
        self,
        spec: IncludeSpec,
        parent_environment: Mapping[str, str],
        chain: tuple[Path, ...],
        problems: list[Problem],
    ) -> RMap | None:
        self.includes += 1
        if self.includes > MAX_INCLUDES:
            message = f"more than {MAX_INCLUDES} includes in one project (a file included again?)"
            if self.includes == MAX_INCLUDES + 1:
                problems.append(Problem("include", message, spec.mark))
            return None
        for path in spec.paths:
            if path in chain:
                steps = " -> ".join(self.display(p) for p in (*chain, path))
                problems.append(Problem("include", f"include cycle: {steps}", spec.mark))
                return None
            if not path.is_file():
                message = f"included file not found: {self.display(path)}"
                problems.append(Problem("include", message, spec.mark))
                return None
        for env_file in spec.env_files:
            if not env_file.is_file():
                message = f"env file not found: {self.display(env_file)}"
                problems.append(Problem("include", message, spec.mark))
                return None
        default_env = spec.project_directory / ".env"
        env_files = spec.env_files or ((default_env,) if default_env.is_file() else ())
        environment = {**load_dotenv(env_files, parent_environment), **parent_environment}
        documents = [(path, self.read(path)) for path in spec.paths]
        return self.assemble(documents, spec.project_directory, environment, chain)
