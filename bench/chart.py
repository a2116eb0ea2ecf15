"""The PNG chart of a run: one panel per command, wall-time medians per stack and tool.

Bars are medians with min-max whiskers; a failed tool (no successful sample) gets a hatched
bar at the wall time it failed after. Imports ``matplotlib`` (the ``dev`` extra), lazily.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.stats import Key, Summary

__all__ = ["write_chart"]

_COLOURS = {"orchestra": "#1f77b4", "compose": "#ff7f0e", "raw": "#7f7f7f"}


def _stack_label(services: int, health: bool) -> str:
    return f"{services}{' h' if health else ''}"


def _panel(ax: Any, step: str, wall: Mapping[Key, Summary], tools: Sequence[str]) -> None:
    stacks = sorted({(n, h) for (s, n, h, _) in wall if s == step})
    tools = [t for t in tools if any(k[0] == step and k[3] == t for k in wall)]
    width = 0.8 / max(1, len(tools))
    for t_index, tool in enumerate(tools):
        for x, (n, h) in enumerate(stacks):
            summary = wall.get((step, n, h, tool))
            if summary is None:
                continue
            pos = x + (t_index - (len(tools) - 1) / 2) * width
            label = tool if x == 0 or not ax.get_legend_handles_labels()[1].count(tool) else None
            if summary.ok:
                low, high = min(summary.values), max(summary.values)
                err = [[summary.median - low], [high - summary.median]]
                ax.bar(pos, summary.median, width, color=_COLOURS.get(tool), label=label)
                ax.errorbar(pos, summary.median, yerr=err, color="black", capsize=2, lw=0.8)
            elif summary.failed_walls:
                failed_at = max(summary.failed_walls)
                ax.bar(pos, failed_at, width, color="white", edgecolor="red", hatch="xx")
                ax.text(pos, failed_at, "failed", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(stacks)), [_stack_label(n, h) for n, h in stacks])
    ax.set_title(step, fontsize=10)
    ax.set_ylabel("wall s")
    ax.set_xlabel("services (h = healthchecks)")


def write_chart(
    wall: Mapping[Key, Summary], steps: Sequence[str], tools: Sequence[str], path: Path
) -> None:
    """Draw the panels of ``steps`` that have data into ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = [s for s in steps if any(key[0] == s for key in wall)]
    cols = 3
    rows = max(1, -(-len(present) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
    for ax, step in zip(axes.flat, present, strict=False):
        _panel(ax, step, wall, tools)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(present) :]:
        ax.axis("off")
    fig.suptitle("orchestra vs docker compose vs raw docker SDK (median, min-max)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
