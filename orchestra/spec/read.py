"""Read a Compose file: its size limit, its encoding, and its parse (kept in ``parse_cache``).

Imports ``orchestra.errors``, ``orchestra.spec.raw`` and ``parse_cache``; ``yamlload`` (and so
PyYAML) only when the parse cache does not hold the file's text.
"""

from __future__ import annotations

from pathlib import Path

from orchestra.errors import Mark, Problem, SpecError
from orchestra.spec.parse_cache import parsed
from orchestra.spec.raw import RMap

__all__ = ["MAX_FILE_BYTES", "read_compose_file"]

MAX_FILE_BYTES = 10 * 1024 * 1024


def read_compose_file(path: Path, display: str) -> list[RMap]:
    """Read and parse the Compose file ``path``; raises SpecError (size, I/O, YAML, shape)."""
    where = Mark(display, 1, 1)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SpecError(
                Problem("", f"file is {size} bytes, over the {MAX_FILE_BYTES} byte limit", where)
            )
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(Problem("", f"cannot read the file: {exc.strerror or exc}", where)) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(Problem("", f"the file is not UTF-8: {exc.reason}", where)) from exc
    return parsed(text, display, _parse_yaml)


def _parse_yaml(text: str, display: str) -> list[RMap]:
    from orchestra.spec.yamlload import parse_yaml

    return parse_yaml(text, display)
