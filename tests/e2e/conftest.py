"""Shared setup of the end-to-end tests: make ``tests/oracle.py`` importable as ``oracle``.

pytest puts only this directory on ``sys.path`` (rootdir-less "prepend" import mode, no
``__init__.py``), so the helper one level up needs its directory added once, here.
Imports only the standard library.
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
