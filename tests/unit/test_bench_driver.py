"""The benchmark driver's command line: what `make bench` and `make bench-quick` run."""

from __future__ import annotations

from bench.driver import Settings, _parser, settings_from


def _settings(*argv: str) -> Settings:
    return settings_from(_parser().parse_args(list(argv)))


def test_full_run_includes_ps_on_500_containers() -> None:
    settings = _settings()
    assert settings.sizes == (10, 50, 100)
    assert settings.health == (False, True)
    assert settings.ps_sizes == (500,)


def test_quick_run_skips_the_large_ps_stack() -> None:
    settings = _settings("--quick")
    assert settings.sizes == (10, 50)
    assert settings.ps_sizes == ()


def test_ps_sizes_can_be_chosen_or_emptied() -> None:
    assert _settings("--ps-sizes", "200,500").ps_sizes == (200, 500)
    assert _settings("--ps-sizes", "").ps_sizes == ()
