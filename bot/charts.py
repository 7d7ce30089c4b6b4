"""Charts drawn on the server with matplotlib: SVG for the report, PNG for App Home's image blocks.

Only `Figure` is used, never pyplot: no global figure state. The one global setting touched, in
`rc_context` while saving, is SVG-only (a fixed hash salt), so a PNG drawn in a worker thread meanwhile is unaffected.
Every chart has a text twin (bot.domain.trends.weekly_chart_text) for readers without images.
matplotlib (and numpy) are imported on the first chart, not with the bot: a bot that never draws one does not
carry their objects, which every full garbage collection would walk (a longer pause for every request).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

from bot.domain.trends import WeekKpi

Format = Literal["svg", "png"]
BARS, LINE = "#4a6fa5", "#c0392b"  # contrast >= 4.5:1 on white (WCAG AA) for both series


def _hours(value: timedelta | None) -> float:
    return math.nan if value is None else value.total_seconds() / 3600


def weekly_chart(weeks: Sequence[WeekKpi], fmt: Format, *, title: str = "Incidents and MTTR by week") -> bytes:
    """Incidents declared per week (bars) and the median time to resolve in hours (line)."""
    import matplotlib  # noqa: PLC0415 - on the first chart (see the module's docstring)
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    figure = Figure(figsize=(7.2, 2.8), dpi=100)
    axes = figure.add_subplot()
    xs = list(range(len(weeks)))
    axes.bar(xs, [w.incidents for w in weeks], color=BARS, label="Incidents declared")
    axes.set_ylabel("Incidents")
    axes.set_ylim(0, max([w.incidents for w in weeks] + [1]) * 1.4)  # headroom for the legend
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xticks(xs, [f"{w.start:%d %b}" for w in weeks], rotation=45 if len(weeks) > 8 else 0, fontsize=8)
    axes.set_title(title, fontsize=10)
    hours = axes.twinx()
    hours.plot(xs, [_hours(w.mttr_median) for w in weeks], color=LINE, marker="o", label="MTTR median (h)")
    hours.set_ylabel("MTTR median (hours)")
    fixes = [_hours(w.mttr_median) for w in weeks if w.mttr_median is not None]
    hours.set_ylim(0, max(fixes + [1.0]) * 1.4)
    handles = axes.get_legend_handles_labels()[0] + hours.get_legend_handles_labels()[0]
    axes.legend(handles, [str(h.get_label()) for h in handles], loc="upper left", fontsize=8, frameon=False)
    figure.tight_layout()
    out = io.BytesIO()
    # A fixed hash salt and no date: the same weeks always draw the same bytes.
    with matplotlib.rc_context({"svg.hashsalt": "warroom", "svg.fonttype": "none"}):
        figure.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else {"Software": None})
    return out.getvalue()
