"""The mixed load's open loop: requests sent on a fixed schedule, whatever the answers, acks checked."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.load import Client
from bench.mixed_observe import Observer
from bench.mixed_pool import KINDS, Mix, Request
from bench.stats import Sample, ms_summary

EXAMPLES = 5


def _ack_text(body: str) -> str:
    if not body.strip():
        return ""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    return str(parsed.get("text", "")) if isinstance(parsed, dict) else body


def ack_is_expected(kind: str, body: str) -> bool:
    """Declare acks "Declaring …", list acks its answer (or "Working on it…"), the others ack empty."""
    text = _ack_text(body)
    if kind == "declare":
        return text.startswith("Declaring ")
    if kind == "list":
        return "open incidents" in text or text.startswith("Working on it")
    return text == ""


@dataclass
class Run:
    """What one open-loop phase saw, per kind: sent, acked latencies, failed requests, odd acks."""

    check_acks: bool = True
    samples: dict[str, Sample] = field(default_factory=lambda: {k: Sample() for k in KINDS})
    sent: Counter[str] = field(default_factory=Counter)
    bad_acks: int = 0
    bad_ack_examples: list[str] = field(default_factory=list)
    failure_examples: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def failed(self, kind: str, what: str) -> None:
        self.samples[kind].errors += 1
        if len(self.failure_examples) < EXAMPLES:
            self.failure_examples.append(f"{kind}: {what[:160]}")

    def summary(self) -> dict[str, Any]:
        """Per kind and overall: sent, acked, failed, req/s, ack p50/p99/max in ms."""
        kinds = {}
        for kind, sample in self.samples.items():
            sample.elapsed = self.elapsed
            kinds[kind] = {"sent": self.sent[kind], **sample.summary()}
        everything = [x for s in self.samples.values() for x in s.latencies]
        overall = {"sent": sum(self.sent.values()), "count": len(everything),
                   "errors": sum(s.errors for s in self.samples.values()),
                   "rps": round(len(everything) / self.elapsed, 1) if self.elapsed else 0.0, **ms_summary(everything)}
        return {"overall": overall, "kinds": kinds, "bad_acks": self.bad_acks,
                "bad_ack_examples": self.bad_ack_examples, "failure_examples": self.failure_examples,
                "seconds": round(self.elapsed, 2)}


async def _send(client: Client, request: Request, run: Run) -> None:
    try:
        status, text, elapsed = await client.send(request.body)
    except (aiohttp.ClientError, TimeoutError) as exc:
        run.failed(request.kind, repr(exc))
        return
    if status != 200:
        run.failed(request.kind, f"HTTP {status}: {text}")
        return
    run.samples[request.kind].latencies.append(elapsed)
    if run.check_acks and not ack_is_expected(request.kind, text):
        run.bad_acks += 1
        if len(run.bad_ack_examples) < EXAMPLES:
            run.bad_ack_examples.append(f"{request.kind}: {text[:160]}")


async def open_loop(client: Client, mix: Mix, rate: float, duration: float, run: Run,
                    observer: Observer | None = None) -> Run:
    """Send `rate` requests per second for `duration` s on schedule; wait for every ack after."""
    tasks: set[asyncio.Task[None]] = set()
    started = time.perf_counter()
    total = max(1, round(rate * duration))
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # the schedule, not a poll
        request = mix.next()
        if observer is not None:
            observer.expect(request.reply_name, request.kind)
        run.sent[request.kind] += 1
        task = asyncio.create_task(_send(client, request, run))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    run.elapsed = time.perf_counter() - started
    return run


async def poll_until(ready: Any, timeout: float, interval: float = 0.05) -> bool:
    """Poll `ready()` until it is true or `timeout` s passed (the stand-in is read in batches)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)
    return True
