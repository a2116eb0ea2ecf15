"""Dotenv parsing, compared line by line with what `docker compose` v2 made of the same files."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestra.errors import SpecError
from orchestra.spec.envfile import load_dotenv, parse_env_file, parse_env_text

ENVIRON = {"PROC": "proc", "A": "fromenv"}


def parse(text: str, environ: dict[str, str] | None = None) -> dict[str, str | None]:
    return parse_env_text(text, ".env", (environ if environ is not None else {}).get)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("K=plain", "plain"),
        ("K = spaced value  ", "spaced value"),
        ("export K=exported", "exported"),
        ("export  K=two", "two"),
        ("  K=leading", "leading"),
        ("K:colon", "colon"),
        ("K: colon", "colon"),
        ("K=", ""),
        ("K=x=y", "x=y"),
        ("K=unquoted # comment", "unquoted"),
        ("K=unq#nocomment", "unq#nocomment"),
        ("K=a\t#tab", "a\t#tab"),
        ("K= # only comment", "# only comment"),
        ("K=#x", "#x"),
        ("K=a \\", "a \\"),
        ("K=a\\nb", "a\\nb"),
        ("K=`back`", "`back`"),
        ("K='single $PROC \\n quoted'", "single $PROC \\n quoted"),
        ("K='  spaced  '", "  spaced  "),
        ("K='a\\'b'", "a'b"),
        ("K='a\"b'", 'a"b'),
        ("K='a' # c", "a"),
        (
            'K="double $PROC \\n ${PROC}x \\t tab \\" q \\\\ bs"',
            'double proc \n procx \t tab " q \\ bs',
        ),
        ('K="  spaced  "', "  spaced  "),
        ('K="a"bc', "a"),
        ('K="x" # c', "x"),
        ('K="\\$PROC"', "$PROC"),
        ('K="x\\\\\\\\y"', "x\\\\y"),
        ('K="a\\xb"', "a\\xb"),
        ('K="\\u00e9"', "\\u00e9"),
        ('K="$$"', "$"),
        ("K=$$", "$"),
        ("K=$PROC$PROC", "procproc"),
        ("K=${UNDEFINED:-def}", "def"),
        ("K=${PROC:+alt}", "alt"),
        ("K=é", "é"),
        ('K = "q"  ', "q"),
    ],
)
def test_one_line_values(line: str, expected: str) -> None:
    assert parse(line + "\n", {"PROC": "proc"}) == {"K": expected}


def test_multi_line_quoted_values() -> None:
    text = "J=\"multi\nline\"\nK='multi\nsingle'\nL=after\n"
    assert parse(text) == {"J": "multi\nline", "K": "multi\nsingle", "L": "after"}


def test_comments_blank_lines_crlf_and_odd_keys() -> None:
    text = (
        "# comment\r\n\r\n   # indented comment\r\nA=1\r\nA-B=2\r\nA.B=3\r\n1A=4\r\nexportA=5\r\n"
    )
    assert parse(text) == {"A": "1", "A-B": "2", "A.B": "3", "1A": "4", "exportA": "5"}


def test_a_line_without_key_is_ignored() -> None:
    assert parse("=value\n = \nB=1\n") == {"B": "1"}


def test_key_alone_takes_the_environment_or_none() -> None:
    assert parse("A\nexport B\nC\n", {"A": "a", "C": ""}) == {"A": "a", "B": None, "C": ""}


def test_later_lines_win_and_see_earlier_lines() -> None:
    assert parse("A=1\nA=2\nB=${A}x\n") == {"A": "2", "B": "2x"}


def test_the_environment_wins_over_earlier_lines_in_substitution() -> None:
    # compose looks a name up in the environment first, then in the file
    assert parse("PROC=fromfile\nK=${PROC}\n", {"PROC": "proc"}) == {
        "PROC": "fromfile",
        "K": "proc",
    }


def test_a_later_line_is_not_visible_to_an_earlier_one() -> None:
    assert parse("A=${B}\nB=later\n") == {"A": "", "B": "later"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bad key=1\n", ".env:1:1: key cannot contain a space"),
        ("A=1\nfoo bar\n", ".env:2:1: key cannot contain a space"),
        ("A$B=1\n", ".env:1:1: unexpected character '$' in variable name 'A$B=1'"),
        ('A=1\n"B"=2\n', ".env:2:1: unexpected character '\"' in variable name '\"B\"=2'"),
        ('A="unterminated\n', '.env:1:1: unterminated quoted value "unterminated'),
        ("A=1\n\n\n  B='x\n", ".env:4:1: unterminated quoted value 'x"),
        ("A=1\nB=${C\n", '.env:2:1: invalid interpolation format "${C"'),
        ("A=${B:?need b}\n", ".env:1:1: required variable B is missing a value: need b"),
    ],
)
def test_errors_name_the_line(text: str, expected: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse(text)
    assert str(caught.value).startswith(expected)


def test_parse_env_file_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "svc.env"
    path.write_text("A=file\nB=${A}-x\nC\nD=${PV}\nE\n")
    # As for a service's env_file: the environment does not override the file's own values,
    # but it is what substitution and bare keys see first.
    assert parse_env_file(path, {"A": "proc", "C": "procC", "PV": "pv"}) == {
        "A": "file",
        "B": "proc-x",
        "C": "procC",
        "D": "pv",
        "E": None,
    }


def test_parse_env_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"cannot read env file .*missing\.env"):
        parse_env_file(tmp_path / "missing.env", {})
    bad = tmp_path / "bad.env"
    bad.write_text("A=1\nB='open\n")
    with pytest.raises(SpecError, match=r"bad.env:2:1: unterminated quoted value"):
        parse_env_file(bad, {})


def test_load_dotenv_later_files_win_and_see_earlier_files(tmp_path: Path) -> None:
    first, second = tmp_path / "one.env", tmp_path / "two.env"
    first.write_text("A=1\nB=1\nUNRESOLVED\n")
    second.write_text("B=2\nC=${A}${PROC}\n")
    loaded = load_dotenv([first, second], {"PROC": "p"})
    assert loaded == {"A": "1", "B": "2", "C": "1p"}


def test_load_dotenv_substitutes_from_the_environment_first(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=file\nB=${A}\n")
    assert load_dotenv([path], ENVIRON) == {"A": "file", "B": "fromenv"}


def test_load_dotenv_strips_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes("\ufeffA=bom\n".encode())
    assert load_dotenv([path], {}) == {"A": "bom"}
