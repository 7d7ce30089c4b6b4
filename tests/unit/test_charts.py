"""Server-side charts: real SVG and PNG from the same weeks, the same bytes each time, and a text twin."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

from bot.charts import weekly_chart
from bot.domain.trends import WeekKpi, weekly_chart_text

MIN = timedelta(minutes=1)
WEEKS = [WeekKpi(date(2026, 11, 2), 3, 5 * MIN, 90 * MIN, 1, 2, 0, 0),
         WeekKpi(date(2026, 11, 9), 0, None, None, 0, 0, 0, 0),
         WeekKpi(date(2026, 11, 16), 5, 10 * MIN, 30 * MIN, 2, 1, 1, 0)]


def test_the_svg_is_well_formed_and_carries_the_title_and_week_labels_as_text() -> None:
    svg = weekly_chart(WEEKS, "svg", title="Last 30 days")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    words = " ".join(t for t in root.itertext())
    assert "Last 30 days" in words and "02 Nov" in words and "16 Nov" in words  # text, not paths: readable


def test_the_png_is_a_png_and_both_formats_are_reproducible() -> None:
    png = weekly_chart(WEEKS, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    assert weekly_chart(WEEKS, "png") == png
    assert weekly_chart(WEEKS, "svg") == weekly_chart(WEEKS, "svg")


def test_the_text_twin_says_what_the_chart_shows() -> None:
    assert weekly_chart_text(WEEKS) == ("8 incidents over 3 weeks from 02 Nov 2026; busiest week 16 Nov with 5; "
                                        "weekly median MTTR from 30 min to 1 h 30 min.")
    assert weekly_chart_text([]) == "No weeks in the period."


def test_the_bot_loads_matplotlib_only_when_it_draws_a_chart() -> None:
    """Its objects would lengthen every full garbage collection of a bot that never draws a chart."""
    import subprocess
    import sys

    probe = ("import sys, bot.app, bot.web, bot.serve, bot.chart_route, bot.reporting; "
             "print(sorted(m for m in ('matplotlib', 'numpy') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
