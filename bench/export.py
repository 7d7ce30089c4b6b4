"""Export benchmark: the post-incident review of a 10,000-entry timeline, from the database.

    .venv/bin/python -m bench.export                  # SQLite, 10,000 entries, 5 runs
    .venv/bin/python -m bench.export --database postgresql --entries 10000 --check

Seeds one incident with N timeline entries, role assignments and follow-ups, then times what
`warroom export INC-1 --format md|json` does: load everything in one transaction and render.
Goal: under 0.5 s for 10,000 entries. Prints a table and a final JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict

from bot.app import build_services
from bot.config import load_policy
from bot.domain.incident import NewIncident, RoleAssignment, TimelineEntry, TimelineKind
from bot.services.clock import SystemClock
from store.engine import create_engine, session_factory
from store.migrate import upgrade
from store.uow import SqlUnitOfWork
from tests.databases import fresh_database
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.runner import FakeStepRunner

GOAL_SECONDS = 0.5
T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


class ExportTimes(TypedDict):
    """How long one format's exports took, and how big one was."""

    median_s: float
    max_s: float
    bytes: int


class ExportFigures(TypedDict):
    """What one run measured (printed, and as JSON)."""

    entries: int
    seed_seconds: float
    md: ExportTimes
    json: ExportTimes


async def seed(uow: SqlUnitOfWork, entries: int) -> int:
    """One incident with `entries` timeline entries (some captured from messages, 2 % withdrawn)."""
    async with uow as u:
        incident = await u.incidents.add(NewIncident(team_id="T1", number=1, title="Imports failing",
                                                     severity="SEV1", status="resolved", declared_by="U1",
                                                     declared_at=T0, channel_id="C1", resolution="Rolled back"))
        for n in range(entries):
            at = T0 + timedelta(seconds=n)
            captured = n % 3 == 0
            await u.timeline.add(TimelineEntry(
                incident_id=incident.id, team_id="T1", kind=TimelineKind.NOTE, author=f"U{n % 7}",
                text=f"Observation {n}: queue depth {n * 3}, workers {n % 11} restarted", occurred_at=at,
                source="reaction" if captured else "command", source_channel_id="C1" if captured else None,
                source_ts=f"{at.timestamp():.6f}" if captured else None,
                permalink=f"https://example.slack.com/archives/C1/p{int(at.timestamp())}" if captured else None,
                withdrawn_at=at if n % 50 == 0 else None))
        for n, role in enumerate(("commander", "comms", "scribe")):
            await u.roles.add(RoleAssignment(team_id="T1", incident_id=incident.id, role=role, user_id=f"U{n}",
                                             assigned_by="U1", assumed_at=T0))
        await u.commit()
    return incident.id


async def measure(url: str, entries: int, runs: int) -> ExportFigures:
    """Seed, then time `runs` exports in each format."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        sessions = session_factory(engine)
        services = build_services(uow=lambda: SqlUnitOfWork(sessions), chat=FakeChat(), clock=SystemClock(),
                                  policy=load_policy(None), directory=FakeDirectory(),
                                  runbook_chat=FakeRunbookChat(), runner=FakeStepRunner(), catalog={})
        started = time.perf_counter()
        incident_id = await seed(SqlUnitOfWork(sessions), entries)
        seeded = time.perf_counter() - started
        by_format: dict[str, ExportTimes] = {}
        for fmt in ("md", "json"):
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                out = await services.reviews.render("T1", incident_id, fmt)
                times.append(time.perf_counter() - t)
            by_format[fmt] = {"median_s": round(statistics.median(times), 4), "max_s": round(max(times), 4),
                              "bytes": len(out.encode())}
        return {"entries": entries, "seed_seconds": round(seeded, 2), "md": by_format["md"],
                "json": by_format["json"]}
    finally:
        await engine.dispose()


async def main(argv: list[str]) -> int:
    """Run the export benchmark and print the figures."""
    parser = argparse.ArgumentParser(prog="bench.export", description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(args.database, Path(tmp)) as url:
            results = await measure(url, args.entries, args.runs)
    worst = max(results["md"]["max_s"], results["json"]["max_s"])
    ok = worst < GOAL_SECONDS
    print(f"export of {args.entries} timeline entries on {args.database} ({args.runs} runs each)")
    for fmt, r in (("md", results["md"]), ("json", results["json"])):
        print(f"  {fmt:4}  median {r['median_s'] * 1000:7.1f} ms   max {r['max_s'] * 1000:7.1f} ms   {r['bytes']:>9} bytes")
    print(f"  goal: every export under {GOAL_SECONDS * 1000:.0f} ms -> {'PASS' if ok else 'MISS'}")
    print(json.dumps({"database": args.database, **results, "goal_met": ok}))
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
