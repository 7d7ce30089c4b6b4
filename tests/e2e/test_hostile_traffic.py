"""Hostile traffic: nothing reads an unsigned body, so junk costs a 400/401 and nothing else.

No metrics label, no memory, no traceback in the log, whatever the body, headers or how many.
"""

from __future__ import annotations

import asyncio
import gc
import io
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import aiohttp
import pytest
import structlog

from bot.log import configure_logging
from bot.metrics import REQUEST_KINDS
from bot.slack_gate import MAX_BODY
from bot.standin.signing import sign
from tests.e2e.harness import SIGNING_SECRET, Bot

FLOOD = 20_000
WARM_UP = 2_000
CONCURRENCY = 16
MB = 1024 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
KIND_LABEL = re.compile(r'warroom_requests_total\{kind="([^"]*)"')


class LogSink(io.TextIOBase):
    """A log stream that counts lines and keeps only those that carry a traceback or an error."""

    def __init__(self) -> None:
        self.lines = 0
        self.problems: list[str] = []

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        if any(mark in text for mark in ("Traceback", '"exception"', '"level": "error"', '"level": "critical"')):
            self.problems.append(text[:2000])
        return len(text)


@contextmanager
def logged_to(sink: LogSink, level: str = "debug") -> Iterator[LogSink]:
    """Log everything (Warroom's events, aiohttp's and Bolt's) into `sink` as `warroom serve` would."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging(level, "json", secrets=[SIGNING_SECRET], stream=sink)  # type: ignore[arg-type]
    try:
        yield sink
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        structlog.reset_defaults()


def hostile(i: int) -> tuple[bytes, dict[str, str]]:
    """The i-th junk request: every one distinct (type, command name, JSON junk, nesting, timestamps)."""
    now = int(time.time())
    match i % 7:
        case 0:  # a JSON event with a type of its own and no signature at all
            return json.dumps({"type": f"evil_type_{i}", "team_id": "T1"}).encode(), {"Content-Type": JSON}
        case 1:  # a slash command with a made-up name and a forged signature
            body = urlencode({"command": f"/evil{i}", "text": "declare sev1 x", "team_id": "T1"}).encode()
            return body, {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(now),
                          "X-Slack-Signature": f"v0={i:064x}"}
        case 2:  # broken JSON
            return f'{{"type": "broken_{i}", "event": {{'.encode(), {"Content-Type": JSON}
        case 3:  # deeply nested JSON
            depth = 3000 + i % 500
            return (f'{{"type": "nested_{i}", "x": ' + "[" * depth + "]" * depth + "}").encode(), {"Content-Type": JSON}
        case 4:  # a timestamp that is not a number
            return json.dumps({"type": f"ts_{i}"}).encode(), {
                "Content-Type": JSON, "X-Slack-Request-Timestamp": f"soon-{i}", "X-Slack-Signature": "v0=" + "a" * 64}
        case 5:  # signed with the real secret, but long ago: a captured request replayed too late
            body = urlencode({"payload": json.dumps({"type": f"view_{i}", "team": {"id": "T1"}})}).encode()
            stale = now - 3600 - i
            return body, {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(stale),
                          "X-Slack-Signature": sign(SIGNING_SECRET, stale, body)}
        case _:  # bytes that are not even UTF-8, under an ever larger timestamp
            return b"\xff\xfe" + i.to_bytes(4, "big") + b"\x80", {
                "Content-Type": FORM, "X-Slack-Request-Timestamp": "9" * (20 + i % 5000), "X-Slack-Signature": "v0="}


async def _flood(url: str, indices: range) -> dict[int, int]:
    """POST the hostile requests with a few connections at a time; how many got each status."""
    statuses: dict[int, int] = {}
    todo = iter(indices)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:
        async def worker() -> None:
            for i in todo:
                body, headers = hostile(i)
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return statuses


def _rss() -> int:
    """This process's resident memory in bytes (the server runs in it); after a full collection."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _kinds(metrics_text: str) -> set[str]:
    return set(KIND_LABEL.findall(metrics_text))


@pytest.mark.parametrize("index", range(7), ids=["unsigned-event", "forged-command", "broken-json", "nested-json",
                                                 "non-numeric-timestamp", "stale", "not-utf8"])
async def test_unsigned_junk_gets_400_or_401_and_no_traceback(bot: Bot, index: int) -> None:
    body, headers = hostile(index)
    with logged_to(LogSink()) as sink:
        async with aiohttp.ClientSession() as session, session.post(bot.events_url, data=body, headers=headers) as resp:
            status = resp.status
    assert status in (400, 401)
    assert sink.problems == []
    await bot.settled()
    assert bot.writes() == []


@pytest.mark.parametrize("body", ['{"type": "event_callback", "event": {', '{"type": "x", "a": ' + "[" * 5000 + "]" * 5000 + "}",
                                  "payload=" + "%5B" * 5000, '{"type": "event_callback", "event": "x"}'],
                         ids=["broken-json", "nested-json", "nested-form-payload", "event-not-an-object"])
async def test_signed_junk_gets_400_and_no_traceback(bot: Bot, body: str) -> None:
    now = int(time.time())
    headers = {"Content-Type": JSON if body.startswith("{") else FORM, "X-Slack-Request-Timestamp": str(now),
               "X-Slack-Signature": sign(SIGNING_SECRET, now, body)}
    with logged_to(LogSink()) as sink:
        async with aiohttp.ClientSession() as session, session.post(bot.events_url, data=body.encode(),
                                                                     headers=headers) as resp:
            status = resp.status
    assert status == 400
    assert [line for line in sink.problems if "Traceback" in line or '"exception"' in line] == []
    await bot.settled()
    assert bot.writes() == []


async def test_a_body_over_a_mebibyte_gets_413_before_its_signature_is_even_checked(bot: Bot) -> None:
    async with aiohttp.ClientSession() as session, session.post(bot.events_url, data=io.BytesIO(b"x" * (MAX_BODY + 1)),
                                                                 headers={"Content-Type": FORM}) as resp:
        assert resp.status == 413
    _, metrics = await bot.get("/metrics")
    assert 'warroom_requests_total{kind="too_large",status="413"} 1.0' in metrics


async def test_metrics_labels_come_from_fixed_sets_and_unsigned_bodies_add_none(bot: Bot) -> None:
    statuses = await _flood(bot.events_url, range(0, 700, 7))  # unsigned events, each with a type of its own
    assert statuses == {401: 100}
    signed_odd = json.dumps({"type": "made_up_by_someone_with_the_secret", "team_id": "T1"})
    async with aiohttp.ClientSession() as session:
        headers = {"Content-Type": JSON, "X-Slack-Request-Timestamp": str(int(time.time())),
                   "X-Slack-Signature": sign(SIGNING_SECRET, int(time.time()), signed_odd)}
        async with session.post(bot.events_url, data=signed_odd, headers=headers) as resp:
            assert resp.status == 400
    await bot.command("list")
    _, text = await bot.get("/metrics")
    assert "evil_type" not in text and "made_up" not in text
    assert _kinds(text) <= REQUEST_KINDS
    assert 'warroom_requests_total{kind="unsigned",status="401"} 100.0' in text
    assert 'warroom_requests_total{kind="command",status="200"} 1.0' in text


async def test_twenty_thousand_unsigned_requests_cost_no_memory_no_metrics_and_no_traceback(bot: Bot) -> None:
    with logged_to(LogSink(), level="info") as sink:
        await _flood(bot.events_url, range(FLOOD, FLOOD + WARM_UP))  # pools, buffers and caches reach their size
        before = _rss()
        started = time.monotonic()
        statuses = await _flood(bot.events_url, range(FLOOD))
        elapsed = time.monotonic() - started
        growth = _rss() - before
        status, metrics = await bot.get("/metrics")
    assert set(statuses) <= {400, 401} and sum(statuses.values()) == FLOOD, statuses
    assert growth < 5 * MB, f"RSS grew {growth / MB:.1f} MB over {FLOOD} requests ({elapsed:.1f} s)"
    assert status == 200 and len(metrics.encode()) < 100 * 1024
    assert _kinds(metrics) <= REQUEST_KINDS
    assert sink.problems == []
    await bot.settled()
    assert bot.writes() == []

