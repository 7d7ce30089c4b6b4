"""Timer benchmark: 10,000 pending reminders across 2,000 open incidents, against the fake Slack.

    .venv/bin/python -m bench.timers                 # SQLite
    .venv/bin/python -m bench.timers --database postgresql --check

Every incident has five planned timers (update due, update overdue, response target, two
escalation levels): 10,000 pending. The update and response-target timers of all incidents fall
due over the first `--spread` seconds (4,000 messages); the rest stay pending. Measured, in one
process with the real app (create_app + start, APScheduler polling the database):
start-up (create_app + start with every timer pending), lateness of each sent reminder (Slack
received it − it fell due), resident memory at the end. Goals: p99 lateness < 1 s, RSS < 200 MB,
start-up < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict

from bot.app import build_services, create_app
from bot.config import load_config, load_policy
from bot.serve import freeze_startup_objects, start
from bot.services.declaration import DeclareRequest
from bot.standin import FakeSlack
from store.engine import create_engine, session_factory
from store.migrate import upgrade
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


def rss_mb() -> float:
    """Resident memory of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def seed(url: str, incidents: int, spread: float, lead: float, fake: FakeSlack) -> dict[int, datetime]:
    """Declare the incidents so their update and response timers fall due `lead`..`lead+spread` s from now."""
    engine = create_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    base = datetime.now(UTC) + timedelta(seconds=lead)
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
    async with engine.begin() as conn:
        from sqlalchemy import text

        # A channel of its own per incident in the fake (Slack paces messages per channel).
        for number in due:
            channel = fake.state.add_channel(f"inc-{number}-timer-bench")["id"]
            await conn.execute(text("UPDATE incident SET channel_id = :c WHERE number = :n"), {"c": channel, "n": number})
    await engine.dispose()
    return due


async def run(args: argparse.Namespace) -> TimerFigures:
    """Seed, start the real app, wait for every due reminder, measure."""
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(args.database, Path(tmp)) as url, FakeSlack(latency=args.latency) as fake:
            seeded = time.perf_counter()
            lead = 5.0 + args.incidents * 0.025  # seeding must finish before the first timer falls due
            due = await seed(url, args.incidents, args.spread, lead, fake)
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
                # In the incident's own channel: copies to the announcements or on-call channel share
                # that channel's lane and go out at Slack's pace of about one message a second.
                params = getattr(c, "params", {})
                return "INC-" in str(params.get("text", "")) and str(params.get("channel", "")).startswith("C") \
                    and params.get("channel") != "CANNOUNCE"

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
            "lateness_max_s": round(lateness[-1], 3), "rss_mb": round(memory, 1)}


def main(argv: list[str]) -> int:
    """Run the timer benchmark and print the figures."""
    parser = argparse.ArgumentParser(prog="bench.timers", description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--spread", type=float, default=30.0, help="seconds over which timers fall due")
    parser.add_argument("--latency", type=float, default=0.05, help="fake Slack latency per call (s)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    r = asyncio.run(run(args))
    goals = {"lateness_p99_s < 1": r["lateness_p99_s"] < 1, "rss_mb < 200": r["rss_mb"] < 200,
             "startup_seconds < 2": r["startup_seconds"] < 2}
    print(f"{r['pending_at_start']} timers pending at start across {r['incidents']} incidents ({r['database']}); "
          f"{r['sent']} fell due and were sent")
    print(f"  start-up {r['startup_seconds']} s, lateness p50 {r['lateness_p50_s']} s, p99 {r['lateness_p99_s']} s, "
          f"max {r['lateness_max_s']} s, RSS {r['rss_mb']} MB (seeding took {r['seed_seconds']} s)")
    for goal, ok in goals.items():
        print(f"  {'PASS' if ok else 'MISS'}  {goal}")
    print(json.dumps({**r, "goals": goals}))
    return 0 if all(goals.values()) or not args.check else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
