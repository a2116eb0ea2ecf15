"""Write ``docs/benchmarks.md`` (and the PNG beside it) from a run's JSON results.

``python -m bench.report [RESULTS.json] [REPORT.md]`` regenerates the report without
re-running anything. Text after the ``NOTES_MARKER`` line of an existing report is kept, so
hand-written analysis survives a new run. Imports only the stdlib and ``bench.*``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.stats import METRICS, Key, Summary, group, ratio
from bench.targets import check_targets
from bench.tools import Step

__all__ = ["NOTES_MARKER", "render", "write_report"]

NOTES_MARKER = "<!-- notes below this line are kept when bench/report.py rewrites the file -->"
_STEPS = [step.value for step in Step]
_TOOLS = ["orchestra", "compose", "raw"]
_HOW = """\
- Stacks from `bench/generate.py` (seed {seed}): N services of `orchestra-test/busybox:1` in
  {layers} layers, each depending on 1-3 services of the layer above; every 5th mounts a named
  volume, every 4th has `mem_limit: 64m` + `cpu_shares: 512`; two networks; `init: true` with
  `sleep 3600`. "h" = healthcheck `test -f /tmp/healthy` (interval 1s, timeout 1s, retries
  30) and `service_healthy` edges; health stacks measure `up -d --wait` as their cold up.
- Per stack and repetition ({reps}), each tool runs `--help`, `config`, a cold up, a no-op
  `up -d`, `ps --format json`, `down -v`; the tool order rotates every repetition.
- Wall time; client CPU = user + sys of the child (`wait4` rusage); peak RSS = `ru_maxrss`
  of the child (its floor is the driver's own ~13 MB, inherited through the spawn).
- raw = plain docker SDK low-level calls from 16 worker threads (`bench/raw.py`): networks
  and volumes first, all creates at once, each start as soon as its dependencies meet their
  condition (health from the event stream); no observation, no planning. It has no
  `config`, `ps` or no-op `up`.
- Cells: median (min-max) over the successful runs; failures are counted apart."""


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _table(summaries: dict[Key, Summary], unit: str) -> list[str]:
    lines = [
        "| command | N | health | orchestra | compose | raw | orchestra/compose | orchestra/raw |",
        "|---|--:|:-:|--:|--:|--:|--:|--:|",
    ]
    stacks = sorted(
        {(s, n, h) for (s, n, h, _) in summaries}, key=lambda k: (_STEPS.index(k[0]), k[1], k[2])
    )
    for step, n, health in stacks:
        cells = [summaries.get((step, n, health, tool)) for tool in _TOOLS]
        orch, compose, raw = cells
        shown = [c.cell(unit) if c is not None else "-" for c in cells]
        lines.append(
            f"| {step} | {n} | {'h' if health else '-'} | {' | '.join(shown)} | "
            f"{_fmt_ratio(ratio(orch, compose))} | {_fmt_ratio(ratio(orch, raw))} |"
        )
    return lines


def render(data: dict[str, Any], chart_name: str | None) -> str:
    """The markdown report of one run's results."""
    records = data["records"]
    tables = {name: group(records, spec[0]) for name, spec in METRICS.items()}
    knobs = data["settings"]
    out = ["# Benchmarks: orchestra vs docker compose vs the raw engine", ""]
    out.append(
        f"Run {knobs.get('started', '?')} to {knobs.get('finished', 'unfinished')} by "
        "`bench/driver.py` (`make bench` / `make bench-quick`); raw data in "
        "`bench/results/latest.json`; regenerate with `python -m bench.report`."
    )
    out += ["", "## Machine", "", "| | |", "|---|---|"]
    out += [f"| {key} | {value} |" for key, value in data["machine"].items()]
    out += [
        "",
        "## How",
        "",
        _HOW.format(seed=knobs.get("seed"), layers=knobs.get("layers"), reps=knobs.get("reps")),
    ]
    out += ["", "## Targets (issue 6)", "", "| target | status | measured |", "|---|---|---|"]
    for verdict in check_targets(tables["wall"], tables["cpu"], tables["rss"]):
        out.append(f"| {verdict.target} | {verdict.status} | {verdict.detail} |")
    for name, (_, unit, heading) in METRICS.items():
        out += ["", f"## {heading} ({unit})", "", *_table(tables[name], unit)]
    if chart_name:
        out += ["", "## Chart", "", f"![wall time per command]({chart_name})"]
    return "\n".join(out) + "\n"


def _kept_notes(report: Path) -> str:
    if not report.exists():
        return ""
    text = report.read_text(encoding="utf-8")
    index = text.find(NOTES_MARKER)
    return text[index + len(NOTES_MARKER) :] if index >= 0 else ""


def write_report(results: Path, report: Path, *, chart: bool = True) -> None:
    """Read ``results`` (JSON), write ``report`` (markdown) and its PNG (same stem)."""
    data = json.loads(results.read_text(encoding="utf-8"))
    png = report.with_suffix(".png")
    if chart:
        from bench.chart import write_chart

        write_chart(group(data["records"], "wall"), _STEPS, _TOOLS, png)
    notes = _kept_notes(report) or "\n"
    text = render(data, png.name if chart else None) + "\n" + NOTES_MARKER + notes
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.report [RESULTS.json] [REPORT.md]``."""
    args = sys.argv[1:] if argv is None else argv
    results = Path(args[0]) if args else Path("bench/results/latest.json")
    report = Path(args[1]) if len(args) > 1 else Path("docs/benchmarks.md")
    write_report(results, report)
    print(f"wrote {report} and {report.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
