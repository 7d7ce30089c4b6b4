"""The post-incident review: Markdown for people, JSON for tools, both from the same data."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import load_policy
from bot.domain.errors import ConfigError
from bot.domain.incident import (
    AuditEvent,
    FollowUp,
    Incident,
    RoleAssignment,
    TimelineEntry,
    TimelineKind,
)
from bot.services.review import CONTEXT_FIELDS, render_markdown, review_context
from bot.services.review_data import ReviewData
from bot.services.review_json import review_json

POLICY = dataclasses.replace(load_policy(None), timezone="Europe/Berlin")
PERMALINK = "https://acme.slack.com/archives/C042/p1795438920000100"


def utc(hour: int, minute: int = 0, day: int = 22) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


INCIDENT = Incident(
    team_id="T1", number=42, title="Imports failing", severity="SEV1", status="resolved",
    declared_by="U1", declared_at=utc(13, 0), id=42, channel_id="C042", service="imports",
    summary="Bank statement imports fail with 500s.",
    resolved_at=utc(14, 5),
    milestones={"started": utc(12, 50), "detected": utc(13, 0), "acknowledged": utc(13, 3),
                "mitigated": utc(13, 40), "resolved": utc(14, 5)},
    resolution="Rolled back importer 2.3 to 2.2; imports recovered and the backlog drained.",
    impact="EU customers could not import bank statements for 65 minutes.",
)


def entry(
    id: int, occurred_at: datetime, kind: TimelineKind, text: str, author: str, **kw: object
) -> TimelineEntry:
    return TimelineEntry(incident_id=42, team_id="T1", kind=kind, text=text, author=author,
                         occurred_at=occurred_at, id=id, **kw)  # type: ignore[arg-type]


# Stored out of order on purpose; entries 1 and 2 share a minute and are ordered by id.
TIMELINE = [
    entry(5, utc(13, 40), TimelineKind.UPDATE, "Error rate back to 0%\nMonitoring for 30 min", "U3",
          source="slack"),
    entry(2, utc(13, 5), TimelineKind.ACTION, "Rolled back | verified on canary", "U3"),
    entry(4, utc(13, 4), TimelineKind.NOTE, "Wrong channel, ignore", "U5", withdrawn_at=utc(13, 6)),
    entry(1, utc(13, 5), TimelineKind.DECISION, "Roll back importer 2.3", "U1"),
    entry(3, utc(13, 2), TimelineKind.NOTE, "Error rate on imports at 40%", "U2", permalink=PERMALINK,
          source="slack", source_channel_id="C042", source_ts="1795438920.000100"),
]
ROLES = [
    RoleAssignment("T1", 42, "commander", "U3", "U1", utc(13, 30), handover=True, id=3),
    RoleAssignment("T1", 42, "commander", "U1", "U1", utc(13, 3), relinquished_at=utc(13, 30), id=1),
    RoleAssignment("T1", 42, "scribe", "U2", "U1", utc(13, 4), id=2),
]
FOLLOWUPS = [
    FollowUp("T1", 42, "Alert on import queue depth", "U1", utc(14, 10), owner="U7", id=1),
    FollowUp("T1", 42, "Pin the importer version in deploys", "U1", utc(14, 11), owner="U3",
             done_at=utc(9, 0, day=23), done_by="U3", id=2),
    FollowUp("T1", 42, "Write a rollback runbook", "U2", utc(14, 12), id=3),
]
NAMES = {"U1": "Ana Lopez", "U2": "Bo Chen", "U3": "Cy Diaz", "U7": "Gus Hale"}  # U5 has no name
DATA = ReviewData(incident=INCIDENT, policy=POLICY, timeline=TIMELINE, roles=ROLES, followups=FOLLOWUPS,
                  actions=[], generated_at=utc(10, 0, day=23), names=NAMES)


def section(markdown: str, title: str) -> str:
    """The text under one `## title` heading."""
    return markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_title_line_names_the_incident() -> None:
    assert render_markdown(DATA).startswith("# INC-42: Imports failing — post-incident review\n")


def test_the_header_table_shows_severity_status_service_and_times_in_the_policy_zone() -> None:
    markdown = render_markdown(DATA)
    for row in ["| Severity | SEV1 (Major) |", "| Status | Resolved |", "| Service | imports |",
                "| Declared by | Ana Lopez |", "| Declared at | 2026-11-22 14:00 CET |",
                "| Resolved at | 2026-11-22 15:05 CET |", "| Duration open | 1 h 05 min |"]:
        assert row in markdown


def test_summary_impact_and_root_cause_come_from_the_incident_with_placeholders_when_empty() -> None:
    markdown = render_markdown(DATA)
    assert section(markdown, "Summary").strip() == INCIDENT.resolution
    assert section(markdown, "Impact").strip() == INCIDENT.impact
    assert section(markdown, "Root cause").strip() == "_To be determined in the review meeting._"
    unsummarised = dataclasses.replace(DATA, incident=INCIDENT.with_changes(resolution=""))
    assert section(render_markdown(unsummarised), "Summary").strip() == "_No resolution summary was given._"


def test_the_timeline_holds_only_visible_entries_in_time_order_with_original_times_and_authors() -> None:
    timeline = section(render_markdown(DATA), "Timeline")
    bullets = [line for line in timeline.splitlines() if line.startswith("- ")]
    assert bullets == [
        f"- **2026-11-22 14:02 CET** · Bo Chen · _note_ — Error rate on imports at 40% [message]({PERMALINK})",
        "- **2026-11-22 14:05 CET** · Ana Lopez · _decision_ — Roll back importer 2.3",
        "- **2026-11-22 14:05 CET** · Cy Diaz · _action_ — Rolled back | verified on canary",
        "- **2026-11-22 14:40 CET** · Cy Diaz · _update_ — Error rate back to 0%",
    ]
    assert "Wrong channel" not in timeline


def test_a_multi_line_entry_stays_inside_its_bullet() -> None:
    assert "_update_ — Error rate back to 0%\n  Monitoring for 30 min\n" in render_markdown(DATA)


def test_the_durations_table_measures_each_phase_and_lists_the_milestone_times() -> None:
    durations = section(render_markdown(DATA), "Durations")
    for row in ["| Time to detect (TTD) | 10 min |", "| Time to acknowledge (TTA) | 3 min |",
                "| Time to mitigate (TTM) | 40 min |", "| Time to resolve (TTR) | 1 h 05 min |",
                "- Started: 2026-11-22 13:50 CET", "- Acknowledged: 2026-11-22 14:03 CET",
                "- Resolved: 2026-11-22 15:05 CET"]:
        assert row in durations


def test_roles_are_listed_in_order_with_handovers_marked() -> None:
    roles = section(render_markdown(DATA), "Roles and handovers")
    assert [line for line in roles.splitlines() if line.startswith("- ")] == [
        "- Incident commander: Ana Lopez from 2026-11-22 14:03 CET to 2026-11-22 14:30 CET (assigned by Ana Lopez)",
        "- Scribe: Bo Chen from 2026-11-22 14:04 CET to now (assigned by Ana Lopez)",
        "- **Handover** — Incident commander: Cy Diaz from 2026-11-22 14:30 CET to now (assigned by Ana Lopez)",
    ]
    assert "Handovers: 1." in roles


def test_without_runbook_steps_the_review_says_none_were_run() -> None:
    assert section(render_markdown(DATA), "Actions taken").strip() == "No runbook steps were run."


def test_runbook_steps_are_listed_with_what_they_changed_and_other_audit_events_are_not() -> None:
    actions = [
        AuditEvent("T1", "U1", "incident.status", utc(14, 5), 42,
                   {"status": "monitoring"}, {"status": "resolved"}, 7),
        AuditEvent("T1", "U3", "runbook.step_run", utc(13, 20), 42, {"value": True},
                   {"runbook": "depositmatch-import-pipeline", "step": "disable-imports", "title": "Disable imports",
                    "flag": "FEATURE_IMPORTS", "value": False, "approver": "U2", "ok": True}, 6),
        AuditEvent("T1", "U3", "runbook.step_run", utc(13, 25), 42, {},
                   {"runbook": "depositmatch-import-pipeline", "title": "Run the import health check", "ok": False,
                    "error": "exited with status 1"}, 8),
    ]
    markdown = render_markdown(dataclasses.replace(DATA, actions=actions))
    assert section(markdown, "Actions taken").strip().splitlines() == [
        ("- **2026-11-22 14:20 CET** · Cy Diaz ran “Disable imports” (depositmatch-import-pipeline): "
        "FEATURE_IMPORTS true → false, approved by Bo Chen — done"),
        ("- **2026-11-22 14:25 CET** · Cy Diaz ran “Run the import health check” (depositmatch-import-pipeline) — "
        "failed: exited with status 1"),
    ]


def test_follow_ups_are_a_checkbox_list_with_owners() -> None:
    followups = section(render_markdown(DATA), "Follow-ups").split("\n---\n")[0]
    assert followups.strip().splitlines() == [
        "- [ ] Alert on import queue depth — owner Gus Hale",
        "- [x] Pin the importer version in deploys — owner Cy Diaz (done 2026-11-23 10:00 CET)",
        "- [ ] Write a rollback runbook — no owner yet",
    ]


def test_the_footer_says_when_warroom_generated_it() -> None:
    assert render_markdown(DATA).endswith("_Generated by Warroom at 2026-11-23 11:00 CET._\n")


def test_a_still_open_incident_shows_how_long_it_has_been_open() -> None:
    still_open = INCIDENT.with_changes(status="monitoring", resolved_at=None,
                                       milestones={"detected": utc(13, 0), "mitigated": utc(13, 40)})
    markdown = render_markdown(dataclasses.replace(DATA, incident=still_open))
    assert "| Resolved at | — |" in markdown
    assert "| Duration open | 21 h 00 min (still open) |" in markdown
    assert "| Time to resolve (TTR) | — |" in markdown


def test_a_pipe_in_the_service_does_not_break_the_header_table() -> None:
    piped = dataclasses.replace(DATA, incident=INCIDENT.with_changes(service="imports|exports"))
    assert "| Service | imports\\|exports |" in render_markdown(piped)


def test_a_custom_template_sees_the_documented_fields() -> None:
    template = (
        "{{ incident.ref }} {{ incident.severity_label }}: {{ timeline | length }} entries, "
        "TTR {{ durations[3].value }}"
    )
    assert render_markdown(DATA, template) == "INC-42 Major: 4 entries, TTR 1 h 05 min"
    assert set(review_context(DATA)) == set(CONTEXT_FIELDS)


def test_a_template_using_an_unknown_field_fails_naming_it() -> None:
    with pytest.raises(ConfigError, match="field that does not exist: .*'severity_colour'"):
        render_markdown(DATA, "{{ incident.severity_colour }}")


def test_a_template_with_a_syntax_error_fails_with_its_line() -> None:
    with pytest.raises(ConfigError, match="error on line 2"):
        render_markdown(DATA, "# Review\n{% for entry in timeline %}")


def test_the_json_review_round_trips_through_json_dumps() -> None:
    data = review_json(dataclasses.replace(DATA, actions=[
        AuditEvent("T1", "U3", "runbook.restart_importer", utc(13, 20), 42, {},
                   {"finished_at": utc(13, 21)}, 6),
    ]))
    assert json.loads(json.dumps(data)) == data
    assert data["actions"][0]["after"] == {"finished_at": "2026-11-22T13:21:00+00:00"}


def test_the_json_review_carries_the_incident_and_times_as_utc_iso_strings() -> None:
    data = review_json(DATA)
    assert data["incident"] == {
        "ref": "INC-42", "number": 42, "title": "Imports failing", "severity": "SEV1", "status": "resolved",
        "service": "imports", "incident_class": None, "custom_fields": {},
        "summary": INCIDENT.summary, "resolution": INCIDENT.resolution,
        "impact": INCIDENT.impact, "root_cause": "", "declared_by": "U1",
        "declared_at": "2026-11-22T13:00:00+00:00", "resolved_at": "2026-11-22T14:05:00+00:00",
        "channel_id": "C042",
    }
    assert data["milestones"]["started"] == "2026-11-22T12:50:00+00:00"
    assert data["generated_at"] == "2026-11-23T10:00:00+00:00"


def test_the_json_review_measures_durations_in_seconds() -> None:
    assert review_json(DATA)["durations"] == {
        "time_to_detect": 600.0, "time_to_acknowledge": 180.0,
        "time_to_mitigate": 2400.0, "time_to_resolve": 3900.0,
    }


def test_the_json_timeline_roles_and_follow_ups_match_the_markdown() -> None:
    data = review_json(DATA)
    assert [e["id"] for e in data["timeline"]] == [3, 1, 2, 5]
    assert data["timeline"][0] == {
        "id": 3, "occurred_at": "2026-11-22T13:02:00+00:00", "author": "U2", "kind": "note",
        "text": "Error rate on imports at 40%", "permalink": PERMALINK, "source": "slack",
    }
    assert data["roles"][2] == {"role": "commander", "user_id": "U3", "assigned_by": "U1",
                                "from": "2026-11-22T13:30:00+00:00", "to": None, "handover": True}
    followups = [(f["id"], f["done"], f["owner"]) for f in data["followups"]]
    assert followups == [(1, False, "U7"), (2, True, "U3"), (3, False, None)]
    assert data["actions"] == []


def test_review_data_exposes_visible_entries_handovers_and_runbook_steps() -> None:
    assert [e.id for e in DATA.visible_timeline] == [3, 1, 2, 5]
    assert [r.id for r in DATA.handovers] == [3]
    assert DATA.runbook_steps == []


def test_a_long_timeline_renders_every_entry() -> None:
    entries = [
        entry(i, utc(13, 0) + timedelta(seconds=i), TimelineKind.NOTE, f"note {i}", "U2") for i in range(2000)
    ]
    markdown = render_markdown(dataclasses.replace(DATA, timeline=entries))
    assert markdown.count("_note_ — note ") == 2000


def test_people_appear_by_name_in_the_markdown_and_never_as_a_bare_user_id() -> None:
    mentions = [entry(6, utc(13, 10), TimelineKind.CHANGE, "<@U3> took over as incident commander (was <@U1>)", "U1"),
                entry(7, utc(13, 11), TimelineKind.NOTE, "Paged <!subteam^S9|@payments> in <#C9|payments>", "U2")]
    markdown = render_markdown(dataclasses.replace(DATA, timeline=[*TIMELINE, *mentions]))
    assert "· Ana Lopez · _change_ — Cy Diaz took over as incident commander (was Ana Lopez)" in markdown
    assert "Paged @payments in #payments" in markdown
    assert "@U" not in markdown and "<@" not in markdown


def test_someone_slack_could_not_name_shows_as_their_id() -> None:
    unnamed = dataclasses.replace(DATA, names={})
    assert "| Declared by | U1 |" in render_markdown(unnamed)


def test_slack_markup_in_captured_text_reads_as_plain_text() -> None:
    captured = entry(6, utc(13, 10), TimelineKind.NOTE,
                     "Queue &gt; 40k &amp; rising, see <https://grafana.example/d/1|the dashboard>", "U2")
    assert review_context(dataclasses.replace(DATA, timeline=[captured]))["timeline"][0]["text"] == (
        "Queue > 40k & rising, see the dashboard (https://grafana.example/d/1)")


def test_the_review_names_everyone_it_shows() -> None:
    mention = entry(6, utc(13, 10), TimelineKind.NOTE, "Asked <@U9|ida> to check", "U2")
    assert dataclasses.replace(DATA, timeline=[*TIMELINE, mention]).people() == {"U1", "U2", "U3", "U7", "U9"}


def test_the_json_review_keeps_user_ids_and_names_them_alongside() -> None:
    data = review_json(DATA)
    assert data["incident"]["declared_by"] == "U1" and data["timeline"][0]["author"] == "U2"
    assert data["people"] == NAMES
