"""Load generators: a closed loop (N clients back to back) and an open loop (fixed rate).

The same client code drives both apps: one shared aiohttp session, pre-built bodies, each
request signed with a fresh timestamp just before it is sent.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bench.stats import Sample
from bot.standin import FakeSlack, signed_headers

_SENDS = itertools.count()  # across phases: a warm-up and the phase after it share their bodies


class Client:
    """Signs and POSTs pre-built form bodies to one /slack/events URL."""

    def __init__(self, session: aiohttp.ClientSession, url: str, secret: str) -> None:
        self.session, self.url, self.secret = session, url, secret

    async def send(self, body: str) -> tuple[int, str, float]:
        """(HTTP status, response text, seconds from send to the full response = the ack)."""
        headers = signed_headers(self.secret, body)
        data = body.encode()
        started = time.perf_counter()
        async with self.session.post(self.url, data=data, headers=headers) as resp:
            text = await resp.text()
        return resp.status, text, time.perf_counter() - started


def command_bodies(fake: FakeSlack, text: str, count: int) -> list[str]:
    """`count` form bodies of `/incident <text>`, each with its own response_url and trigger_id."""
    return [urlencode(fake.command_payload(text=text, user_id="U1", channel_id="CGENERAL"))
            for _ in range(count)]


async def closed_loop(client: Client, bodies: list[str], concurrency: int, duration: float) -> Sample:
    """`concurrency` workers send back to back until `duration` is over; in-flight ones finish."""
    sample = Sample()
    pool = itertools.cycle(bodies)
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        while time.perf_counter() < deadline:
            try:
                # A body signed twice in the same second is a replay, and Warroom refuses it: each send is its own
                # delivery, as each of Slack's is (Slack's differ by trigger_id; here by a field Bolt ignores).
                status, text, elapsed = await client.send(f"{next(pool)}&bench_send={next(_SENDS)}")
            except (aiohttp.ClientError, TimeoutError):
                sample.errors += 1
                continue
            if status != 200:
                sample.errors += 1
                continue
            sample.latencies.append(elapsed)
            sample.first_body = sample.first_body or text

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    sample.elapsed = time.perf_counter() - started
    return sample


@dataclass
class Declare:
    """One declare: its body, the response_url name it will be answered on, and what happened."""

    body: str
    name: str
    sent_at: float = 0.0
    ack: float | None = None
    error: str = ""
    reply_at: float | None = None
    reply_text: str = ""

    @property
    def completed(self) -> bool:
        return self.reply_at is not None and " declared: <#" in self.reply_text


@dataclass
class DeclareRun:
    """The outcome of the open-loop declare phase."""

    declares: list[Declare] = field(default_factory=list)
    send_elapsed: float = 0.0
    drain_timed_out: bool = False


def declare_bodies(fake: FakeSlack, count: int, tag: str) -> list[Declare]:
    """Declares with dissimilar titles (mostly a uuid) and a unique service each: no duplicates."""
    out = []
    for i in range(count):
        text = f"declare sev1 Bench {uuid.uuid4().hex} --service bench-{tag}-{i}"
        payload = fake.command_payload(text=text, user_id="U1", channel_id="CGENERAL")
        out.append(Declare(body=urlencode(payload), name=payload["response_url"].rsplit("/", 1)[1]))
    return out


async def _watch_replies(fake: FakeSlack, by_name: dict[str, Declare],
                         done: dict[str, asyncio.Future[None]]) -> None:
    """Stamp each declare when its response_url POST lands and resolve its future; runs until
    cancelled. Event-driven: waits on the fake's condition for "a response after those seen"."""
    seen = len(fake.responses)
    while True:
        def after_seen(_reply: dict[str, Any], n: int = seen) -> bool:
            return len(fake.responses) > n

        await fake.wait_for_response(after_seen, timeout=3600)
        now = time.perf_counter()
        for reply in fake.responses[seen:]:
            declare = by_name.get(reply["name"])
            if declare is not None and declare.reply_at is None:
                body: Any = reply["body"]
                declare.reply_at, declare.reply_text = now, str(body.get("text", body))
                done[reply["name"]].set_result(None)
        seen = len(fake.responses)


async def open_loop_declares(client: Client, fake: FakeSlack, declares: list[Declare], rate: float,
                             drain: float) -> DeclareRun:
    """Send `declares` at `rate` per second regardless of answers; wait up to `drain` s after."""
    run = DeclareRun(declares=declares)
    by_name = {d.name: d for d in declares}
    loop = asyncio.get_running_loop()
    done: dict[str, asyncio.Future[None]] = {d.name: loop.create_future() for d in declares}
    watcher = asyncio.create_task(_watch_replies(fake, by_name, done))
    started = time.perf_counter()

    async def one(declare: Declare) -> None:
        declare.sent_at = time.perf_counter()
        try:
            status, text, elapsed = await client.send(declare.body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            declare.error = repr(exc)
            return
        if status != 200:
            declare.error = f"HTTP {status}: {text[:80]}"
            return
        declare.ack = elapsed

    tasks = []
    for i, declare in enumerate(declares):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # the schedule, not a poll
        tasks.append(asyncio.create_task(one(declare)))
    await asyncio.gather(*tasks)
    run.send_elapsed = time.perf_counter() - started
    outstanding = [done[d.name] for d in declares if not d.error]
    try:
        if outstanding:
            _, pending = await asyncio.wait(outstanding, timeout=drain)
            run.drain_timed_out = bool(pending)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    return run
