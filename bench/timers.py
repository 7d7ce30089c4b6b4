"""Timer benchmark: 10,000 pending reminders across 2,000 open incidents, against the fake Slack.

    .venv/bin/python -m bench.timers                 # SQLite
    .venv/bin/python -m bench.timers --database postgresql --check

Every incident has five planned timers (update due, update overdue, response target, two
escalation levels): 10,000 pending. The update and response-target timers of all incidents fall
due over the first `--spread` seconds (4,000 messages); the rest stay pending. Measured, in one
process with the real app (create_app + start, APScheduler polling the database):
start-up (create_app + start with every timer pending), lateness of each sent reminder in its
incident's channel (Slack received it − it fell due) and the part of it until the timer was marked sent
(its message queued in the outbox), resident memory at the end. Goals: p99 lateness < 1 s, RSS < 200 MB,
start-up < 2 s. The copies of the response-target notices in the on-call, escalation and announcements
channels go out grouped (bot/domain/grouping.py) at Slack's pace there; they are not timed.
Incidents are declared an hour ahead and every stored time is then moved back, so the first timer falls
due 5 s after seeding ends however long seeding took.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

from bench.stats import finish
from bot.app import build_services, create_app
from bot.config import load_config, load_policy
from bot.log import configure_logging
from bot.serve import freeze_startup_objects, start
from bot.services.declaration import DeclareRequest
from bot.standin import FakeSlack
from store.columns import UTCDateTime
from store.engine import create_engine, session_factory
from store.migrate import upgrade
from store.tables import table_of
from store.timers import TimerRow
from store.uow import SqlUnitOfWork
from tests.databases import fresh_database
from tests.e2e.harness import bot_environ
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.clock import FakeClock
from tests.fakes.runner import FakeStepRunner
from tests.integration.timer_processes import sent_count

_REF = re.compile(r"INC-(\d+)")


class TimerFigures(TypedDict):
    """What one run measured (printed, and as JSON for tests/integration/test_benchmarks_run.py)."""

    database: str
    incidents: int
    pending_at_start: int
    sent: int
    seed_seconds: float
    startup_seconds: float
    lateness_p50_s: float
    lateness_p99_s: float
    lateness_max_s: float
    rss_mb: float
    queued_p50_s: float | None  # of the lateness: until the timer was marked sent, its message queued
    queued_p99_s: float | None


def rss_mb() -> float:
    """Resident memory of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def seed(url: str, incidents: int, spread: float, lead: float, fake: FakeSlack) -> tuple[dict[int, datetime], set[str]]:
    """Declare the incidents so their update and response timers fall due `lead`..`lead+spread` s after
    seeding ends: they are declared an hour ahead, then every stored time moves back by the same amount,
    so a slow seed (a busy machine) never makes the first timers late before the bot starts."""
    engine = create_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    base = datetime.now(UTC) + timedelta(hours=1)
    clock = FakeClock(base)
    services = build_services(uow=lambda: SqlUnitOfWork(sessions), chat=FakeChat(), clock=clock,
                              policy=load_policy(None), directory=FakeDirectory(), runbook_chat=FakeRunbookChat(),
                              runner=FakeStepRunner(), catalog={})
    due: dict[int, datetime] = {}
    for n in range(incidents):
        clock._now = base - timedelta(minutes=15) + timedelta(seconds=spread * n / incidents)
        result = await services.incidents.declare(
            DeclareRequest(team_id="T0001", user_id="U1", severity="sev1", title=f"Timer bench {n}"), force=True)
        assert result.incident is not None
        due[result.incident.number] = clock.now() + timedelta(minutes=15)
    shift = datetime.now(UTC) + timedelta(seconds=lead) - base
    async with engine.begin() as conn:
        await shift_times(conn, shift)
        # The shared channels the default policy names (on-call rotation, escalation contacts) exist.
        for name in ("oncall-sre", "leadership"):
            fake.state.add_channel(name)
        # A channel of its own per incident in the fake (Slack paces messages per channel).
        channels = set()
        for number in due:
            channel = fake.state.add_channel(f"inc-{number}-timer-bench")["id"]
            channels.add(channel)
            await conn.execute(text("UPDATE incident SET channel_id = :c WHERE number = :n"), {"c": channel, "n": number})
    await engine.dispose()
    return {number: at + shift for number, at in due.items()}, channels


async def shift_times(conn: AsyncConnection, by: timedelta) -> None:
    """Move every stored date and time (incidents, timers, timeline, roles, …) by `by`; not the audit
    log's, which is append-only (and no timer reads it)."""
    for table in SQLModel.metadata.sorted_tables:
        if table.name == "audit_event":
            continue
        stamps = [c for c in table.columns if isinstance(c.type, UTCDateTime)]
        keys = list(table.primary_key.columns)
        if not stamps or not keys:
            continue
        rows = (await conn.execute(select(*keys, *stamps))).all()
        changes = [{**{f"k_{k.name}": row[i] for i, k in enumerate(keys)},
                    **{f"v_{c.name}": (v + by if v is not None else None) for c, v in zip(stamps, row[len(keys):])}}
                   for row in rows]
        if changes:
            await conn.execute(update(table).where(*(k == bindparam(f"k_{k.name}") for k in keys))
                               .values({c.name: bindparam(f"v_{c.name}") for c in stamps}), changes)


async def run(args: argparse.Namespace) -> TimerFigures:
    """Seed, start the real app, wait for every due reminder, measure."""
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(args.database, Path(tmp)) as url, FakeSlack(latency=args.latency) as fake:
            seeded = time.perf_counter()
            lead = 5.0  # from the end of seeding to the first timer falling due: the bot starts in between
            due, incident_channels = await seed(url, args.incidents, args.spread, lead, fake)
            seed_seconds = time.perf_counter() - seeded
            offset = time.time() - time.monotonic()
            env = bot_environ(fake, url, WARROOM_CONFIG=str(Path(tmp) / "warroom.yaml"), LOG_LEVEL="warning",
                              WARROOM_TIMER_POLL_SECONDS="0.1")
            started = time.perf_counter()
            warroom = create_app(load_config(env, env_file=None))
            running = await start(warroom, host="127.0.0.1", port=0)
            startup = time.perf_counter() - started
            freeze_startup_objects()
            pending = await warroom.services.timers.pending()
            def reminder(c: object) -> bool:
                # In the incident's own channel: copies to the announcements, on-call and escalation
                # channels go out grouped at Slack's pace in those channels (see bot/domain/grouping.py).
                params = getattr(c, "params", {})
                return params.get("channel") in incident_channels and "INC-" in str(params.get("text", ""))

            try:
                # Poll the database, not the fake: a predicate over every recorded call on every call
                # would cost the shared event loop O(n²) and slow the bot it measures.
                deadline = time.monotonic() + lead + args.spread + 120
                while await warroom.services.timers.pending() > 3 * args.incidents:
                    assert time.monotonic() < deadline, "reminders were not all sent in time"
                    await asyncio.sleep(0.5)
                # A sent timer's message is in the outbox: lateness counts until Slack has it. Only the
                # incident channels are waited for: copies to #incidents share one lane at Slack's pace.
                fired = await sent_count(url)
                while sum(1 for c in fake.calls_to("chat.postMessage") if reminder(c)) < fired:
                    assert time.monotonic() < deadline, "reminders were not all delivered in time"
                    await asyncio.sleep(0.5)
            finally:
                memory = rss_mb()
                await running.close()
            queued = await fired_lateness(url)
            lateness = []
            for call in fake.calls_to("chat.postMessage"):
                if not reminder(call):
                    continue
                match = _REF.search(str(call.params["text"]))
                assert match
                received = datetime.fromtimestamp(call.answered_at + offset - args.latency, UTC)
                lateness.append((received - due[int(match.group(1))]).total_seconds())
    lateness.sort()
    p = lambda q: lateness[min(len(lateness) - 1, int(q * len(lateness)))]
    return {"database": args.database, "incidents": args.incidents, "pending_at_start": pending,
            "sent": len(lateness), "seed_seconds": round(seed_seconds, 1), "startup_seconds": round(startup, 3),
            "lateness_p50_s": round(p(0.5), 3), "lateness_p99_s": round(p(0.99), 3),
            "lateness_max_s": round(lateness[-1], 3), "rss_mb": round(memory, 1),
            # Of that: from falling due until the timer was marked sent, its message queued (the rest is the outbox).
            "queued_p50_s": round(queued[int(0.5 * len(queued))], 3) if queued else None,
            "queued_p99_s": round(queued[min(len(queued) - 1, int(0.99 * len(queued)))], 3) if queued else None}


async def fired_lateness(url: str) -> list[float]:
    """Seconds from each sent timer falling due until it was marked sent (its message queued), sorted."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            table = table_of(TimerRow)
            rows = (await conn.execute(select(table.c.due_at, table.c.sent_at).where(table.c.state == "sent"))).all()
    finally:
        await engine.dispose()
    return sorted((sent - due).total_seconds() for due, sent in rows)


def main(argv: list[str]) -> int:
    """Run the timer benchmark and print the figures."""
    parser = argparse.ArgumentParser(prog="bench.timers", description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--spread", type=float, default=30.0, help="seconds over which timers fall due")
    parser.add_argument("--latency", type=float, default=0.05, help="fake Slack latency per call (s)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    configure_logging("warning", "json")  # as `warroom serve` with LOG_LEVEL=warning: sent reminders log nothing
    r = asyncio.run(run(args))
    goals = {"lateness_p99_s < 1": r["lateness_p99_s"] < 1, "rss_mb < 200": r["rss_mb"] < 200,
             "startup_seconds < 2": r["startup_seconds"] < 2}
    print(f"{r['pending_at_start']} timers pending at start across {r['incidents']} incidents ({r['database']}); "
          f"{r['sent']} fell due and were sent")
    print(f"  start-up {r['startup_seconds']} s, lateness p50 {r['lateness_p50_s']} s, p99 {r['lateness_p99_s']} s, "
          f"max {r['lateness_max_s']} s, RSS {r['rss_mb']} MB (seeding took {r['seed_seconds']} s)")
    print(f"  of which until queued in the outbox: p50 {r['queued_p50_s']} s, p99 {r['queued_p99_s']} s")
    return finish(r, goals, args.check)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
