"""Block Kit for /incident stats (pure)."""

from __future__ import annotations

from typing import Any

from bot.domain.alert_coverage import AlertCoverage
from bot.domain.catalog import Catalog
from bot.domain.classes import IncidentClass, class_label
from bot.domain.kpis import Insights, Recurrence, TimeKpi
from bot.domain.milestones import format_duration, format_span
from bot.domain.oncall import OnCall, Rotation
from handlers.format import escape, slack_date


def _section(title: str, lines: list[str]) -> dict[str, Any]:
    body = "\n".join(lines[:30]) or "_No incidents._"
    return {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{body}"[:3000]}}


def _times_line(label: str, kpi: TimeKpi) -> str:
    return (f"*{escape(label)}*: {kpi.count} · MTTA median {format_duration(kpi.mtta_median)}, "
            f"p90 {format_duration(kpi.mtta_p90)} · MTTR median {format_duration(kpi.mttr_median)}, "
            f"p90 {format_duration(kpi.mttr_p90)}")


def _recurring(r: Recurrence, what: str) -> str:
    return f"{what}: {r.recurring} of {r.count} ({r.rate:.0%})"


def _insight_blocks(found: Insights, classes: tuple[IncidentClass, ...]) -> list[dict[str, Any]]:
    coverage = found.coverage
    grouped = [_recurring(r, what) for r, what in (
        (found.by_alert_group, "*Opened by an alert group*, an earlier one of the group"),
        (found.overall, "*All incidents*, by class or alert group")) if r is not None]
    covered = ", ".join(escape(class_label(classes, c)) for c in coverage.covered_classes) or "none"
    return [
        _section("By class", [_times_line(class_label(classes, k.key), k) for k in found.by_class]),
        _section(f"Recurrence (an earlier incident of the class within {format_span(found.window)})", [
            _recurring(r, f"*{escape(class_label(classes, r.key))}*") for r in found.recurrence]
            or ["_No classed incidents._"]),
        *([_section(f"Recurrence by alert group (within {format_span(found.window)})", grouped)] if grouped else []),
        _section("Runbook coverage", [
            f"{coverage.with_step_run} of {coverage.incidents} incidents ({coverage.incident_share:.0%}) had a "
            f"runbook attached and a step run; {coverage.with_runbook} had a runbook attached.",
            f"{len(coverage.covered_classes)} of the top {len(coverage.top_classes)} classes "
            f"({coverage.class_share:.0%}) have a runbook for them: {covered}.",
            *([_alerts_line(found.alerts)] if found.alerts is not None else [])]),
    ]


def _alerts_line(alerts: AlertCoverage) -> str:
    if not alerts.top:
        return "No alert opened an incident."
    listed = "; ".join(f"{escape(a.title[:80])} ({a.incidents}, "
                       f"{'runbook ' + escape(a.runbook) if a in alerts.covered else 'no runbook'})" for a in alerts.top)
    return (f"{len(alerts.covered)} of the top {len(alerts.top)} alerts by incidents opened ({alerts.share:.0%}) "
            f"lead to a runbook: {listed}.")


def stats_blocks(label: str, found: Insights, classes: tuple[IncidentClass, ...] = ()) -> list[dict[str, Any]]:
    """Count, MTTA and MTTR (median and p90) overall, by severity, by service and by class, then recurrence and
    runbook coverage."""
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Incidents, {label}"[:150]}},
        _section("Overall", [_times_line("all", found.times)]),
        _section("By severity", [_times_line(k.key, k) for k in found.by_severity]),
        _section("By service", [_times_line(k.key, k) for k in found.by_service]),
        *_insight_blocks(found, classes),
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            "MTTA: detected → acknowledged (a commander assigned). MTTR: detected → resolved. "
            "p90: 9 in 10 were at most this. Definitions: docs/KPIS.md."}]},
    ]


def oncall_blocks(rotations: list[tuple[Rotation, OnCall]], catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """Each rotation: who is on call now, until when, and who is next, and the catalog's services it covers."""
    if not rotations:
        return [{"type": "section", "text": {"type": "mrkdwn", "text":
            "No on-call rotation is configured (add `oncall:` to warroom.yaml)."}}]

    def covers(rotation: Rotation) -> str:
        services = [s.label for s in (catalog.services if catalog else ()) if s.oncall == rotation.id]
        return f"\nOn call for {escape(', '.join(services))}" if services else ""

    return [{"type": "section", "text": {"type": "mrkdwn", "text": (
        f"*{rotation.name}*: <@{duty.current}> until {slack_date(duty.until)}, then <@{duty.next}>"
        f"{covers(rotation)}")[:3000]}} for rotation, duty in rotations[:45]]
