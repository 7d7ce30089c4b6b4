"""Mixed-load benchmark: `.venv/bin/python -m bench.mixed [--quick] [--check]`.

Declares, notes, card clicks, status changes and lists at a fixed total rate (open loop), first
against a bare Bolt app (ack only), then against Warroom, in one process on loopback with the
stand-in Slack answering every Web API call after 50 ms. Measures ack latency per kind, errors
of every kind, RSS growth over the measured phase and whether the background work keeps up.
See bench/README.md ("Mixed load").
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import structlog

from bench.load import Client
from bench.mixed_observe import LogCounter, Observer, RssSampler, rss_mb, standin_mb
from bench.mixed_pool import WEIGHTS, Incident, Mix, Pool
from bench.mixed_report import error_counts, evaluate, ratios, render
from bench.mixed_run import Run, open_loop, poll_until
from bench.report import json_line
from bench.stats import GcPauses
from bench.targets import bare_bolt, database, warroom
from bot.standin import FakeSlack
from tests.e2e.harness import SIGNING_SECRET

SLACK_LATENCY = 0.05
DRAIN_SECONDS = 60.0
READ_INTERVAL = 0.1


def quiet_logs() -> None:
    """Warnings and errors only, all through stdlib logging, so LogCounter sees the bot's too."""
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(
        processors=[structlog.stdlib.add_log_level, structlog.dev.ConsoleRenderer(colors=False)],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of the measured phase (180)")
    parser.add_argument("--rate", type=float, default=30.0, help="requests per second, all kinds together (30)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of load thrown away first (10)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pool-cap", type=int, default=30, help="open incidents the load keeps (30)")
    parser.add_argument("--timer-poll", type=float, default=0.1,
                        help="WARROOM_TIMER_POLL_SECONDS of the bot: its default 0.1; 0 turns the timers off")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random mix (1)")
    parser.add_argument("--quick", action="store_true", help="a ~15 s smoke test: 5 s phases, 1 s warm-up")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = min(args.duration, 5.0), 1.0
    if args.duration <= 0 or args.rate <= 0 or args.warmup < 0 or args.pool_cap < 2:
        parser.error("--duration and --rate must be > 0, --warmup >= 0, --pool-cap >= 2")
    args.seed_incidents = min(10, args.pool_cap)
    args.rss_interval = 1.0 if args.quick else 2.0
    return args


async def run_bare(fake: FakeSlack, session: aiohttp.ClientSession, args: argparse.Namespace) -> Run:
    """The same schedule and mix against a Bolt app that only acks (placeholder incidents)."""
    pool = Pool(cap=args.pool_cap)
    for n in range(args.seed_incidents):
        pool.add(Incident(number=n + 1, channel="CGENERAL", card_ts="1700000000.000100"))
    mix = Mix(fake, pool, args.seed, "bare")
    async with bare_bolt(fake) as url:
        client = Client(session, url, SIGNING_SECRET)
        await open_loop(client, mix, args.rate, args.warmup, Run(check_acks=False))
        return await open_loop(client, mix, args.rate, args.duration, Run(check_acks=False))


async def run_warroom(fake: FakeSlack, session: aiohttp.ClientSession, args: argparse.Namespace,
                      tmp: Path) -> dict[str, Any]:
    """Seed the pool through /incident declare, warm up, measure, then wait for the work to settle."""
    pool = Pool(cap=args.pool_cap)
    observer = Observer(fake, pool)
    mix = Mix(fake, pool, args.seed, uuid.uuid4().hex[:6])
    reading = asyncio.create_task(observer.run(READ_INTERVAL))
    rss = RssSampler()
    try:
        async with database(args.database, tmp) as db_url, warroom(
                fake, db_url, tmp, WARROOM_TIMER_POLL_SECONDS=str(args.timer_poll)) as (app, url):
            client = Client(session, url, SIGNING_SECRET)
            seeding = Run()
            for _ in range(args.seed_incidents):
                request = mix.declare()
                observer.expect(request.reply_name, request.kind)
                await client.send(request.body)
            if not await poll_until(lambda: len(pool.ready) >= args.seed_incidents, 30):
                raise RuntimeError(f"seed declares not ready in 30 s: {observer.summary()}")
            await open_loop(client, mix, args.rate, args.warmup, seeding, observer)
            calls_before, standin_before = Counter(observer.calls), standin_mb(fake)
            sampling = asyncio.create_task(rss.run(args.rss_interval))
            measured = await open_loop(client, mix, args.rate, args.duration, Run(), observer)
            sampling.cancel()
            await asyncio.gather(sampling, return_exceptions=True)
            rss.samples.append(rss_mb())
            observer.read()
            calls_sending = observer.calls - calls_before
            standin_growth = standin_mb(fake) - standin_before
            in_flight, pending = app.surface.in_flight.running, len(observer.awaiting)
            drain_started = time.perf_counter()
            idle = await app.surface.in_flight.wait_idle(DRAIN_SECONDS)
            # Replies and cards may come later than the listeners (an outbox delivers them): wait for both.
            replied = await poll_until(lambda: not observer.awaiting and not observer.declared, DRAIN_SECONDS)
            drain_seconds = time.perf_counter() - drain_started
            observer.read()
            calls_draining = observer.calls - calls_before - calls_sending
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
    observer.read()
    return {
        "measured": measured, "observer": observer, "memory": rss.summary(standin_growth),
        "warmup_errors": seeding.summary()["overall"]["errors"] + seeding.bad_acks,
        "background": {
            "slack_calls": sum(calls_sending.values()),
            "slack_calls_per_s": round(sum(calls_sending.values()) / measured.elapsed, 1),
            "by_method": dict(calls_sending.most_common()), "slack_calls_while_draining": sum(calls_draining.values()),
            "in_flight_at_end": in_flight,
            "replies_pending_at_end": pending, "drain_seconds": round(drain_seconds, 2),
            "drain_timed_out": not (idle and replied), "declared": observer.calls["conversations.create"],
            "resolved": pool.resolved, "pool_open": len(pool.ready),
        },
    }


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    """Run the bare app, then Warroom, and return the results (config, summaries, goals)."""
    started, load_before = time.perf_counter(), os.getloadavg()
    gc_pauses = GcPauses()
    connector = aiohttp.TCPConnector(limit=0)  # open loop: never queue a request on the client side
    with tempfile.TemporaryDirectory(prefix="warroom-mixed-") as tmp, gc_pauses, LogCounter() as logs:
        async with FakeSlack(latency=SLACK_LATENCY) as fake, aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as session:
            bare = (await run_bare(fake, session, args)).summary()
            wr = await run_warroom(fake, session, args, Path(tmp))
            violations = list(fake.violations)
            standin = {"channels": len(fake.channels),
                       "messages": sum(len(c["messages"]) for c in fake.channels.values())}
    warroom_summary, slack = wr["measured"].summary(), wr["observer"].summary()
    errors = error_counts(warroom_summary, slack, len(violations))
    errors["warmup_failed_requests"] = wr["warmup_errors"]
    errors["total"] += wr["warmup_errors"]
    result: dict[str, Any] = {
        "config": {"database": args.database, "rate": args.rate, "duration": args.duration, "warmup": args.warmup,
                   "pool_cap": args.pool_cap, "seed": args.seed, "weights": WEIGHTS,
                   "slack_latency_ms": int(SLACK_LATENCY * 1000), "rss_interval": args.rss_interval,
                   "timer_poll_seconds": args.timer_poll},
        "machine": {"cpus": os.cpu_count(), "loadavg_1m_before": round(load_before[0], 2),
                    "loadavg_1m_after": round(os.getloadavg()[0], 2)},
        "warroom": warroom_summary, "bare": bare, "ratios": ratios(warroom_summary, bare),
        "errors": errors,
        "error_examples": (warroom_summary["failure_examples"] + warroom_summary["bad_ack_examples"]
                           + slack["error_reply_examples"] + slack["unexpected_reply_examples"]
                           + [f"refused {k} x{v}" for k, v in slack["refused_calls"].items()] + violations[:3]),
        "memory": wr["memory"], "background": wr["background"], "slack": slack, "standin": standin,
        "gc": gc_pauses.summary(), "logs": logs.summary(),
    }
    result["goals"] = evaluate(result)
    result["pass"] = all(g["pass"] for g in result["goals"].values())
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_logs()
    result = asyncio.run(bench(args))
    print(render(result))
    print(json_line(result), flush=True)
    return 1 if args.check and not result["pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
