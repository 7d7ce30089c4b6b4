"""The App Home tab as Block Kit (pure builders): the viewer's incidents first, their follow-ups, on call, the
KPIs of the hand-worked fixture of test_kpis, the chart or its text twin, within Block Kit's limits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from bot.config import load_policy
from bot.domain.followup_kpis import followup_days
from bot.domain.incident import FollowUp, Incident
from bot.domain.insight_ports import HomeRecords, OwnedFollowUp, PeriodRecords
from bot.domain.oncall import OnCall, Rotation
from bot.domain.policy import FOLLOWUP_OVERDUE_AFTER
from bot.services.insights import HOME_INCIDENTS, Home, InsightsService, home_period
from bot.standin.blocks import check_view
from handlers.home_blocks import SHOWN, home_view, kpi_fields, view_digest
from tests.fakes.clock import FakeClock
from tests.unit.test_kpi_trends import FOLLOWUPS, RUNS
from tests.unit.test_kpis import I0, PERIOD, SINCE, UNTIL, incident

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ROTATION = Rotation(id="sre", name="SRE primary", members=("U7", "U8"), start=date(2026, 11, 1),
                    handoff_time=time(9, 0), length_days=7, timezone="UTC", channel="#oncall")
DUTY = OnCall(current="U7", next="U8", since=NOW - timedelta(days=1), until=NOW + timedelta(days=6))


class FakeReader:
    """The records of test_kpis' fixture, and the open incidents (newest first) and follow-ups given: like the
    store, up to `limit` of the viewer's open incidents first, then up to `limit` others, and how many are open."""

    def __init__(self, opened: list[Incident], followups: list[OwnedFollowUp]) -> None:
        self.opened, self.owned = opened, followups

    async def period(self, team_id: str, since: datetime, until: datetime, *, lookback: datetime,
                     overdue_before: datetime, incident_class: str | None = None) -> PeriodRecords:
        days = followup_days(FOLLOWUPS, since=since, until=until, now=overdue_before + FOLLOWUP_OVERDUE_AFTER)
        return PeriodRecords(incidents=[I0, *PERIOD], runs=RUNS, followup_days=days)

    async def home(self, team_id: str, user_id: str, open_statuses: Sequence[str], limit: int = 50) -> HomeRecords:
        theirs = [i for i in self.opened if user_id in i.roles.values()]
        others = [i for i in self.opened if user_id not in i.roles.values()]
        return HomeRecords(open_incidents=theirs[:limit] + others[:limit], open_total=len(self.opened),
                           followups=self.owned[:limit])


def _open(number: int, roles: dict[str, str], title: str = "") -> Incident:
    found = incident(number, NOW - timedelta(hours=number), cls=None, service="", severity="SEV2", ack=None, fix=None)
    return found.with_changes(roles=roles, channel_id=f"C{number}", title=title or found.title)


def _owned(number: int, text: str) -> OwnedFollowUp:
    return OwnedFollowUp(FollowUp("T1", number, text, "U1", NOW - timedelta(days=2), owner="U2", id=number),
                         incident_number=number, incident_title=f"Incident {number}", channel_id=f"C{number}")


async def _home(opened: list[Incident], followups: list[OwnedFollowUp], viewer: str = "U2") -> Home:
    service = InsightsService(reader=FakeReader(opened, followups), clock=FakeClock(NOW), policy=load_policy(None),
                              oncall=lambda: [(ROTATION, DUTY)])
    return await service.home("T1", viewer)


def _texts(view: dict) -> list[str]:
    return [t for b in view["blocks"] for t in ([b["text"]["text"]] if "text" in b else [])
            + [f["text"] for f in b.get("fields", [])]]


async def test_the_viewers_incidents_come_first_with_their_roles() -> None:
    # newest first as read: 1, 2, 3; U2 holds roles in 3 only
    home = await _home([_open(1, {"commander": "U1"}), _open(2, {}), _open(3, {"commander": "U2", "scribe": "U2"})],
                       [])
    texts = [t for t in _texts(home_view(home)) if t.startswith("*INC-")]
    assert [t.split(" ", 1)[0] for t in texts] == ["*INC-3*", "*INC-1*", "*INC-2*"]
    assert "*you are commander, scribe*" in texts[0] and "<#C3>" in texts[0]
    assert "you are" not in texts[1] and "commander <@U1>" in texts[1]


async def test_followups_and_who_is_on_call_are_listed() -> None:
    view = home_view(await _home([], [_owned(4, "Add an alert"), _owned(7, "Rotate keys")]))
    texts = _texts(view)
    assert "_No open incidents._" in texts
    [followups] = [t for t in texts if "Add an alert" in t]
    assert followups.index("Add an alert — *INC-4* <#C4>") < followups.index("Rotate keys — *INC-7* <#C7>")
    assert any(t.startswith("*SRE primary*: <@U7> until <!date^") and "then <@U8>" in t for t in texts)


async def test_the_kpis_are_the_fixtures_hand_worked_figures() -> None:
    home = await _home([], [])
    assert (home.kpis.since, home.kpis.until) == home_period(NOW) == (NOW - timedelta(days=30), NOW)
    assert (home.kpis.since, home.kpis.until) == (SINCE, UNTIL)
    fields = [f["text"] for f in kpi_fields(home.kpis, load_policy(None).classes)]
    assert fields[0] == "*Incidents declared*\n5 (1 still open)"  # I4 is still investigating
    assert fields[1] == "*MTTA* median / p90\n12 min / 20 min"  # acks 5, 10, 15, 20 min: median 12.5
    assert fields[2] == "*MTTR* median / p90\n1 h 15 min / 2 h 00 min"  # fixes 30, 60, 90, 120 min
    # queue failure: I2 and I3 recur (9 and 10 days after the one before); audit failure's I4 is 35 days after I0
    assert fields[3] == "*Recurrence* (same class within 30 days)\n2 of 4 (50%)\nmost: Queue failure 2 of 3"
    assert fields[4] == "*Runbook coverage* (attached and a step run)\n2 of 5 (40%)"  # I1 done, I3 failed


async def test_the_recurrence_field_names_the_window_in_force() -> None:
    home = await _home([], [])
    for window, text in ((timedelta(days=7), "7 days"), (timedelta(days=1), "1 day"), (timedelta(hours=36), "1 d 12 h 00 min")):
        kpis = replace(home.kpis, insights=replace(home.kpis.insights, window=window))
        assert kpi_fields(kpis, load_policy(None).classes)[3]["text"].startswith(f"*Recurrence* (same class within {text})\n")


async def test_without_a_chart_link_its_text_twin_stands_in_for_the_image() -> None:
    home = await _home([], [])
    plain, charted = home_view(home), home_view(home, "https://warroom.test/charts/kpis.png?sig=abc")
    assert not [b for b in plain["blocks"] if b["type"] == "image"]
    assert any(t.startswith(":bar_chart: 5 incidents over 6 weeks from 26 Oct 2026") for t in _texts(plain))
    [image] = [b for b in charted["blocks"] if b["type"] == "image"]
    assert image["image_url"] == "https://warroom.test/charts/kpis.png?sig=abc"
    assert image["alt_text"].startswith("5 incidents over 6 weeks")
    assert check_view(plain) == [] and check_view(charted) == []


async def test_a_crowded_home_stays_within_block_kits_limits_and_escapes_user_text() -> None:
    opened = [_open(n, {"commander": "U2"} if n % 2 else {}, title=f"<!channel> & {'x' * 300} {n}")
              for n in range(1, 301)]
    followups = [_owned(n, f"<@U9> fix & {'y' * 900}") for n in range(1, 120)]
    view = home_view(await _home(opened, followups))
    assert check_view(view) == [] and len(view["blocks"]) <= 100
    text = json.dumps(view)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp;" in text and "<@U9>" not in text
    assert any(t.startswith("…and 285 more open incidents") for b in view["blocks"] if b["type"] == "context"
               for t in [b["elements"][0]["text"]])


async def test_more_counts_every_open_incident_not_only_those_read() -> None:
    # 500 open, newest first; U2 holds a role in the 3 oldest: the reader returns 3 + HOME_INCIDENTS (200)
    opened = [_open(n, {"scribe": "U2"} if n > 497 else {}) for n in range(1, 501)]
    home = await _home(opened, [])
    assert len(home.incidents) == 3 + HOME_INCIDENTS and home.open_total == 500
    view = home_view(home)
    listed = [t.split(" ", 1)[0] for t in _texts(view) if t.startswith("*INC-")]
    assert len(listed) == SHOWN and listed[:4] == ["*INC-498*", "*INC-499*", "*INC-500*", "*INC-1*"]
    [more] = [b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context"
              and b["elements"][0]["text"].startswith("…and")]
    assert more == f"…and {500 - SHOWN} more open incidents: `/incident list` shows them."


async def test_a_few_open_incidents_are_all_listed_with_no_more_line() -> None:
    view = home_view(await _home([_open(n, {}) for n in range(1, SHOWN + 1)], []))
    assert len([t for t in _texts(view) if t.startswith("*INC-")]) == SHOWN
    assert "…and" not in json.dumps(view)


def test_the_home_period_and_so_its_chart_link_stays_the_same_all_hour() -> None:
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert home_period(start) == (start - timedelta(days=30), start)
    later = home_period(start + timedelta(minutes=1))
    assert later == home_period(start + timedelta(minutes=59, seconds=59)) == (
        start + timedelta(hours=1) - timedelta(days=30), start + timedelta(hours=1))


async def test_the_same_view_is_published_once_in_ten_minutes_and_a_changed_one_at_once() -> None:
    clock = FakeClock(NOW)
    service = InsightsService(reader=FakeReader([], []), clock=clock, policy=load_policy(None), oncall=list)
    first = view_digest(home_view(await service.home("T1", "U2")))
    assert service.should_publish("T1", "U2", first)
    assert not service.should_publish("T1", "U2", first)
    assert service.should_publish("T1", "U3", first)  # someone else's Home
    assert service.should_publish("T1", "U2", "changed") and service.should_publish("T1", "U2", first)
    clock.advance(minutes=10)
    assert service.should_publish("T1", "U2", first)  # Slack is told again now and then
    service.forget_published("T1", "U2")  # a publish that failed
    assert service.should_publish("T1", "U2", first)
