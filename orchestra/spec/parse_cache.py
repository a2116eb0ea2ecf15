"""Parsed Compose files kept between runs, so that a command on an unchanged file skips PyYAML.

Importing PyYAML costs more than parsing a 50-service file with it (its pure-Python reader
compiles a large Unicode pattern at import), and most commands read files that have not changed
since the last one. So a successful parse is stored, and a later read of the same text takes the
stored trees instead, without importing ``yaml``.

An entry is named by the SHA-256 of the text and of a stamp of the parser (size and mtime of
``yamlload.py``, ``raw.py`` and PyYAML's package), so a changed file or parser never meets an old
entry. It holds the ``RMap``/``RList`` trees as nested tuples for ``marshal`` (data only: loading
an entry cannot run code), with marks as (line, column): the file's display name is given back
on reading, so one entry serves the file under any path. Failed parses are not stored: their
errors come from the parser every time. Entries live in ``$XDG_CACHE_HOME/orchestra/parsed``
(else ``~/.cache/orchestra/parsed``), at most ``MAX_ENTRIES``, the least recently used removed
first. ``ORCHESTRA_PARSE_CACHE=0`` turns the cache off. Any problem with the cache (unwritable, a
damaged entry) means a parse as without it, never an error.

Imports the standard library, ``orchestra.errors`` and ``orchestra.spec.raw``; never ``yaml``.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from orchestra.errors import Mark
from orchestra.spec.raw import RList, RMap

__all__ = ["ENV_SWITCH", "MAX_ENTRIES", "cache_directory", "parsed"]

ENV_SWITCH = "ORCHESTRA_PARSE_CACHE"
MAX_ENTRIES = 200
_FORMAT = b"orchestra-parsed-1"
_MAP, _LIST = 0, 1

Parser = Callable[[str, str], list[RMap]]


def cache_directory() -> Path:
    """``$XDG_CACHE_HOME/orchestra/parsed``, else ``~/.cache/orchestra/parsed``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "orchestra" / "parsed"


def parsed(text: str, display: str, parse: Parser) -> list[RMap]:
    """``parse(text, display)``, or the trees a parse of the same text stored earlier."""
    if os.environ.get(ENV_SWITCH) == "0":
        return parse(text, display)
    entry = cache_directory() / _entry_name(text)
    stored = _load(entry, display)
    if stored is not None:
        with contextlib.suppress(OSError):
            os.utime(entry)  # recently used: the last to be pruned
        return stored
    documents = parse(text, display)  # raises SpecError: nothing is stored then
    _store(entry, documents)
    return documents


def _parser_stamp() -> bytes:
    here = Path(__file__).parent
    sources = [here / "yamlload.py", here / "raw.py"]
    spec = find_spec("yaml")
    if spec is not None and spec.origin:
        sources.append(Path(spec.origin))
    stamp = []
    for source in sources:
        try:
            info = source.stat()
        except OSError:
            continue
        stamp.append(f"{source}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(stamp).encode()


def _entry_name(text: str) -> str:
    digest = hashlib.sha256(_FORMAT)
    digest.update(_parser_stamp())
    digest.update(b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _load(entry: Path, display: str) -> list[RMap] | None:
    try:
        data = entry.read_bytes()
    except OSError:
        return None
    try:
        decoder = _Decoder(display)
        documents = [decoder.value(item) for item in marshal.loads(data)]
    except (ValueError, EOFError, TypeError, IndexError, KeyError):
        return None  # damaged or from another format: parse again (and overwrite it)
    return documents if all(isinstance(d, RMap) for d in documents) else None


def _store(entry: Path, documents: list[RMap]) -> None:
    try:
        data = marshal.dumps([_encode(d) for d in documents])
        entry.parent.mkdir(parents=True, exist_ok=True)
        # Not tempfile: importing it cost more than a hit saves on a small file.
        temporary = entry.with_name(f".tmp-{os.getpid()}-{entry.name}")
        temporary.write_bytes(data)
        os.replace(temporary, entry)  # readers see a whole entry or none
        _prune(entry.parent)
    except (OSError, ValueError):
        return


def _prune(directory: Path) -> None:
    entries = [e for e in os.scandir(directory) if not e.name.startswith(".tmp-")]
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda e: e.stat().st_mtime_ns)
    for old in entries[: len(entries) - MAX_ENTRIES]:
        try:
            os.unlink(old.path)
        except OSError:
            continue


def _mark(mark: Mark | None) -> tuple[int, int] | None:
    return None if mark is None else (mark.line, mark.column)


def _encode(value: Any) -> Any:
    """A tree as nested tuples: (_MAP, mark, [(key, value, key mark, value mark)], tags) and
    (_LIST, mark, [(item, item mark)]); scalars as they are."""
    if isinstance(value, RMap):
        items = [
            (key, _encode(item), _mark(value.key_marks.get(key)), _mark(value.value_marks.get(key)))
            for key, item in value.items()
        ]
        return (_MAP, _mark(value.mark), items, dict(value.tags))
    if isinstance(value, RList):
        marks = value.item_marks
        return (
            _LIST,
            _mark(value.mark),
            [(_encode(v), _mark(m)) for v, m in zip(value, marks, strict=True)],
        )
    return value


class _Decoder:
    """Rebuilds the trees of one entry; equal marks become one Mark, as the parser shares them."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.marks: dict[tuple[int, int], Mark] = {}

    def mark(self, place: tuple[int, int] | None) -> Mark | None:
        if place is None:
            return None
        found = self.marks.get(place)
        if found is None:
            found = self.marks[place] = Mark(self.display, place[0], place[1])
        return found

    def value(self, value: Any) -> Any:
        if not isinstance(value, tuple):
            return value
        mark = self.mark
        if value[0] == _MAP:
            _, own, items, tags = value
            result = RMap(mark=mark(own))
            for key, item, key_mark, value_mark in items:
                result.set(key, self.value(item), mark(key_mark), mark(value_mark))
            result.tags.update(tags)
            return result
        _, own, items = value
        sequence = RList(mark=mark(own))
        for item, item_mark in items:
            sequence.add(self.value(item), mark(item_mark))
        return sequence
