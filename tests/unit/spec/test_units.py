"""Durations and byte sizes: Compose's spellings in, numbers out, Go's spelling back."""

from __future__ import annotations

import pytest

from orchestra.spec.units import format_duration, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1m30s", 90.0),
        ("90s", 90.0),
        ("1.5h", 5400.0),
        ("1h2m3s4ms", 3723.004),
        ("1500ms", 1.5),
        (".5s", 0.5),
        ("250us", 0.00025),
        ("250µs", 0.00025),
        ("100ns", 1e-7),
        ("0", 0.0),
        ("0s", 0.0),
        ("-5s", -5.0),
        ("+2m", 120.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10", "missing unit"),
        ("1.5", "missing unit"),
        ("1x", "unknown unit 'x'"),
        ("", "invalid duration"),
        ("s", "invalid duration"),
        ("1m 30s", "invalid duration"),
    ],
)
def test_parse_duration_refuses(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0s"),
        (90.0, "1m30s"),
        (60.0, "1m0s"),
        (3600.0, "1h0m0s"),
        (5400.0, "1h30m0s"),
        (3723.004, "1h2m3.004s"),
        (1.5, "1.5s"),
        (0.5, "500ms"),
        (0.0015, "1.5ms"),
        (0.0000015, "1.5µs"),
        (1e-7, "100ns"),
        (-5.0, "-5s"),
    ],
)
def test_format_duration_like_go(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("text", ["1m30s", "1h2m3.004s", "500ms", "2h0m0s", "1.25s"])
def test_duration_round_trips(text: str) -> None:
    assert format_duration(parse_duration(text)) == text


@pytest.mark.parametrize(
    ("value", "size"),
    [
        (1024, 1024),
        ("1024", 1024),
        ("500m", 500 * 1024**2),
        ("500M", 500 * 1024**2),
        ("1g", 1024**3),
        ("1gb", 1024**3),
        ("1 GB", 1024**3),
        ("1KiB", 1024),
        ("1.5g", 1610612736),
        ("2t", 2 * 1024**4),
        ("10b", 10),
        ("-1", -1),
    ],
)
def test_parse_size(value: str | int, size: int) -> None:
    assert parse_size(value) == size


@pytest.mark.parametrize(
    ("value", "reason"), [("12zb", "suffix 'zb'"), ("abc", "abc"), ("", "invalid size")]
)
def test_parse_size_refuses(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_size(value)


def test_parse_size_refuses_booleans() -> None:
    with pytest.raises(ValueError):
        parse_size(True)
