"""The operations report rendered: JSON (a stable, documented shape), Markdown tables, or one HTML file that opens
offline (inline CSS, the charts as inline SVG, no script). docs/KPIS.md describes the JSON."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from bot.charts import weekly_chart
from bot.domain.kpis import Recurrence, TimeKpi
from bot.domain.milestones import format_duration, format_span
from bot.domain.report import Report
from bot.domain.trends import WeekKpi, weekly_chart_text

ReportFormat = Literal["html", "md", "json"]
FORMATS: tuple[ReportFormat, ...] = ("html", "md", "json")
SCHEMA = "warroom.report/1"


def seconds(value: timedelta | None) -> float | None:
    """A duration in JSON: seconds, or null when there is no sample."""
    return None if value is None else value.total_seconds()


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def _times(kpi: TimeKpi, **extra: Any) -> dict[str, Any]:
    return {"key": kpi.key, **extra, "count": kpi.count,
            "mtta_median_s": seconds(kpi.mtta_median), "mtta_p90_s": seconds(kpi.mtta_p90),
            "mttr_median_s": seconds(kpi.mttr_median), "mttr_p90_s": seconds(kpi.mttr_p90)}


def _recurrence(report: Report, item: Recurrence) -> dict[str, Any]:
    return {"key": item.key, "label": report.label_of(item.key), "count": item.count, "recurring": item.recurring,
            "rate": round(item.rate, 4)}


def _week(week: WeekKpi) -> dict[str, Any]:
    return {"week_start": week.start.isoformat(), "incidents": week.incidents,
            "mtta_median_s": seconds(week.mtta_median), "mttr_median_s": seconds(week.mttr_median),
            "recurring": week.recurring, "recurrence_rate": round(week.recurrence_rate, 4),
            "with_step_run": week.with_step_run, "coverage": round(week.coverage, 4),
            "followups_created": week.followups_created, "followups_done": week.followups_done}


def report_dict(report: Report) -> dict[str, Any]:
    """The JSON document: field names are stable (a new field may be added; none is renamed within a schema)."""
    cover, alerts = report.coverage, report.alert_coverage
    return {
        "schema": SCHEMA,
        "period": {"since": _iso(report.since), "until": _iso(report.until), "label": report.label},
        "generated_at": _iso(report.generated_at),
        "teams": list(report.teams),
        "class": report.incident_class,
        "incidents": {"total": report.total.count, "resolved": report.resolved,
                      "with_root_cause": report.with_root_cause, "all": _times(report.total),
                      "by_severity": [_times(k) for k in report.by_severity],
                      "by_service": [_times(k) for k in report.by_service],
                      "by_class": [_times(k, label=report.label_of(k.key)) for k in report.by_class]},
        "recurrence": {"window_s": seconds(report.window),
                       "by_class": [_recurrence(report, r) for r in report.recurrence]},
        "runbook_coverage": {"incidents": cover.incidents, "with_runbook": cover.with_runbook,
                             "with_step_run": cover.with_step_run, "incident_share": round(cover.incident_share, 4),
                             "top_classes": list(cover.top_classes), "covered_classes": list(cover.covered_classes),
                             "class_share": round(cover.class_share, 4),
                             "top_alerts": [{"title": a.title, "incidents": a.incidents,
                                             "runbook": a.runbook if a in alerts.covered else None}
                                            for a in alerts.top],
                             "alert_share": round(alerts.share, 4)},
        "followups_by_month": [{"month": m.month, "created": m.created, "done": m.done, "open": m.open,
                                "overdue": m.overdue} for m in report.followups],
        "followups_overdue_after_s": seconds(report.overdue_after),
        "weekly": [_week(w) for w in report.weeks],
    }


def render_json(report: Report) -> str:
    """The report as indented JSON."""
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"


_SVG_HEAD = re.compile(r"\A.*?<svg\b[^>]*?(viewBox=\"[^\"]*\")[^>]*>", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


def inline_svg(svg: bytes, *, label_id: str) -> Markup:
    """matplotlib's SVG made fit for inlining: no XML prolog, DOCTYPE or metadata, scaled by CSS, labelled."""
    text = _METADATA.sub("", svg.decode())
    text = _SVG_HEAD.sub(lambda m: f'<svg {m.group(1)} role="img" aria-labelledby="{label_id}" class="chart">',
                         text, count=1)
    return Markup(text.strip())  # drawn by matplotlib from numbers and dates: no user text in it


def _cell(value: object) -> str:
    """User text in a Markdown table cell: one line, pipes and markup characters escaped."""
    text = " ".join(str(value).split())
    return re.sub(r"([\\|<>*_`\[\]])", r"\\\1", text)


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _day(value: date | datetime) -> str:
    return f"{value:%Y-%m-%d}"


@lru_cache(maxsize=2)
def _environment(html: bool) -> Environment:
    env = Environment(loader=PackageLoader("bot", "templates/report"), undefined=StrictUndefined, autoescape=html,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(duration=format_duration, span=format_span, percent=_percent, day=_day, cell=_cell)
    return env


def _last_day(report: Report) -> datetime:
    return report.until - timedelta(microseconds=1)


def render_markdown(report: Report) -> str:
    """The report as Markdown: a heading per KPI, a table each."""
    return _environment(False).get_template("report.md.j2").render(r=report, last_day=_last_day(report),
                                                                   chart_text=weekly_chart_text(report.weeks))


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document."""
    chart = inline_svg(weekly_chart(report.weeks, "svg"), label_id="weekly-chart-text") if report.weeks else None
    return _environment(True).get_template("report.html.j2").render(
        r=report, last_day=_last_day(report), chart=chart, chart_text=weekly_chart_text(report.weeks))


def render(report: Report, fmt: ReportFormat) -> str:
    """The report in one of FORMATS."""
    renderers = {"json": render_json, "md": render_markdown, "html": render_html}
    return renderers[fmt](report)
