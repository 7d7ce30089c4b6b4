"""Property: for any title, summary, service, note, follow-up or update, no text Warroom builds for Slack
holds a live `<!channel>`, `<!here>`, `<!everyone>` or a link whose label was user text.

The Block Kit builders are pure: thousands of examples. Reminders and escalations come from the timer
service over fakes; the whole app end to end is in test_markup_end_to_end.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import load_policy
from bot.domain.alert_coverage import AlertSource
from bot.domain.chat import HandoverSummary
from bot.domain.incident import FollowUp, Incident, TimelineEntry, TimelineKind
from bot.domain.kpis import insights
from bot.domain.news import Announcement, News
from bot.services.declaration import DeclareRequest
from handlers import blocks, modals, people_blocks, stats_blocks
from handlers.export_commands import export_text
from tests.markup import live_markup, mrkdwn_texts
from tests.unit.services import make_world

POLICY = load_policy(None)
NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
BUILDER_RUNS = settings(max_examples=1000, deadline=None,
                        database=None, derandomize=True)

hostile_pieces = st.sampled_from([
    "<!channel>", "<!here>", "<!everyone>", "<!here|here>", "<@U0BOSS>", "<#C0PRIVATE>", "&", "&amp;", "&lt;", "<",
    ">", "|", "<https://evil.example|https://status.example.com>", "<mailto:x@evil.example|support>",
    "<https://evil.example>", "`", "```", "*", "_", "~", "\n", " ", "é", "Imports"])
typed = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8)  # what the forms accept
hostile = st.lists(st.one_of(hostile_pieces, typed), min_size=1, max_size=12).map("".join)


def _incident(title: str, summary: str, service: str) -> Incident:
    return Incident(team_id="T1", number=42, title=title[:120] or "x", severity="SEV1", status="resolved",
                    declared_by="U1", declared_at=NOW, id=1, channel_id="C42", summary=summary, service=service,
                    resolution=summary, impact=title, root_cause=service, roles={"commander": "U2"})


def _texts(value: object) -> list[str]:
    """The mrkdwn of blocks or a view, or a text."""
    return [value] if isinstance(value, str) else list(mrkdwn_texts(value))


@BUILDER_RUNS
@given(hostile, hostile, hostile)
def test_no_block_builder_lets_user_text_become_a_live_mention_or_a_disguised_link(
        title: str, summary: str, service: str) -> None:
    incident = _incident(title, summary, service)
    followup = FollowUp(team_id="T1", incident_id=1, text=summary, created_by="U1", created_at=NOW, owner="U3", id=7)
    entries = [TimelineEntry(incident_id=1, team_id="T1", kind=TimelineKind.NOTE, text=text, author="U1",
                             occurred_at=NOW, source=source, permalink="https://fake.slack/archives/C42/p1")
               for text, source in ((summary, "command"), (f"Declared SEV1: {title}", "warroom"), (title, "shortcut"))]
    text, change = blocks.change_announcement(incident, POLICY, Announcement(News.RESOLVED, "U1", "monitoring"))
    request = DeclareRequest(team_id="T1", user_id="U1", severity="SEV1", title=title, summary=summary)
    outputs = [
        blocks.incident_card(incident, POLICY), blocks.card_text(incident), blocks.topic(incident, POLICY),
        blocks.announcement(incident, POLICY), text, change, blocks.incident_list([incident], POLICY),
        blocks.duplicate_prompt([incident], POLICY, "{}"), modals.confirm_duplicate_modal(request, [incident], POLICY),
        people_blocks.role_dm(incident, POLICY, "commander"), people_blocks.followup(followup),
        people_blocks.handover(HandoverSummary(incident, "U1", "U2", NOW, [followup], [title]), POLICY),
        people_blocks.timeline_page(incident, entries, 1, 1), export_text("INC-42", "md", summary),
        # The incident's service (by service) and the alert's title and runbook name (the top alerts).
        stats_blocks.stats_blocks("7d", insights([incident], [], since=NOW - timedelta(days=1), until=NOW + timedelta(days=1),
                                           groups={incident.id: 1}, runbook_ids={service},
                                           alert_sources={1: AlertSource(title, service)})),
    ]
    found = [(json.dumps(out)[:200], bad) for out in outputs for t in _texts(out) for bad in live_markup(t)]
    assert found == []


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(hostile)
async def test_reminders_and_escalations_show_the_title_as_data(title: str) -> None:
    world = make_world()
    await world.declare(title=" ".join(title.split())[:120] or "x", user="U1")
    for _ in range(6):  # the update reminders, the response target and both escalation levels
        world.clock.advance(minutes=30)
        await world.services.timers.dispatch_due()
    texts = [text for text, _ in world.chat.calls("post_timer")]  # type: ignore[misc]
    assert any("Escalation level" in t for t in texts) and any("has no incident commander" in t for t in texts)
    assert [t for t in texts if live_markup(t)] == []
