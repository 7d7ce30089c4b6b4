"""Benchmark Warroom against a bare Bolt app: `.venv/bin/python -m bench.run [--quick] [--check]`.

One process, one event loop, loopback only. Phase A: `/incident list` closed loop against a bare
Bolt app (ack only) and against Warroom, same client code, N and duration. Phase B: declares at
a fixed rate against Warroom, measuring the ack and the whole flow (until the fake Slack gets the
"INC-n declared" response_url POST). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import structlog

from bench.load import Client, closed_loop, command_bodies, declare_bodies, open_loop_declares
from bench.report import declare_summary, evaluate, json_line, render
from bench.stats import GcPauses
from bench.targets import bare_bolt, database, seed_open_incidents, warroom
from bot.standin import FakeSlack
from tests.e2e.harness import SIGNING_SECRET

SLACK_LATENCY = 0.05
DECLARE_RATE = 20.0
DRAIN_SECONDS = 30.0
SEED_INCIDENTS = 5
LIST_BODIES = 256


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured phase (10)")
    parser.add_argument("--concurrency", type=int, default=16, help="closed-loop clients for /incident list (16)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="2 s phases, short warm-up: a smoke test")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--no-list-cache", action="store_true",
                        help="WARROOM_LIST_CACHE_SECONDS=0: every /incident list reads the database")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = 2.0
    if args.duration <= 0 or args.concurrency < 1:
        parser.error("--duration must be > 0 and --concurrency >= 1")
    return args


def quiet_logs() -> None:
    """Warnings and errors only: per-request logging would be measured too."""
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    """Run both phases and return the results (config, summaries, goals)."""
    started = time.perf_counter()
    warmup = 0.5 if args.quick else 1.0
    n, duration = args.concurrency, args.duration
    connector = aiohttp.TCPConnector(limit=max(2 * n, 64))
    gc_pauses = GcPauses()
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp_name, gc_pauses:
        tmp = Path(tmp_name)
        async with FakeSlack(latency=SLACK_LATENCY) as fake, aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=10)
        ) as session:
            list_bodies = command_bodies(fake, "list", LIST_BODIES)

            async with bare_bolt(fake) as url:
                client = Client(session, url, SIGNING_SECRET)
                await closed_loop(client, list_bodies, n, warmup)
                bare = await closed_loop(client, list_bodies, n, duration)

            async with database(args.database, tmp) as db_url, warroom(
                    fake, db_url, tmp, 0.0 if args.no_list_cache else 2.0) as (app, url):
                await seed_open_incidents(app, fake, SEED_INCIDENTS)
                client = Client(session, url, SIGNING_SECRET)
                await closed_loop(client, list_bodies, n, warmup)
                listed = await closed_loop(client, list_bodies, n, duration)
                if listed.latencies and f"{SEED_INCIDENTS} open incidents" not in listed.first_body:
                    raise RuntimeError(f"unexpected /incident list ack: {listed.first_body[:200]}")
                declares = declare_bodies(fake, max(1, round(DECLARE_RATE * duration)), uuid.uuid4().hex[:6])
                run = await open_loop_declares(client, fake, declares, DECLARE_RATE, DRAIN_SECONDS)
            violations = list(fake.violations)

    bare_s, wr_s, dec_s = bare.summary(), listed.summary(), declare_summary(run)
    goals = evaluate(bare_s, wr_s, dec_s, len(violations))
    return {
        "config": {"database": args.database, "concurrency": n, "duration": duration, "warmup": warmup,
                   "declare_rate": DECLARE_RATE, "slack_latency_ms": int(SLACK_LATENCY * 1000),
                   "seeded_open_incidents": SEED_INCIDENTS},
        "bare_list": bare_s, "warroom_list": wr_s, "declare": dec_s,
        "contract_violations": len(violations), "violation_examples": violations[:3],
        "gc": gc_pauses.summary(),
        "goals": goals, "pass": all(g["pass"] for g in goals.values()),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_logs()
    result = asyncio.run(bench(args))
    print(render(result))
    if result["violation_examples"]:
        print("  e.g. " + "\n  e.g. ".join(result["violation_examples"]))
    print(json_line(result), flush=True)
    return 1 if args.check and not result["pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
