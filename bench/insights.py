"""Insights benchmark: App Home on 10,000 incidents, and the KPI reads on 100,000.

    .venv/bin/python -m bench.insights                          # SQLite, ~2 min
    .venv/bin/python -m bench.insights --database postgresql --check

1. **App Home.** A fresh database seeded (bulk inserts) with `--home-incidents` incidents over the last year:
   milestones, two roles each (and their role_assignment rows), a follow-up each (30 % still open, owned by 50
   people), three step runs on 40 % of them, the newest 1 % still open. The real app (`create_app` + `start`)
   serves the fake Slack (answers at once: Slack's own time is not ours). `--opens` people open their Home tab
   one after another: the time from sending the signed `app_home_opened` to the fake receiving the
   `views.publish` for that person. *Cold*: the workspace's KPI cache emptied before each open (every open
   reads the 30 days' KPIs); *warm*: as served, the KPIs read at most once a minute.
2. **KPI reads.** Another fresh database with `--kpi-incidents` incidents over `--years` years (a third of
   them opened by one of 40 alert groups); then, for the last 30, 90 and 365 days, `--runs` times each:
   `InsightsService.period` (App Home's: four queries, and every KPI computed: times by class, recurrence,
   coverage, weekly trends, follow-ups by month), its four queries alone, `/incident stats <n>d`
   (`ReviewService.stats_with_insights`) and the report (`ReportService.report`), each six queries with the alert
   groups (the top alerts' coverage) and recurrence by alert group.

Goals: App Home p95 (cold) < 300 ms; every KPI read's slowest run < 1 s. A table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from bench.stats import finish, percentile
from bot.app import create_app
from bot.config import load_config, load_policy
from bot.domain.classes import DEFAULT_CLASSES
from bot.log import configure_logging
from bot.serve import start
from bot.services.clock import SystemClock
from bot.services.insights import InsightsService
from bot.services.report import ReportService
from bot.standin import FakeSlack
from store.alerts import AlertGroupRow, AlertIncidentRow
from store.engine import create_engine, session_factory
from store.insights import SqlInsightsReader
from store.migrate import upgrade
from store.models import FollowUpRow, IncidentRow, RoleAssignmentRow, WorkspaceRow
from store.runs import RunbookAttachmentRow, StepRunRow
from store.tables import table_of
from store.uow import SqlUnitOfWork
from tests.databases import fresh_database
from tests.e2e.harness import SIGNING_SECRET, bot_environ
from tests.fakes.clock import FakeClock
from tests.integration.alert_setup import replica

HOME_GOAL_MS, KPI_GOAL_S = 300.0, 1.0
PEOPLE, CHUNK, ALERT_GROUPS = 50, 5_000, 40
TEAM = "T0001"  # the fake Slack's workspace
CLASSES = [c.id for c in DEFAULT_CLASSES] + [None]


def _incident_rows(count: int, now: datetime, span: timedelta, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Rows of every table for `count` incidents declared evenly over `span` up to `now`, oldest first."""
    rows: dict[str, list[dict[str, Any]]] = {"incident": [], "role": [], "followup": [], "attachment": [], "run": [],
                                             "group": [], "opened": []}
    step = span / count
    # ALERT_GROUPS alert groups (a third of the incidents opened by one, every one of them with a runbook named,
    # half of those one the bot has).
    for g in range(1, ALERT_GROUPS + 1):
        rows["group"].append({"id": g, "team_id": TEAM, "source": "alertmanager", "key": f"group-{g}",
                              "state": "incident", "statuses": {}, "created_at": now - span, "updated_at": now,
                              "detail": {"title": f"Alert {g} firing", "lines": {}, "links": {},
                                         "runbook": "api-high-latency" if g % 2 else f"missing-{g}"}})
    for n in range(count):
        number = n + 1
        declared = now - span + step * n
        still_open = n >= count * 0.99
        acked = declared + timedelta(minutes=rng.randint(1, 30))
        resolved = declared + timedelta(minutes=rng.randint(20, 600))
        milestones = {"detected": declared, "acknowledged": acked} | ({} if still_open else {"resolved": resolved})
        commander, scribe = f"U{n % PEOPLE:03d}", f"U{(n + 7) % PEOPLE:03d}"
        rows["incident"].append({
            "id": number, "team_id": TEAM, "number": number, "title": f"Bench incident {number}",
            "severity": f"SEV{rng.randint(1, 3)}", "status": "investigating" if still_open else "resolved",
            "declared_by": commander, "declared_at": declared, "channel_id": f"CB{number:07d}",
            "service": f"svc-{n % 12}", "resolved_at": None if still_open else resolved,
            "roles": {"commander": commander, "scribe": scribe},
            "milestones": {k: v.isoformat() for k, v in milestones.items()},
            "links": {}, "incident_class": CLASSES[n % len(CLASSES)],
            # The samples the repository writes with the milestones (store/repositories.py).
            "seconds_to_acknowledge": (acked - declared).total_seconds(),
            "seconds_to_resolve": None if still_open else (resolved - declared).total_seconds()})
        for role, user in (("commander", commander), ("scribe", scribe)):
            rows["role"].append({"team_id": TEAM, "incident_id": number, "role": role, "user_id": user,
                                 "assigned_by": commander, "assumed_at": acked, "handover": False})
        if n % 3 == 0:
            rows["opened"].append({"incident_id": number, "team_id": TEAM, "group_id": 1 + (n // 3) % ALERT_GROUPS,
                                   "opened_at": declared})
        created = declared + timedelta(hours=2)
        rows["followup"].append({"team_id": TEAM, "incident_id": number, "text": f"Follow-up of {number}",
                                 "owner": f"U{(n * 3) % PEOPLE:03d}", "created_by": commander, "created_at": created,
                                 "done_at": None if n % 10 < 3 else created + timedelta(days=5),
                                 "done_by": None if n % 10 < 3 else commander})
        if n % 5 < 2:
            rows["attachment"].append({"team_id": TEAM, "incident_id": number, "runbook_id": "bench",
                                       "attached_by": commander, "attached_at": acked})
            for s, state in enumerate(("done", "done", "pending")):
                rows["run"].append({"team_id": TEAM, "incident_id": number, "runbook_id": "bench", "step_id": f"s{s}",
                                    "state": state, "attempt": 0, "extra": {}, "output": ""})
    return rows


async def seed(engine: AsyncEngine, count: int, now: datetime, span: timedelta) -> float:
    """Bulk-insert `count` incidents and everything hanging off them; seconds taken."""
    started = time.perf_counter()
    rows = _incident_rows(count, now, span, random.Random(16))
    tables: dict[str, type[SQLModel]] = {"incident": IncidentRow, "role": RoleAssignmentRow, "followup": FollowUpRow,
              "attachment": RunbookAttachmentRow, "run": StepRunRow, "group": AlertGroupRow,
              "opened": AlertIncidentRow}
    async with engine.begin() as conn:
        await conn.execute(insert(table_of(WorkspaceRow)), [{"team_id": TEAM, "last_incident_number": count}])
        for name, model in tables.items():
            for at in range(0, len(rows[name]), CHUNK):
                await conn.execute(insert(table_of(model)), rows[name][at:at + CHUNK])
        if engine.dialect.name == "postgresql":  # ids were given: move the sequences past them
            for table in ("incident", "alert_group"):
                await conn.exec_driver_sql(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
    return time.perf_counter() - started


def _ms(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {"p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "max_ms": round(max(ms), 1)}


async def home_phase(database: str, incidents: int, opens: int) -> dict[str, Any]:
    """Seed, start the real app, time `opens` Home tabs cold and `opens` warm."""
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(database, Path(tmp)) as url, FakeSlack() as fake:
            engine = create_engine(url)
            await upgrade(engine)
            seeded = await seed(engine, incidents, datetime.now(UTC), timedelta(days=365))
            await engine.dispose()
            env = bot_environ(fake, url, WARROOM_CONFIG=str(Path(tmp) / "warroom.yaml"), LOG_LEVEL="warning",
                              PUBLIC_URL="https://warroom.bench")
            warroom = create_app(load_config(env, env_file=None))
            running = await start(warroom, host="127.0.0.1", port=0)
            url_events = f"http://127.0.0.1:{running.port}/slack/events"
            insights = warroom.services.insights
            assert insights is not None
            times: dict[str, list[float]] = {"cold": [], "warm": []}
            try:
                for phase in ("cold", "warm"):
                    for n in range(opens):
                        user = f"U{n % PEOPLE:03d}"
                        if phase == "cold":
                            insights._cache.clear()  # noqa: SLF001 - the bench measures the uncached read
                        insights.forget_published(TEAM, user)  # measure a publish, not the skip
                        before = len(fake.calls_to("views.publish"))
                        started = time.perf_counter()
                        status, _, _ = await fake.send_event(url_events, SIGNING_SECRET, {
                            "type": "app_home_opened", "user": user, "tab": "home", "channel": "D0HOME"})
                        assert status == 200, status
                        await fake.wait_for("views.publish", count=before + 1, timeout=30)
                        times[phase].append(time.perf_counter() - started)
                view = fake.calls_to("views.publish")[-1].params["view"]
                blocks = len((json.loads(view) if isinstance(view, str) else view)["blocks"])
            finally:
                await running.close()
            return {"incidents": incidents, "seed_s": round(seeded, 1), "opens": opens, "blocks": blocks,
                    "cold": _ms(times["cold"]), "warm": _ms(times["warm"]), "violations": len(fake.violations)}


async def kpi_phase(database: str, incidents: int, years: float, runs: int) -> dict[str, Any]:
    """Seed, then time the KPI reads of the last 30, 90 and 365 days."""
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(database, Path(tmp)) as url:
            engine = create_engine(url)
            try:
                await upgrade(engine)
                now = datetime.now(UTC)
                seeded = await seed(engine, incidents, now, timedelta(days=365 * years))
                reader = SqlInsightsReader(session_factory(engine))
                service = InsightsService(reader=reader, clock=SystemClock(), policy=load_policy(None),
                                          oncall=lambda: [])
                # /incident stats and the report read through the unit of work's insights (six queries each).
                bot = replica(engine, clock=FakeClock(now))
                reports = ReportService(uow=lambda: SqlUnitOfWork(session_factory(engine)), clock=FakeClock(now),
                                        policy=load_policy(None))
                periods: dict[str, dict[str, Any]] = {}
                for days in (30, 90, 365):
                    since = now - timedelta(days=days)
                    whole, queries, stats, report = [], [], [], []
                    for _ in range(runs):
                        started = time.perf_counter()
                        _, counted = await bot.services.reviews.stats_with_insights(TEAM, f"{days}d")
                        stats.append(time.perf_counter() - started)
                        started = time.perf_counter()
                        reported = await reports.report(f"{days}d", teams=[TEAM])
                        report.append(time.perf_counter() - started)
                        assert counted.times.count == reported.total.count
                        started = time.perf_counter()
                        found = await service.period(TEAM, since, now)
                        whole.append(time.perf_counter() - started)
                        started = time.perf_counter()
                        await reader.period(TEAM, since, now, lookback=since - timedelta(days=30),
                                            overdue_before=now - timedelta(days=30))
                        queries.append(time.perf_counter() - started)
                    periods[f"{days}d"] = {"incidents": found.overall.count, "weeks": len(found.weeks),
                                           "max_s": round(max(whole), 3), "median_s": round(sorted(whole)[runs // 2], 3),
                                           "queries_median_s": round(sorted(queries)[runs // 2], 3),
                                           "stats_max_s": round(max(stats), 3), "report_max_s": round(max(report), 3),
                                           "top_alerts": len(reported.alert_coverage.top)}
            finally:
                await engine.dispose()
            return {"incidents": incidents, "years": years, "seed_s": round(seeded, 1), "periods": periods}


async def main(argv: list[str]) -> int:
    """Run both phases and print the figures."""
    parser = argparse.ArgumentParser(prog="bench.insights", description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--home-incidents", type=int, default=10_000)
    parser.add_argument("--opens", type=int, default=50, help="Home tabs opened per series (50)")
    parser.add_argument("--kpi-incidents", type=int, default=100_000)
    parser.add_argument("--years", type=float, default=5.0, help="years the KPI phase's incidents span (5)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each KPI period (3)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    configure_logging("warning", "json")  # as `warroom serve` with LOG_LEVEL=warning: nothing per request
    home = await home_phase(args.database, args.home_incidents, args.opens)
    kpis = await kpi_phase(args.database, args.kpi_incidents, args.years, args.runs)
    print(f"App Home on {home['incidents']} incidents ({args.database}; seeded in {home['seed_s']} s), "
          f"{home['opens']} opens each, {home['blocks']} blocks:")
    for phase in ("cold", "warm"):
        r = home[phase]
        print(f"  {phase:4}  p50 {r['p50_ms']:7.1f} ms   p95 {r['p95_ms']:7.1f} ms   max {r['max_ms']:7.1f} ms")
    print(f"KPI reads on {kpis['incidents']} incidents over {kpis['years']} years (seeded in {kpis['seed_s']} s):")
    for name, r in kpis["periods"].items():
        print(f"  {name:>4}  {r['incidents']:6} incidents  median {r['median_s'] * 1000:7.1f} ms   "
              f"max {r['max_s'] * 1000:7.1f} ms   (queries alone {r['queries_median_s'] * 1000:7.1f} ms)   "
              f"/incident stats max {r['stats_max_s'] * 1000:7.1f} ms   report max {r['report_max_s'] * 1000:7.1f} ms")
    goals = {"home_p95_ms_cold": home["cold"]["p95_ms"] < HOME_GOAL_MS,
             "kpi_max_s": all(max(r["max_s"], r["stats_max_s"], r["report_max_s"]) < KPI_GOAL_S
                              for r in kpis["periods"].values()),
             "contract_violations": home["violations"] == 0}
    return finish({"database": args.database, "home": home, "kpis": kpis}, goals, args.check)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
