"""Block Kit for /incident stats (pure)."""

from __future__ import annotations

from typing import Any

from bot.domain.catalog import Catalog
from bot.domain.milestones import format_duration
from bot.domain.oncall import OnCall, Rotation
from bot.domain.stats import Bucket, Stats
from handlers.format import escape, slack_date


def _line(bucket: Bucket) -> str:
    return f"*{escape(bucket.key)}*: {bucket.count} · MTTA {format_duration(bucket.mtta)} · MTTR {format_duration(bucket.mttr)}"


def stats_blocks(stats: Stats) -> list[dict[str, Any]]:
    """Count, MTTA and MTTR overall, by severity and by service."""
    def section(title: str, buckets: list[Bucket]) -> dict[str, Any]:
        body = "\n".join(_line(b) for b in buckets[:30]) or "_No incidents._"
        return {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{body}"[:3000]}}

    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Incidents, {stats.label}"[:150]}},
        section("Overall", [stats.total]),
        section("By severity", stats.by_severity),
        section("By service", stats.by_service),
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            "MTTA: detected → acknowledged (a commander assigned). MTTR: detected → resolved."}]},
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
