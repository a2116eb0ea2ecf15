"""Hostile project and service names (issue 7, promise 5): compose's rules, refused before the
engine is touched.

Every name is tried through ``-p``, ``COMPOSE_PROJECT_NAME``, a top-level ``name:`` and as a
service key, with ``orchestra config`` and with ``orchestra up`` while ``DOCKER_HOST`` points
at a socket that does not exist: a refused name exits 2 (never 3, which would mean orchestra
went for the engine first), an accepted one exits 0 for ``config``. The oracle (``docker
compose config -q``) runs on the same input, and orchestra must agree with it, except where
``STRICTER`` says why orchestra refuses what compose accepts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from oracle import Run, clean_env, oracle_binary, orchestra_binary, run_tool

pytestmark = pytest.mark.e2e

LONG = "x" * 300
HOSTILE = [
    "ok", "ok-1_x", "1", "x-", "a_", "UPPER", "a b", "../x", "a/b", "$(id)", "`id`", "a;b",
    "a|b", "a&b", "_x", ".x", "é", "☃", "a.b", "a:b", LONG,
]  # fmt: skip
# Names compose accepts that orchestra refuses, with why.
STRICTER: dict[tuple[str, str], str] = {
    # The engine keeps a named volume in a directory called <project>_<volume>, and orchestra's
    # project lock file is named after the project: a file name cannot exceed 255 bytes, so
    # compose gets half-way through `up` (networks created) before the engine refuses.
    ("project", LONG): "a 300-character project name cannot name a volume directory",
    ("env", LONG): "a 300-character project name cannot name a volume directory",
    ("name", LONG): "a 300-character project name cannot name a volume directory",
}
_SERVICE = "services:\n  {key}:\n    image: orchestra-test/busybox:1\n"


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$") + '"'


def _project_dir(tmp_path: Path, name: str, where: str) -> tuple[Path, list[str], dict[str, str]]:
    """A project directory, the global arguments and the environment that carry ``name``."""
    text = _SERVICE.format(key="web")
    args: list[str] = []
    env: dict[str, str] = {}
    if where == "project":
        args = ["-p", name]
    elif where == "env":
        env = {"COMPOSE_PROJECT_NAME": name}
    elif where == "name":
        text = f"name: {_quoted(name)}\n" + text
    else:
        text = _SERVICE.format(key=_quoted(name))
        args = ["-p", "orch-dt-names"]
    (tmp_path / "compose.yaml").write_text(text, encoding="utf-8")
    return tmp_path, args, env


def _orchestra(directory: Path, args: list[str], env: dict[str, str], command: str) -> Run:
    environment = clean_env(env)
    environment["DOCKER_HOST"] = f"unix://{directory}/no-such-engine.sock"
    environment["XDG_RUNTIME_DIR"] = str(directory)
    argv = [str(orchestra_binary()), "-f", "compose.yaml", *args, command]
    return run_tool(argv, directory, environment, timeout=60)


@pytest.mark.parametrize("where", ["project", "env", "name", "service"])
@pytest.mark.parametrize("name", HOSTILE, ids=lambda n: n if len(n) < 20 else f"{len(n)}chars")
def test_hostile_names_follow_compose_and_never_reach_the_engine(
    tmp_path: Path, name: str, where: str
) -> None:
    """Same verdict as compose (or a stated reason); a refusal is exit 2 before the engine."""
    directory, args, env = _project_dir(tmp_path, name, where)
    oracle_argv = [str(oracle_binary()), "-f", "compose.yaml", *args, "config", "-q"]
    oracle = run_tool(oracle_argv, directory, clean_env(env), timeout=60)
    config = _orchestra(directory, args, env, "config")
    assert "Traceback" not in config.stderr, config.stderr
    stricter = (where, name) in STRICTER
    if oracle.returncode == 0 and not stricter:
        assert config.returncode == 0, f"compose accepts {name!r} ({where}):\n{config.stderr}"
        return
    assert config.returncode == 2, f"{name!r} ({where}) must be refused:\n{config.stderr}"
    assert config.stderr.strip() and len(config.stderr.splitlines()) <= 25
    if stricter:
        assert oracle.returncode == 0, "compose refuses it now: drop the STRICTER entry"
    up = _orchestra(directory, args, env, "up")
    assert up.returncode == 2, f"`up` must refuse {name!r} before the engine:\n{up.stderr}"
    assert "Traceback" not in up.stderr and "engine" not in up.stderr.lower(), up.stderr
