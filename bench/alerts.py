"""Alert storm benchmark: 1,000 alerts in 10 s across 50 alert groups, posted to the real receiver.

    .venv/bin/python -m bench.alerts                 # SQLite
    .venv/bin/python -m bench.alerts --database postgresql --check

The real app (create_app + start, the alert worker running) on loopback against the fake Slack (every Web
API call answered after `--latency` s). 20 groups are critical (each declares an incident) and 30 warnings
(each posts a triage message in #alerts). The alerts fire at an even pace over `--spread` seconds, groups
in turn; each firing is one notification of its group carrying every alert of the group so far, as
Alertmanager sends them (harsher: it would batch a group's changes per group_interval), sent open-loop on
schedule. Measured: the receiver's answer time, then, once every notification is handled and every Slack
call made, the incidents and triage messages (none twice), the alerts on incident timelines or recorded on
their triage group, and the Slack calls per channel per second (in the busiest 1-second window, and on
average while the channel was busy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bench.stats import finish, percentile
from bot.app import create_app
from bot.config import load_config
from bot.log import configure_logging
from bot.serve import start
from bot.standin import FakeSlack
from store.alerts import AlertGroupRow, AlertNotificationRow
from store.engine import create_engine
from store.models import IncidentRow, TimelineEntryRow
from store.tables import table_of
from tests.alerting import alert, alertmanager
from tests.databases import fresh_database
from tests.e2e.harness import bot_environ

TOKEN = "bench-alerts-token"


def storm(groups: int, alerts: int, critical: int) -> list[tuple[int, dict[str, Any]]]:
    """(group, notification) in sending order: alert n fires in group n % groups, with every earlier one."""
    fired: dict[int, list[dict[str, Any]]] = defaultdict(list)
    out = []
    for n in range(alerts):
        group = n % groups
        severity = "critical" if group < critical else "warning"
        fired[group].append(alert(f"g{group}-a{len(fired[group])}", name=f"Storm{group}", severity=severity,
                                  summary=f"Storm group {group}"))
        out.append((group, alertmanager(f"Storm{group}", list(fired[group]))))
    return out


def busiest(calls: list[Any]) -> tuple[str, int, float]:
    """The channel with the most calls in one 1-second window: (channel, calls in it, its mean rate while busy)."""
    by_channel: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        if call.method in ("chat.postMessage", "chat.update"):
            by_channel[str(call.params.get("channel"))].append(call.at)
    best = ("", 0, 0.0)
    for channel, times in by_channel.items():
        times.sort()
        start, peak = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0:
                start += 1
            peak = max(peak, end - start + 1)
        span = max(times[-1] - times[0], 1.0)
        if peak > best[1]:
            best = (channel, peak, round(len(times) / span, 2))
    return best


def time_to_card(calls: list[Any], first_sent: dict[int, float]) -> list[float]:
    """Seconds from each declaring group's first notification until the fake Slack received its incident's card."""
    cards: dict[str, float] = {}
    for call in calls:
        if call.method == "chat.postMessage" and "header" in json.dumps(call.params.get("blocks", "")):
            cards.setdefault(str(call.params.get("channel")), call.at)
    out = []
    for create in (c for c in calls if c.method == "conversations.create"):
        group = int(str(create.params["name"]).rsplit("storm-group-", 1)[1].split("-")[0])
        channel = create.response["channel"]["id"]
        if channel in cards:
            out.append(cards[channel] - first_sent[group])
    return sorted(out)


async def post_all(url: str, plan: list[tuple[int, dict[str, Any]]], spread: float,
                   first_sent: dict[int, float]) -> tuple[list[float], int]:
    """Send each notification at its time (open loop); their answer times and how many failed; `first_sent`:
    when each group's first notification went (time.monotonic, as the fake Slack stamps calls)."""
    latencies: list[float] = []
    errors = 0
    bodies = [json.dumps(payload).encode() for _, payload in plan]
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session:
        began = time.perf_counter()

        async def one(n: int, body: bytes) -> None:
            nonlocal errors
            await asyncio.sleep(max(0.0, began + spread * n / len(bodies) - time.perf_counter()))
            sent = time.perf_counter()
            first_sent.setdefault(plan[n][0], time.monotonic())
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - sent)

        await asyncio.gather(*(one(n, body) for n, body in enumerate(bodies)))
    return latencies, errors


async def counts(url: str) -> dict[str, int]:
    """What the database holds afterwards."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            def scalar(stmt: Any) -> Any:
                return conn.scalar(stmt)
            timeline = table_of(TimelineEntryRow)
            groups = table_of(AlertGroupRow)
            inbox = table_of(AlertNotificationRow)
            statuses = (await conn.execute(select(groups.c.statuses))).scalars().all()
            return {
                "incidents": int(await scalar(select(func.count()).select_from(table_of(IncidentRow)))),
                "alert_timeline_entries": int(await scalar(select(func.count()).select_from(timeline)
                                                           .where(timeline.c.text.like("Alert firing:%")))),
                "alerts_recorded": sum(len(s) for s in statuses),
                "notifications_pending": int(await scalar(select(func.count()).select_from(inbox)
                                                          .where(inbox.c.state != "done"))),
            }
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the app, send the storm, wait until everything is handled and sent, count."""
    plan = storm(args.groups, args.alerts, args.critical)
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(args.database, Path(tmp)) as url, FakeSlack(latency=args.latency) as fake:
            fake.state.add_channel("alerts", "CALERTS")
            env = bot_environ(fake, url, WARROOM_CONFIG=str(Path(tmp) / "warroom.yaml"), LOG_LEVEL="warning",
                              WARROOM_ALERTS_TOKEN=TOKEN)
            warroom = create_app(load_config(env, env_file=None))
            running = await start(warroom, host="127.0.0.1", port=0)
            alerts = warroom.services.alerts
            assert alerts is not None
            try:
                started = time.perf_counter()
                first_sent: dict[int, float] = {}
                latencies, errors = await post_all(f"http://127.0.0.1:{running.port}/alerts/alertmanager", plan,
                                                   args.spread, first_sent)
                deadline = time.monotonic() + 180
                while await alerts.pending() or not await warroom.sender.wait_idle(0.5):
                    assert time.monotonic() < deadline, f"{await alerts.pending()} notifications not handled in time"
                    await asyncio.sleep(0.2)  # polled with a deadline: the worker and the sender run on
                drained = time.perf_counter() - started
            finally:
                await running.close()
            stored = await counts(url)
            creates = fake.calls_to("conversations.create")
            triage = [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == "CALERTS"]
            channel, peak, mean = busiest(fake.calls)
            to_card = time_to_card(fake.calls, first_sent)
            per_group = Counter(str(c.params.get("text")) for c in triage)
    ms = sorted(x * 1000 for x in latencies)
    expected_incident_alerts = sum(1 for n in range(args.alerts) if n % args.groups < args.critical)
    return {
        "database": args.database, "alerts": args.alerts, "groups": args.groups, "notifications": len(plan),
        "receiver_p50_ms": round(percentile(ms, 50), 1), "receiver_p99_ms": round(percentile(ms, 99), 1),
        "receiver_max_ms": round(ms[-1], 1), "errors": errors, "drained_s": round(drained, 1),
        "card_p50_s": round(percentile(to_card, 50), 2), "card_p99_s": round(percentile(to_card, 99), 2),
        "incidents_created": len(creates), "triage_messages": len(triage),
        "duplicates": (len(creates) - args.critical) + (len(triage) - (args.groups - args.critical))
        + sum(n - 1 for n in per_group.values()),
        "alerts_on_incident_timelines": stored["alert_timeline_entries"],
        "alerts_expected_on_timelines": expected_incident_alerts, "alerts_recorded": stored["alerts_recorded"],
        "notifications_not_done": stored["notifications_pending"],
        "slack_calls": len(fake.calls), "busiest_channel": channel, "busiest_channel_calls_in_1s": peak,
        "busiest_channel_mean_calls_per_s": mean, "contract_violations": len(fake.violations),
    }


def main(argv: list[str]) -> int:
    """Run the storm and print the figures."""
    parser = argparse.ArgumentParser(prog="bench.alerts", description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--critical", type=int, default=20, help="groups that declare (the rest triage)")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which the alerts fire")
    parser.add_argument("--latency", type=float, default=0.05, help="fake Slack latency per call (s)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    configure_logging("warning", "json")
    r = asyncio.run(run(args))
    goals = {"receiver_p99_ms < 100": r["receiver_p99_ms"] < 100, "duplicates == 0": r["duplicates"] == 0,
             "one incident or triage message per group":
                 r["incidents_created"] + r["triage_messages"] == args.groups,
             "every alert on a timeline or recorded": r["alerts_recorded"] == args.alerts
             and r["alerts_on_incident_timelines"] == r["alerts_expected_on_timelines"],
             "busiest channel <= 5 calls in any second": r["busiest_channel_calls_in_1s"] <= 5,
             "errors == 0": r["errors"] == 0 and r["contract_violations"] == 0}
    print(f"{r['alerts']} alerts in {args.spread:g} s across {r['groups']} groups ({r['database']}): "
          f"{r['notifications']} notifications, all handled and sent after {r['drained_s']} s")
    print(f"  receiver p50 {r['receiver_p50_ms']} ms, p99 {r['receiver_p99_ms']} ms, max {r['receiver_max_ms']} ms")
    print(f"  first alert to the incident's card: p50 {r['card_p50_s']} s, p99 {r['card_p99_s']} s")
    print(f"  {r['incidents_created']} incidents, {r['triage_messages']} triage messages, {r['duplicates']} duplicates; "
          f"{r['alerts_on_incident_timelines']} alerts on incident timelines, {r['alerts_recorded']} recorded")
    print(f"  {r['slack_calls']} Slack calls; busiest channel {r['busiest_channel']}: "
          f"{r['busiest_channel_calls_in_1s']} in its busiest second, {r['busiest_channel_mean_calls_per_s']}/s on average")
    return finish(r, goals, args.check)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
