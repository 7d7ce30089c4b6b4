"""The insights' reads on SQLite and PostgreSQL: the same KPIs as from the full records, in a fixed number of
queries however many incidents there are, and one person's open follow-ups and the open incidents."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import load_policy
from bot.domain.followup_kpis import followup_days, followups_by_month
from bot.domain.incident import FollowUp, Incident, NewIncident, RoleAssignment
from bot.domain.kpis import insights
from bot.domain.runbook import NewAttachment, StepState
from bot.domain.trends import weekly_trends
from bot.services.insights import InsightsService
from store.engine import create_engine, session_factory
from store.insights import SqlInsightsReader
from store.migrate import upgrade
from store.uow import SqlUnitOfWork
from tests.fakes.clock import FakeClock

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=30)
CLASSES = ("queue-failure", "import-pipeline", None)


async def _seed(engine: AsyncEngine, count: int, team: str = "T1") -> list[Incident]:
    """`count` incidents every 20 hours back from NOW (some before SINCE), with runbooks, steps and follow-ups."""
    made = []
    async with SqlUnitOfWork(session_factory(engine)) as u:
        for n in range(count):
            declared = NOW - timedelta(hours=20 * (n + 1))
            incident = await u.incidents.add(NewIncident(
                team_id=team, number=n + 1, title=f"Incident {n}", severity="SEV2",
                status="investigating" if n % 4 == 0 else "resolved", declared_by="U1", declared_at=declared,
                roles={"commander": "U2"} if n % 3 == 2 else {}, incident_class=CLASSES[n % 3],
                milestones={"detected": declared, "acknowledged": declared + timedelta(minutes=n),
                            **({} if n % 4 == 0 else {"resolved": declared + timedelta(hours=1 + n % 5)})}))
            made.append(incident)
            if incident.roles:  # as RoleService writes them: incident.roles and the current role_assignment
                await u.roles.add(RoleAssignment(team_id=team, incident_id=incident.id, role="commander",
                                                 user_id="U2", assigned_by="U1", assumed_at=declared))
            if n % 2 == 0:
                await u.runbooks.attach(NewAttachment(team_id=team, incident_id=incident.id, runbook_id="rb",
                                                      attached_by="U1", attached_at=declared), ["a", "b"])
                if n % 4 == 0:
                    [first, *_] = await u.runbooks.steps(team, incident.id, "rb")
                    await u.runbooks.claim(first, [StepState.PENDING], state=StepState.DONE)
            followup = await u.followups.add(FollowUp(team_id=team, incident_id=incident.id, text=f"Fix {n}",
                                                      created_by="U1", created_at=declared + timedelta(hours=1),
                                                      owner="U2" if n % 2 else "U3"))
            if n % 3 == 1:
                await u.followups.update(replace(followup, done_at=declared + timedelta(days=2), done_by="U2"))
        await u.commit()
    return made


def _counting(engine: AsyncEngine) -> list[str]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    return statements


def _service(engine: AsyncEngine) -> InsightsService:
    return InsightsService(reader=SqlInsightsReader(session_factory(engine)), clock=FakeClock(NOW),
                           policy=load_policy(None), oncall=lambda: [])


async def test_the_kpis_read_are_those_of_the_full_records(engine: AsyncEngine) -> None:
    await _seed(engine, 60)
    runs = await _runs(engine, SINCE)
    async with SqlUnitOfWork(session_factory(engine)) as u:
        every = await u.incidents.list_declared_since("T1", SINCE - timedelta(days=30))
        followups = [f for i in range(1, 61) for f in await u.followups.list_for("T1", i)]
    read = await _service(engine).period("T1", SINCE, NOW)
    assert read.insights == insights(every, runs, since=SINCE, until=NOW)
    days = followup_days(followups, since=SINCE, until=NOW, now=NOW)  # counted in SQL by the reader
    assert read.weeks == weekly_trends(every, runs, days, since=SINCE, until=NOW)
    assert read.followups == followups_by_month(days)
    created = [f for f in followups if SINCE <= f.created_at < NOW]  # docs/KPIS.md: by month of creation
    assert {m.month for m in read.followups} == {f"{f.created_at:%Y-%m}" for f in created}
    assert sum(m.created for m in read.followups) == len(created)
    assert 0 < sum(m.open for m in read.followups) < len(created)
    assert sum(w.followups_done for w in read.weeks) == len([f for f in followups
                                                             if f.done_at and SINCE <= f.done_at < NOW]) > 0
    assert read.insights.coverage.with_runbook > read.insights.coverage.with_step_run > 0
    assert sum(r.recurring for r in read.insights.recurrence) > 0
    assert read.overall.count == len([i for i in every if i.declared_at >= SINCE]) == 36


async def test_a_period_is_four_queries_and_a_home_four_however_many_incidents(engine: AsyncEngine) -> None:
    await _seed(engine, 5, team="T1")
    await _seed(engine, 80, team="T2")
    statements = _counting(engine)
    service = _service(engine)
    for team in ("T1", "T2"):
        statements.clear()
        await service.period(team, SINCE, NOW)
        assert len(statements) == 4, statements
        statements.clear()
        await service.home(team, "U2")
        assert len(statements) == 8  # the home's four, and the 30 days' KPIs' four (not cached yet)
        statements.clear()
        await service.home(team, "U2")
        assert len(statements) == 4, statements  # the KPIs come from the cache for a minute


async def test_home_lists_open_incidents_with_the_viewers_first_and_only_their_open_followups(
        engine: AsyncEngine) -> None:
    made = await _seed(engine, 12)
    await _seed(engine, 4, team="T2")  # another workspace's are never shown
    home = await _service(engine).home("T1", "U2")
    opened = [i for i in made if i.status == "investigating"]
    assert {i.number for i in home.incidents} == {i.number for i in opened} == {1, 5, 9}
    # U2 commands INC-9 (n = 8), the oldest open one: theirs first, then the newest
    assert [i.number for i in home.incidents] == [9, 1, 5]
    assert home.incidents[0].title == "Incident 8" and home.incidents[0].roles == {"commander": "U2"}
    # U2 owns the follow-ups of odd n, oldest first; those with n % 3 == 1 (1, 7) are done
    assert [f.followup.text for f in home.followups] == [f"Fix {n}" for n in (11, 9, 5, 3)]
    assert [f.ref for f in home.followups] == ["INC-12", "INC-10", "INC-6", "INC-4"]


async def _opened(engine: AsyncEngine, team: str, numbers: range, status: str = "investigating") -> list[Incident]:
    """Incidents `numbers`, INC-n declared n hours before NOW (so the lowest number is the newest)."""
    async with SqlUnitOfWork(session_factory(engine)) as u:
        made = [await u.incidents.add(NewIncident(
            team_id=team, number=n, title=f"Open {n}", severity="SEV2", status=status, declared_by="U1",
            declared_at=NOW - timedelta(hours=n), milestones={"detected": NOW - timedelta(hours=n)})) for n in numbers]
        await u.commit()
    return made


async def _hold(engine: AsyncEngine, incident: Incident, role: str, user: str, until: datetime | None = None) -> None:
    """`user` takes `role` (and gives it up at `until`), written as RoleService does: history and incident.roles."""
    async with SqlUnitOfWork(session_factory(engine)) as u:
        await u.roles.add(RoleAssignment(team_id=incident.team_id, incident_id=incident.id or 0, role=role,
                                         user_id=user, assigned_by="U1", assumed_at=NOW - timedelta(hours=1),
                                         relinquished_at=until))
        current = await u.incidents.get(incident.team_id, incident.id or 0)
        assert current is not None
        roles = {**current.roles, role: user} if until is None else current.roles
        await u.incidents.update(current.with_changes(roles=roles))
        await u.commit()


async def test_the_viewers_oldest_open_incidents_come_first_past_the_limit_and_the_total_is_every_open_one(
        engine: AsyncEngine) -> None:
    opened = await _opened(engine, "T1", range(1, 13))  # INC-1 newest ... INC-12 oldest
    closed = await _opened(engine, "T1", range(13, 16), status="resolved")
    await _hold(engine, opened[10], "commander", "U2")  # INC-11
    await _hold(engine, opened[11], "commander", "U2")  # INC-12: two roles, listed once
    await _hold(engine, opened[11], "scribe", "U2")
    await _hold(engine, opened[1], "commander", "U2", until=NOW)  # INC-2: handed over, no longer theirs
    await _hold(engine, opened[1], "commander", "U5")
    await _hold(engine, closed[0], "commander", "U2")  # resolved: neither listed nor counted
    elsewhere = await _opened(engine, "T2", range(1, 4))  # another workspace's are never read
    await _hold(engine, elsewhere[0], "commander", "U2")
    reader, open_ids = SqlInsightsReader(session_factory(engine)), ["investigating", "mitigated"]

    records = await reader.home("T1", "U2", open_ids, limit=5)
    # Theirs first (newest first) although older than the 5 newest read; then the 5 newest others
    assert [i.number for i in records.open_incidents] == [11, 12, 1, 2, 3, 4, 5]
    assert records.open_incidents[1].roles == {"commander": "U2", "scribe": "U2"}
    assert records.open_incidents[3].roles == {"commander": "U5"}
    assert records.open_total == 12
    limited = await reader.home("T1", "U2", open_ids, limit=1)
    assert [i.number for i in limited.open_incidents] == [11, 1] and limited.open_total == 12
    nobody = await reader.home("T1", "U9", open_ids, limit=5)
    assert [i.number for i in nobody.open_incidents] == [1, 2, 3, 4, 5] and nobody.open_total == 12
    assert (await reader.home("T2", "U2", open_ids, limit=5)).open_total == 3


async def test_followups_are_counted_by_utc_day_whatever_the_sessions_time_zone(database_url: str) -> None:
    # Kiritimati is UTC+14: a PostgreSQL session there puts 23:30 UTC on the next day unless the day is taken in UTC.
    zone = {"connect_args": {"server_settings": {"timezone": "Pacific/Kiritimati"}}} if "postgresql" in database_url else {}
    engine = create_engine(database_url, **zone)
    try:
        await upgrade(engine)
        await _seed(engine, 60)  # 50 days of incidents, each with a follow-up
        late = [NOW - timedelta(days=d, hours=14, minutes=30) for d in (3, 40, 41)]  # 23:30 UTC
        async with SqlUnitOfWork(session_factory(engine)) as u:
            for n, created in enumerate(late):
                done = created + timedelta(minutes=20) if n == 0 else None  # done 23:50 UTC, the same UTC day
                await u.followups.add(FollowUp(team_id="T1", incident_id=1, text=f"Late {n}", created_by="U1",
                                               created_at=created, done_at=done, done_by="U1" if done else None))
            await u.commit()
        async with SqlUnitOfWork(session_factory(engine)) as u:
            followups = [f for i in range(1, 61) for f in await u.followups.list_for("T1", i)]
        since = NOW - timedelta(days=50)
        read = await _service(engine).period("T1", since, NOW)
        days = followup_days(followups, since=since, until=NOW, now=NOW)
        assert read.followups == followups_by_month(days)
        assert sum(m.overdue for m in read.followups) > 0  # open ones made more than 30 days before NOW
        assert read.weeks == weekly_trends(await _records(engine, since), await _runs(engine, since), days,
                                           since=since, until=NOW)
    finally:
        await engine.dispose()


async def _records(engine: AsyncEngine, since: datetime) -> list[Incident]:
    async with SqlUnitOfWork(session_factory(engine)) as u:
        return await u.incidents.list_declared_since("T1", since - timedelta(days=30))


async def _runs(engine: AsyncEngine, since: datetime) -> list[Any]:
    """Every step run of T1's incidents declared since `since`, read one incident at a time (the full records)."""
    async with SqlUnitOfWork(session_factory(engine)) as u:
        return [run for i in await u.incidents.list_declared_since("T1", since)
                for run in await u.runbooks.steps("T1", i.id, "rb")]


async def test_the_stored_samples_follow_the_milestones_when_they_are_edited(engine: AsyncEngine) -> None:
    [made] = await _seed(engine, 1)
    assert made.acknowledged_after == timedelta(0) and made.resolved_after is None  # n = 0: open, acked at once
    detected = made.declared_at - timedelta(minutes=10)  # detected before it was declared (a back-filled time)
    async with SqlUnitOfWork(session_factory(engine)) as u:
        await u.incidents.update(made.with_changes(
            status="resolved", milestones={**made.milestones, "detected": detected,
                                           "resolved": made.declared_at + timedelta(hours=2)}))
        await u.commit()
    read = await SqlInsightsReader(session_factory(engine)).period(
        "T1", SINCE, NOW, lookback=SINCE, overdue_before=NOW - timedelta(days=30))
    [facts] = read.incidents
    assert (facts.acknowledged_after, facts.resolved_after) == (timedelta(minutes=10), timedelta(hours=2, minutes=10))


async def test_open_incidents_are_found_by_status_not_by_walking_the_history_on_sqlite(tmp_path: Path) -> None:
    # SQLite only: it keeps no statistics, so its plan follows the query's shape (PostgreSQL plans by its own).
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'plan.db'}")
    try:
        await upgrade(engine)
        await _assert_open_incidents_found_by_status(engine)
    finally:
        await engine.dispose()


async def _assert_open_incidents_found_by_status(engine: AsyncEngine) -> None:
    await _seed(engine, 5)
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if "FROM incident" in statement and "ORDER BY" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    await SqlInsightsReader(session_factory(engine)).home("T1", "U2", ["investigating"], limit=5)
    async with SqlUnitOfWork(session_factory(engine)) as u:
        await u.incidents.list_by_status("T1", ["investigating"])
    event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert len(seen) == 3  # App Home's two lists and /incident list
    async with engine.connect() as conn:
        for statement, parameters in seen:
            plan = " | ".join(str(r[-1]) for r in (await conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters)).all())
            assert "ix_incident_team_status" in plan and "ix_incident_team_declared" not in plan, plan


async def test_a_class_s_follow_ups_are_those_of_its_incidents_however_old(engine: AsyncEngine) -> None:
    made = await _seed(engine, 30)  # classes by n % 3: queue-failure, import-pipeline, none
    async with SqlUnitOfWork(session_factory(engine)) as u:
        old = await u.incidents.add(NewIncident(team_id="T1", number=99, title="Old", severity="SEV2", status="resolved",
                                                declared_by="U1", declared_at=NOW - timedelta(days=200),
                                                incident_class="queue-failure"))
        for incident in (old, made[1]):  # an old queue failure's, and an import pipeline incident's
            await u.followups.add(FollowUp(team_id="T1", incident_id=incident.id, text="Late fix", created_by="U1",
                                           created_at=NOW - timedelta(days=1)))
        await u.commit()
    async with SqlUnitOfWork(session_factory(engine)) as u:
        classes = {i.id: i.incident_class for i in await u.incidents.list_declared_since("T1", NOW - timedelta(days=365))}
        followups = [f for i in classes for f in await u.followups.list_for("T1", i)]
    read = await SqlInsightsReader(session_factory(engine)).period(
        "T1", SINCE, NOW, lookback=SINCE, overdue_before=NOW, incident_class="queue-failure")
    theirs = [f for f in followups if classes[f.incident_id] == "queue-failure"]
    assert read.followup_days == followup_days(theirs, since=SINCE, until=NOW, now=NOW, overdue_after=timedelta(0))
    created = sum(d.created for d in read.followup_days)
    assert created == len([f for f in theirs if f.created_at >= SINCE]) and any(f.incident_id == old.id for f in theirs)
    assert created < len([f for f in followups if f.created_at >= SINCE])  # the other classes' are left out
