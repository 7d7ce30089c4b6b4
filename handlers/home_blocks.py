"""Block Kit for the App Home tab (pure): open incidents (the viewer's first), their follow-ups, who is on call
and the last 30 days' KPIs with a chart (or its text twin when the bot has no public URL)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.domain.classes import IncidentClass, class_label
from bot.domain.incident import Incident
from bot.domain.milestones import format_duration, format_span
from bot.domain.trends import weekly_chart_text
from bot.services.insights import Home, PeriodInsights
from handlers.format import clip_escaped, escape, slack_date

SHOWN = 15  # incidents and follow-ups listed each; more are counted
SECTION_TEXT = 3000


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_TEXT]}}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def _more(total: int, shown: int, what: str) -> list[dict[str, Any]]:
    """A line counting the `total - shown` not listed, if any."""
    hidden = total - shown
    return [] if hidden <= 0 else [{"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"…and {hidden} more {what}: `/incident list` shows them."}]}]


def incident_line(incident: Incident, viewer: str) -> str:
    """INC-n (a link to its channel), title, severity and status, and the viewer's roles in it."""
    where = f"<#{incident.channel_id}>" if incident.channel_id else ""
    mine = sorted(role for role, holder in incident.roles.items() if holder == viewer)
    roles = f" · *you are {escape(', '.join(mine))}*" if mine else ""
    commander = incident.roles.get("commander")
    lead = f" · commander <@{commander}>" if commander and commander != viewer else ""
    return (f"*{incident.ref}* {clip_escaped(incident.title, 150)} {where}\n"
            f"{escape(incident.severity)} · {escape(incident.status)}{roles}{lead}")


def incident_blocks(home: Home) -> list[dict[str, Any]]:
    """The open incidents, those where the viewer holds a role first, and how many more are open than listed (of
    every open incident, not only of those read)."""
    blocks = [_header("Open incidents")]
    if not home.incidents:
        return [*blocks, _section("_No open incidents._")]
    shown = home.incidents[:SHOWN]
    blocks += [_section(incident_line(i, home.user_id)) for i in shown]
    # The count is its own query: an incident declared or closed between the reads must not make it negative.
    return blocks + _more(max(home.open_total, len(home.incidents)), len(shown), "open incidents")


def followup_blocks(home: Home) -> list[dict[str, Any]]:
    """The viewer's open follow-ups, oldest first, each with its incident."""
    blocks = [_header("Your follow-ups")]
    if not home.followups:
        return [*blocks, _section("_No open follow-ups assigned to you._")]
    lines = [f"• {clip_escaped(f.followup.text, 300)} — *{f.ref}*" + (f" <#{f.channel_id}>" if f.channel_id else "")
             + f" · since {slack_date(f.followup.created_at, '{date_short}')}" for f in home.followups[:SHOWN]]
    return [*blocks, _section("\n".join(lines)), *_more(len(home.followups), len(lines), "follow-ups")]


def oncall_home_blocks(home: Home) -> list[dict[str, Any]]:
    """Who holds each rotation's pager now, until when, and who is next."""
    blocks = [_header("On call now")]
    if not home.oncall:
        return [*blocks, _section("_No on-call rotation is configured._")]
    lines = [f"*{escape(rotation.name)}*: <@{duty.current}> until {slack_date(duty.until)}, then <@{duty.next}>"
             for rotation, duty in home.oncall[:SHOWN]]
    return [*blocks, _section("\n".join(lines))]


def kpi_fields(kpis: PeriodInsights, classes: tuple[IncidentClass, ...] = ()) -> list[dict[str, Any]]:
    """The period's counts, MTTA and MTTR (median, p90), recurrence and runbook coverage as section fields."""
    overall, coverage = kpis.overall, kpis.insights.coverage
    recurring, classed = kpis.recurring
    top = kpis.insights.recurrence[0] if kpis.insights.recurrence else None
    worst = (f"\nmost: {escape(class_label(classes, top.key))} {top.recurring} of {top.count}" if top else "")
    texts = [
        f"*Incidents declared*\n{overall.count} ({kpis.open_incidents} still open)",
        f"*MTTA* median / p90\n{format_duration(overall.mtta_median)} / {format_duration(overall.mtta_p90)}",
        f"*MTTR* median / p90\n{format_duration(overall.mttr_median)} / {format_duration(overall.mttr_p90)}",
        (f"*Recurrence* (same class within {format_span(kpis.insights.window)})\n{recurring} of {classed}"
         f" ({recurring / classed if classed else 0:.0%}){worst}"),
        f"*Runbook coverage* (attached and a step run)\n{coverage.with_step_run} of {coverage.incidents}"
        f" ({coverage.incident_share:.0%})",
    ]
    return [{"type": "mrkdwn", "text": t[:2000]} for t in texts]


def kpi_blocks(kpis: PeriodInsights, chart_url: str | None,
               classes: tuple[IncidentClass, ...] = ()) -> list[dict[str, Any]]:
    """The last 30 days' KPIs, then the weekly chart as an image, or its text twin without a chart URL."""
    twin = weekly_chart_text(kpis.weeks)
    blocks: list[dict[str, Any]] = [_header("Last 30 days"), {"type": "section", "fields": kpi_fields(kpis, classes)}]
    if chart_url:
        blocks.append({"type": "image", "image_url": chart_url,
                       "alt_text": twin[:2000], "title": {"type": "plain_text", "text": "Incidents and MTTR by week"}})
    else:
        blocks.append(_section(f":bar_chart: {escape(twin)}"))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
        "MTTA: detected → acknowledged. MTTR: detected → resolved. p90: 9 in 10 were at most this. "
        "`/incident stats 90d` for more; definitions in docs/KPIS.md."}]})
    return blocks


def home_view(home: Home, chart_url: str | None = None, classes: tuple[IncidentClass, ...] = ()) -> dict[str, Any]:
    """The whole Home tab."""
    return {"type": "home", "blocks": [*incident_blocks(home), {"type": "divider"}, *followup_blocks(home),
                                       {"type": "divider"}, *oncall_home_blocks(home), {"type": "divider"},
                                       *kpi_blocks(home.kpis, chart_url, classes)]}


def view_digest(view: dict[str, Any]) -> str:
    """A fingerprint of a view: the same digest means the same Home tab."""
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()
