"""The import rules of design.md §2, checked on the source: who may import whom."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "orchestra"

# module prefix → imports it must never make (prefix match on the imported module name)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "orchestra.errors": ("orchestra.", "docker", "yaml", "anyio", "networkx"),
    "orchestra.labels": ("orchestra.", "docker"),
    "orchestra.spec": ("docker", "anyio", "orchestra.engine", "orchestra.plan", "orchestra.cli"),
    "orchestra.graph": ("docker", "anyio", "orchestra.engine", "orchestra.cli"),
    "orchestra.hashing": ("docker", "anyio", "orchestra.engine", "orchestra.cli"),
    "orchestra.engine": ("orchestra.spec", "orchestra.plan", "orchestra.cli"),
    "orchestra.plan": ("docker", "anyio", "orchestra.engine.docker", "orchestra.cli", "time", "os"),
    "orchestra.readiness": ("docker", "orchestra.spec", "orchestra.cli"),
    "orchestra.execute": ("docker", "orchestra.spec", "orchestra.cli"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for prefix, banned in FORBIDDEN.items():
            if module != prefix and not module.startswith(prefix + "."):
                continue
            for imported in sorted(_imports(path)):
                for ban in banned:
                    bare = ban.rstrip(".")
                    if imported == bare or imported.startswith(bare + "."):
                        problems.append(f"{module} imports {imported}")
    return problems


def test_no_module_breaks_the_import_table() -> None:
    assert _violations() == []


def test_only_the_docker_adapter_imports_docker() -> None:
    offenders = [
        _module_name(p)
        for p in PACKAGE.rglob("*.py")
        if any(i == "docker" or i.startswith("docker.") for i in _imports(p))
        and not _module_name(p).startswith("orchestra.engine.docker")
    ]
    assert offenders == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 400, f"{path} is over the 400-line budget"
