"""The operations report (`warroom report`) over the hand-worked fixture of test_kpis: the model, then JSON,
Markdown and HTML (escaped user text, self-contained, one inline chart)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.config import load_policy
from bot.domain.alert_coverage import AlertSource
from bot.domain.followup_kpis import FollowUpMonth, followup_days
from bot.domain.kpis import Coverage, Recurrence, TimeKpi, times_by_class
from bot.domain.report import Report, ReportData, build_report
from bot.domain.trends import weekly_trends
from bot.reporting import render_html, render_json, render_markdown
from tests.unit.test_kpi_trends import FOLLOWUPS, RUNS
from tests.unit.test_kpis import I0, I1, MIN, PERIOD, SINCE, UNTIL

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
POLICY = load_policy(None)
HOSTILE = "<script>alert(1)</script> <@U123|boss> *x* | y"
DAYS = followup_days(FOLLOWUPS, since=SINCE, until=UNTIL, now=NOW)  # as the insights' reader counts them
# The alert group that opened each incident (I1, I2 and I3: group 1; I4: 2; I5: 3), and how the groups read; the
# bot has the runbook "workflow-500-queue-failure".
GROUPS = {1: 1, 2: 1, 3: 1, 4: 2, 5: 3}
SOURCES = {1: AlertSource("Queue backlog", "workflow-500-queue-failure"), 2: AlertSource("Audit gaps", ""),
           3: AlertSource("Disk full", "no-such-runbook")}


def _report(data: ReportData | None = None, **kw: object) -> Report:
    return build_report(data or ReportData([I0, *PERIOD], RUNS, DAYS, GROUPS, SOURCES), since=SINCE, until=UNTIL,
                        label="2026-11-01 to 2026-11-30", now=NOW, policy=POLICY, teams=("T1",),
                        classes_with_runbook={"queue-failure", "workflow-500"},
                        runbook_ids={"workflow-500-queue-failure"}, **kw)  # type: ignore[arg-type]


def test_the_report_holds_every_kpi_of_the_period_incidents() -> None:
    report = _report()
    assert (report.total.count, report.resolved) == (5, 4)  # I4 is open; I0 is before the period
    assert report.with_root_cause == 0
    assert _report(ReportData([replace(I1, root_cause="Disk full"), replace(I0, root_cause="x")], [], [])
                   ).with_root_cause == 1  # I0 is before the period
    assert report.by_class == times_by_class(PERIOD)
    assert [k.key for k in report.by_severity] == ["SEV1", "SEV2", "SEV3"]  # the policy's order, not frequency
    assert report.by_severity[1] == TimeKpi("SEV2", 2, 12.5 * MIN, 15 * MIN, 75 * MIN, 120 * MIN)  # I2, I3
    assert report.recurrence == [Recurrence("queue-failure", 3, 2), Recurrence("audit-failure", 1, 0)]
    # Runs on I1 (done), I2 (pending), I3 (failed), I4 (awaiting approval): 4 attached, 2 run. Of the two top
    # classes only queue-failure has a runbook that says it covers it.
    assert report.coverage == Coverage(incidents=5, with_runbook=4, with_step_run=2,
                                       top_classes=("queue-failure", "audit-failure"),
                                       covered_classes=("queue-failure",))
    # Created in November: Nov 1 (open, 33.5 days on Dec 4 noon: overdue), Nov 5 (open, 29.5 days: not yet), Nov 25 (done).
    assert report.followups == [FollowUpMonth("2026-11", created=3, done=1, open=2, overdue=1)]
    assert report.weeks == weekly_trends([I0, *PERIOD], RUNS, DAYS, since=SINCE, until=UNTIL)
    # Alert groups by incidents opened: Queue backlog (3; its runbook is loaded), Audit gaps (1; none), Disk full
    # (1; names a runbook the bot does not have).
    assert [(a.title, a.incidents) for a in report.alert_coverage.top] == [
        ("Queue backlog", 3), ("Audit gaps", 1), ("Disk full", 1)]
    assert [a.title for a in report.alert_coverage.covered] == ["Queue backlog"]
    assert report.label_of("queue-failure") == "Queue failure"


def test_the_report_counts_overdue_follow_ups_by_the_limit_they_were_read_with_and_says_it() -> None:
    # The Nov 5 follow-up is open 29.5 days on Dec 4 noon: not overdue after 30 days, overdue after 28.
    days = followup_days(FOLLOWUPS, since=SINCE, until=UNTIL, now=NOW, overdue_after=timedelta(days=28))
    report = _report(ReportData([I0, *PERIOD], RUNS, days), overdue_after=timedelta(days=28))
    assert report.followups == [FollowUpMonth("2026-11", created=3, done=1, open=2, overdue=2)]
    assert report.overdue_after == timedelta(days=28)
    assert "overdue after 28 days" in render_html(report)
    assert "more than 28 days old" in render_markdown(report)


def test_a_report_for_one_class_keeps_only_its_incidents_runs_and_alerts() -> None:
    # The follow-up days are read for the class (every follow-up of the fixture belongs to I1, a queue failure).
    report = _report(ReportData([I0, *PERIOD], RUNS, [], GROUPS, SOURCES), incident_class="audit-failure")
    assert report.total.count == 1 and [k.key for k in report.by_class] == ["audit-failure"]
    assert report.recurrence == [Recurrence("audit-failure", 1, 0)]  # I0 is 35 days before I4: no recurrence
    assert (report.coverage.incidents, report.coverage.with_runbook, report.coverage.with_step_run) == (1, 1, 0)
    assert [(a.title, a.incidents) for a in report.alert_coverage.top] == [("Audit gaps", 1)]  # I4's group only


def test_json_has_stable_names_and_durations_in_seconds() -> None:
    doc = json.loads(render_json(_report()))
    assert list(doc) == ["schema", "period", "generated_at", "teams", "class", "incidents", "recurrence",
                         "runbook_coverage", "followups_by_month", "followups_overdue_after_s", "weekly"]
    assert doc["schema"] == "warroom.report/1" and doc["teams"] == ["T1"] and doc["class"] is None
    assert doc["period"] == {"since": "2026-11-01T00:00:00+00:00", "until": "2026-12-01T00:00:00+00:00",
                             "label": "2026-11-01 to 2026-11-30"}
    assert doc["incidents"]["by_class"][0] == {
        "key": "queue-failure", "label": "Queue failure", "count": 3, "mtta_median_s": 600.0, "mtta_p90_s": 900.0,
        "mttr_median_s": 3600.0, "mttr_p90_s": 7200.0}
    assert doc["incidents"]["by_class"][2]["mttr_median_s"] is None  # audit-failure: unresolved, no sample
    assert doc["recurrence"] == {"window_s": 2592000.0, "by_class": [
        {"key": "queue-failure", "label": "Queue failure", "count": 3, "recurring": 2, "rate": 0.6667},
        {"key": "audit-failure", "label": "Audit failure", "count": 1, "recurring": 0, "rate": 0.0}]}
    assert doc["runbook_coverage"] == {"incidents": 5, "with_runbook": 4, "with_step_run": 2, "incident_share": 0.4,
                                       "top_classes": ["queue-failure", "audit-failure"],
                                       "covered_classes": ["queue-failure"], "class_share": 0.5,
                                       "top_alerts": [
                                           {"title": "Queue backlog", "incidents": 3,
                                            "runbook": "workflow-500-queue-failure"},
                                           {"title": "Audit gaps", "incidents": 1, "runbook": None},
                                           {"title": "Disk full", "incidents": 1, "runbook": None}],
                                       "alert_share": 0.3333}
    assert doc["followups_by_month"] == [{"month": "2026-11", "created": 3, "done": 1, "open": 2, "overdue": 1}]
    assert doc["followups_overdue_after_s"] == 2592000.0
    assert doc["weekly"][0] == {"week_start": "2026-10-26", "incidents": 1, "mtta_median_s": 300.0,
                                "mttr_median_s": 3600.0, "recurring": 0, "recurrence_rate": 0.0, "with_step_run": 1,
                                "coverage": 1.0, "followups_created": 1, "followups_done": 0}
    assert len(doc["weekly"]) == 6


def test_markdown_shows_each_kpi_as_a_table_row() -> None:
    text = render_markdown(_report())
    assert "| Queue failure | 3 | 10 min | 15 min | 1 h 00 min | 2 h 00 min |" in text
    assert "| Queue failure | 3 | 2 | 67% |" in text
    assert "| 2026-11 | 3 | 1 | 2 | 1 |" in text
    assert "| 2026-10-26 | 1 | 5 min | 1 h 00 min | 0 | 1 | 1 | 0 |" in text
    assert "at most 30 days before it" in text


def _hostile() -> Report:
    # A class id the policy does not know is shown as typed; a service is whatever someone wrote.
    data = ReportData([replace(I1, service=HOSTILE, incident_class=HOSTILE)], [], [], {1: 9}, {9: AlertSource(HOSTILE, "")})
    return _report(data)


def test_user_text_is_escaped_in_html_and_markdown() -> None:
    page = render_html(_hostile())
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;@U123|boss&gt;" in page
    markdown = render_markdown(_hostile())
    assert not re.search(r"(?<!\\)[<|*]\w", markdown.split("## By severity")[0].split("## MTTA")[1])
    assert r"\<script\>alert(1)\</script\> \<@U123\|boss\> \*x\* \| y" in markdown  # one cell, nothing rendered
    top_alerts = markdown.split("| Top alert |")[1].split("##")[0]  # the alert's title, from an alert's annotation
    assert r"| \<script\>alert(1)\</script\> \<@U123\|boss\> \*x\* \| y | 1 | none |" in top_alerts
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # service, class and the alert


def test_the_html_is_one_self_contained_accessible_document() -> None:
    page = render_html(_report())
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "http" not in page and "<link" not in page and "<img" not in page and "<script" not in page
    assert "@media print" in page and "<style>" in page
    assert page.count("<svg") == 1 and "<?xml" not in page and "DOCTYPE svg" not in page
    assert re.search(r'<svg viewBox="[^"]+" role="img" aria-labelledby="weekly-chart-text"', page)
    assert '<figcaption id="weekly-chart-text">6 incidents over 6 weeks' not in page  # the text twin, not made up
    assert '<figcaption id="weekly-chart-text">5 incidents over 6 weeks from 26 Oct 2026' in page
    tables = page.count("<table")
    assert tables == page.count("<caption") == 9  # the top alerts table is the ninth
    assert page.count('<th scope="col">') > 0 and '<th scope="row">Queue failure</th>' in page


def test_a_quiet_period_still_renders_every_section() -> None:
    empty = _report(ReportData([], [], []))
    assert json.loads(render_json(empty))["incidents"]["total"] == 0
    page = render_html(empty)
    assert "No incidents." in page and "No follow-ups created in the period." in page
    assert empty.weeks[0].start == date(2026, 10, 26)


def test_recurrence_is_counted_within_a_workspace_not_across_workspaces() -> None:
    theirs = replace(I1, id=99, team_id="T2", declared_at=I1.declared_at.replace(day=3))  # 2 days after T1's I1
    report = _report(ReportData([I1, theirs], [], []))
    assert report.recurrence == [Recurrence("queue-failure", 2, 0)]
    assert sum(w.recurring for w in report.weeks) == 0
    same_team = _report(ReportData([I1, replace(theirs, team_id="T1")], [], []))
    assert same_team.recurrence == [Recurrence("queue-failure", 2, 1)]
    assert sum(w.recurring for w in same_team.weeks) == 1
