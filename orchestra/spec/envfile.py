"""Parse dotenv files (the project ``.env``, ``--env-file`` and services' ``env_file``).

The dialect is compose's: ``KEY=VAL``, ``KEY: VAL``, ``export KEY=VAL``, ``#`` comment lines,
blank lines, ``KEY`` alone (taken from the environment), unquoted values (trailing ``" #..."``
comment and spaces cut, variables substituted), single quotes (literal, ``\\'`` escapes a quote),
double quotes (escapes ``\\n \\r \\t \\\\ \\" \\$``, variables substituted, may span lines).
Substitution looks a name up in the given environment first, then in earlier lines.

Imports only ``orchestra.errors`` and ``orchestra.spec.interpolate``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from orchestra.errors import Mark, Problem, SpecError
from orchestra.spec.interpolate import (
    MAX_TREE_CHARS,
    MAX_VALUE_CHARS,
    InterpolationError,
    substitute,
)

__all__ = ["load_dotenv", "parse_env_file", "parse_env_text"]

_KEY_PUNCTUATION = frozenset("_.-")
_SPACES = " \t\v\f\r"
_ESCAPES = MappingProxyType({"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "$": "$$"})


def parse_env_file(path: Path, environ: Mapping[str, str]) -> dict[str, str | None]:
    """Read a dotenv file; ``KEY`` alone maps to ``environ[KEY]``, or None when that is unset.

    Raises SpecError when the file cannot be read or has a syntax error (with file:line).
    """
    return parse_env_text(_read(path), str(path), environ.get)


def load_dotenv(paths: Sequence[Path], environ: Mapping[str, str]) -> dict[str, str]:
    """The variables of several dotenv files, later files winning; unresolved ``KEY`` lines drop.

    Each file substitutes from ``environ`` first, then from the files before it (compose's
    order). The result does not include ``environ`` itself. Raises SpecError.
    """
    loaded: dict[str, str] = {}

    def lookup(name: str) -> str | None:
        found = environ.get(name)
        return found if found is not None else loaded.get(name)

    for path in paths:
        values = parse_env_text(_read(path), str(path), lookup)
        loaded.update({k: v for k, v in values.items() if v is not None})
    return loaded


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SpecError(Problem("", f"cannot read env file {path}: {reason}")) from exc
    except UnicodeDecodeError as exc:
        raise SpecError(Problem("", f"env file {path} is not UTF-8: {exc.reason}")) from exc


def parse_env_text(
    text: str, source: str, lookup: Callable[[str], str | None]
) -> dict[str, str | None]:
    """Parse dotenv ``text`` (``source`` names it in errors); raises SpecError."""
    return _Parser(text.replace("\r\n", "\n"), source, lookup).run()


class _Parser:
    def __init__(self, text: str, source: str, lookup: Callable[[str], str | None]) -> None:
        self.text = text
        self.source = source
        self.outer = lookup
        self.pos = 0
        self.out: dict[str, str | None] = {}
        # Lines can double earlier lines (B=${A}${A}, C=${B}${B}, ...): bound the total.
        self.budget = MAX_TREE_CHARS

    def fail(self, message: str, at: int) -> SpecError:
        line = self.text.count("\n", 0, at) + 1
        return SpecError(Problem("", message, Mark(self.source, line, 1)))

    def lookup(self, name: str) -> str | None:
        found = self.outer(name)
        return found if found is not None else self.out.get(name)

    def run(self) -> dict[str, str | None]:
        while self._skip_blank_and_comments():
            start = self.pos
            key, separator = self._key()
            if separator in ("\n", ""):
                if key:
                    self.out[key] = self.outer(key)
                continue
            value = self._value(start)
            if key:  # compose ignores a line with an empty key, like "=value"
                self.out[key] = value
        return self.out

    def _skip_blank_and_comments(self) -> bool:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char.isspace():
                self.pos += 1
            elif char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return True
        return False

    def _key(self) -> tuple[str, str]:
        """Read a key up to ``=``, ``:`` or the end of the line; returns it and the separator."""
        text, start = self.text, self.pos
        if text.startswith("export", start) and text[start + 6 : start + 7] in (" ", "\t"):
            start += 6
            while start < len(text) and text[start] in _SPACES:
                start += 1
        end = start
        while end < len(text) and text[end] not in "=:\n":
            char = text[end]
            if not (char.isalnum() or char in _KEY_PUNCTUATION or char in _SPACES):
                line_end = text.find("\n", start)
                near = text[start : None if line_end < 0 else line_end]
                raise self.fail(f"unexpected character {char!r} in variable name {near!r}", end)
            end += 1
        key = text[start:end].strip(_SPACES)
        if any(c in _SPACES for c in key):
            raise self.fail("key cannot contain a space", start)
        separator = text[end : end + 1]
        self.pos = end + 1 if separator else end
        return key, separator

    def _value(self, line_start: int) -> str:
        text = self.text
        while self.pos < len(text) and text[self.pos] in _SPACES:
            self.pos += 1
        quote = text[self.pos : self.pos + 1]
        if quote in ("'", '"'):
            return self._quoted(quote)
        end = text.find("\n", self.pos)
        end = len(text) if end < 0 else end
        raw = text[self.pos : end]
        self.pos = end
        comment = raw.find(" #")
        if comment >= 0:
            raw = raw[:comment]
        return self._expand(raw.rstrip(), line_start)

    def _quoted(self, quote: str) -> str:
        text, start = self.text, self.pos
        chunks: list[str] = []
        i = start + 1
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                chunks.append(self._escape(text[i + 1], quote))
                i += 2
            elif char == quote:
                end = text.find("\n", i)
                self.pos = len(text) if end < 0 else end  # text after the quote is ignored
                value = "".join(chunks)
                return self._expand(value, start) if quote == '"' else value
            else:
                chunks.append(char)
                i += 1
        line_end = text.find("\n", start)
        shown = text[start : None if line_end < 0 else line_end]
        raise self.fail(f"unterminated quoted value {shown}", start)

    @staticmethod
    def _escape(char: str, quote: str) -> str:
        if quote == "'":
            return "'" if char == "'" else "\\" + char
        return _ESCAPES.get(char, "\\" + char)

    def _expand(self, value: str, at: int) -> str:
        try:
            limit = min(MAX_VALUE_CHARS, self.budget)
            result = substitute(value, self.lookup, limit=limit)
            self.budget -= len(result)
            return result
        except InterpolationError as exc:
            raise self.fail(str(exc), at) from exc
