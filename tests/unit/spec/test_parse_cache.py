"""The parse cache gives back exactly what the parser made (values, marks, tags), never a
failure, survives damage, stays bounded, and spares a later command the import of PyYAML."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from orchestra.errors import SpecError
from orchestra.spec import parse_cache
from orchestra.spec.parse_cache import cache_directory, parsed
from orchestra.spec.raw import RList, RMap
from orchestra.spec.yamlload import parse_yaml

TEXTS = [
    "services: {}\n",
    textwrap.dedent("""\
        x-base: &base
          image: busybox
          environment: [A=1, "B=two"]
        services:
          web:
            <<: *base
            ports: !reset []
            command: !override [sh, -c, "echo é ü 中"]
            healthcheck: {test: [CMD, "true"], interval: 1s, retries: 3}
          db:
            <<: [*base]
            deploy: {resources: {limits: {cpus: 0.5, memory: 64M}}}
            labels: {yes: on, n: ~, octal: 0755, big: 123456789012345678901234567890, f: .inf}
            secret: !!binary aGVsbG8=
        ---
        name: second
        services: {other: {image: x, entrypoint: null}}
    """),
]


def _same(a: Any, b: Any) -> bool:
    """Equal values with equal marks, tags and item marks all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, RMap):
        return (
            list(a) == list(b)
            and (a.mark, a.key_marks, a.value_marks, a.tags)
            == (b.mark, b.key_marks, b.value_marks, b.tags)
            and all(_same(a[k], b[k]) for k in a)
        )
    if isinstance(a, RList):
        return (a.mark, a.item_marks) == (b.mark, b.item_marks) and all(
            _same(x, y) for x, y in zip(a, b, strict=True)
        )
    return bool(a == b or (a != a and b != b))  # NaN is itself


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str, display: str) -> list[RMap]:
        self.calls += 1
        return parse_yaml(text, display)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(parse_cache.ENV_SWITCH, raising=False)
    return tmp_path / "cache" / "orchestra" / "parsed"


@pytest.mark.parametrize("text", TEXTS)
def test_a_stored_parse_is_what_the_parser_made(text: str, private_cache: Path) -> None:
    parser = Counting()
    first = parsed(text, "a/compose.yaml", parser)
    again = parsed(text, "a/compose.yaml", parser)
    assert parser.calls == 1
    assert cache_directory() == private_cache and len(list(private_cache.iterdir())) == 1
    assert len(first) == len(again) and all(map(_same, first, again))
    assert all(map(_same, again, parse_yaml(text, "a/compose.yaml")))
    elsewhere = parsed(text, "b/compose.yaml", parser)
    assert parser.calls == 1
    assert all(map(_same, elsewhere, parse_yaml(text, "b/compose.yaml")))


def test_a_failed_parse_is_not_stored(private_cache: Path) -> None:
    parser = Counting()
    for _ in range(2):
        with pytest.raises(SpecError, match=r"bad\.yaml:3:1: invalid YAML"):
            parsed("services:\n  - [unclosed\n", "bad.yaml", parser)
    assert parser.calls == 2
    assert not private_cache.exists() or list(private_cache.iterdir()) == []


def test_a_damaged_entry_is_parsed_again_and_replaced(private_cache: Path) -> None:
    parser = Counting()
    expected = parsed(TEXTS[1], "c.yaml", parser)
    (entry,) = private_cache.iterdir()
    for damage in (b"", b"\x00garbage", entry.read_bytes()[:-7]):
        entry.write_bytes(damage)
        assert all(map(_same, parsed(TEXTS[1], "c.yaml", parser), expected))
    assert parser.calls == 4
    assert all(map(_same, parsed(TEXTS[1], "c.yaml", parser), expected))
    assert parser.calls == 4  # the last parse stored a whole entry again


def test_switched_off_or_unwritable_it_parses_every_time(
    private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parser = Counting()
    monkeypatch.setenv(parse_cache.ENV_SWITCH, "0")
    parsed(TEXTS[0], "d.yaml", parser)
    parsed(TEXTS[0], "d.yaml", parser)
    assert parser.calls == 2 and not private_cache.exists()
    monkeypatch.delenv(parse_cache.ENV_SWITCH)
    private_cache.parent.mkdir(parents=True)
    private_cache.write_text("a file where the directory should be")
    assert parsed(TEXTS[0], "d.yaml", parser) == [{"services": {}}]
    assert parser.calls == 3


def test_the_oldest_entries_go_beyond_the_limit(
    private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parse_cache, "MAX_ENTRIES", 3)
    parser = Counting()
    for n in range(6):
        parsed(f"services: {{s{n}: {{image: x}}}}\n", "e.yaml", parser)
        for entry in private_cache.iterdir():  # mtimes may tie on a coarse clock
            os.utime(entry, ns=(entry.stat().st_atime_ns, entry.stat().st_mtime_ns - 10**9))
    assert len(list(private_cache.iterdir())) == 3
    parsed("services: {s5: {image: x}}\n", "e.yaml", parser)
    parsed("services: {s0: {image: x}}\n", "e.yaml", parser)
    assert parser.calls == 7  # s5 was kept, s0 was not


def test_a_second_command_on_the_same_file_does_not_import_yaml(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "x-base: &base {image: busybox}\nservices: {web: *base, db: {<<: *base, init: true}}\n"
    )
    probe = (
        "import sys\n"
        "from orchestra.api_load import load_project\n"
        "project = load_project()\n"
        "print(sorted(project.services), 'yaml' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs == ["['db', 'web'] True", "['db', 'web'] False"]
