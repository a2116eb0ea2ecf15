"""``mypy --strict`` on downstream code that uses orchestra, run from outside the checkout.

mypy runs in a temporary directory (no orchestra config applies) and finds orchestra the way a
user's checker would: installed, typed through ``py.typed``. A second file with deliberate
mistakes must fail, so the first passing is not a sign of types degraded to ``Any``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

HERE = Path(__file__).parent
MISTAKES = """
from orchestra import Stack, SyncStack

async def wrong(stack: Stack) -> None:
    port: str = (await stack.port("web", 80))[1]
    await stack.up(services="web", wait="yes")
    stack.exec("web", ["true"]).stdout

def wrong_too(stack: SyncStack) -> None:
    for line in stack.logs("web", follow=True):
        pass

async def wrong_three(stack: Stack) -> None:
    await stack.up(progress="plain")
    await stack.down(cancel=True)
"""


def mypy(tmp_path: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".cache")]
        + [str(f) for f in files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_downstream_code_passes_mypy_strict_and_misuse_fails(tmp_path: Path) -> None:
    good = Path(shutil.copy(HERE / "downstream.py", tmp_path / "downstream.py"))
    bad = tmp_path / "mistakes.py"
    bad.write_text(MISTAKES)
    done = mypy(tmp_path, good, bad)  # one run: the cold cache of anyio and pytest costs most
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert not [e for e in errors if e.startswith("downstream.py")], done.stdout
    assert sorted({int(e.split(":")[1]) for e in errors}) == [5, 6, 7, 10, 14, 15], done.stdout
