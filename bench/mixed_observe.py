"""What the stand-in saw during the mixed load, read as it arrives and then forgotten by the stand-in.

The observer polls the stand-in every `interval` seconds: it counts Web API calls by method, notes
refused calls (`ok: false`), error replies ("Something went wrong (ref …)", ":warning: … (ref …)"),
and replies a request of that kind should never get, joins each declare's "INC-n declared: <#C…>"
reply with the card posted in that channel to add the incident to the pool, and then deletes what
it has read from `fake.calls` / `fake.responses`, so the stand-in's records do not grow the RSS
that the bench measures for the bot.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Self

from bench.mixed_pool import Incident, Pool
from bot.standin import FakeSlack
from handlers.ids import Block

DECLARED = re.compile(r"^(INC-(\d+)) declared: <#([CG][A-Z0-9]+)>")
ERROR_REF = re.compile(r"\(ref [0-9a-f]{8}\)")
LIST_REPLY = re.compile(r"^\d+ open incidents")
EXPECTED_REPLY = {"declare": DECLARED, "note": re.compile(r"^Added to the timeline")}
EXAMPLES = 5


def rss_mb() -> float:
    """Resident memory of this process (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def deep_bytes(root: Any) -> int:
    """Approximate bytes held by `root` and everything it contains (sys.getsizeof, each object once)."""
    seen: set[int] = set()
    stack, total = [root], 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
    return total


def standin_mb(fake: FakeSlack) -> float:
    """What the stand-in's workspace (channels, messages, views, users) holds, in MB."""
    state = fake.state
    return deep_bytes([state.channels, state.views, state.users, state.pins]) / 2**20


def _text(body: Any) -> str:
    return str(body.get("text", "")) if isinstance(body, dict) else str(body)


def _is_card(params: dict[str, Any]) -> bool:
    blocks = params.get("blocks")
    return isinstance(blocks, list) and any(isinstance(b, dict) and b.get("block_id") == Block.CARD_ACTIONS
                                            for b in blocks)


class Observer:
    """Reads the stand-in's calls and response_url POSTs; feeds the pool; counts what went wrong."""

    def __init__(self, fake: FakeSlack, pool: Pool) -> None:
        self.fake, self.pool = fake, pool
        self.calls: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()  # "method: error" of calls answered ok: false
        self.error_replies: list[str] = []
        self.unexpected_replies: list[str] = []
        self.error_reply_count = self.unexpected_reply_count = 0
        self.awaiting: dict[str, str] = {}  # response_url name -> kind, for kinds that get a reply
        self.replied: Counter[str] = Counter()
        self.cards: dict[str, str] = {}  # channel -> card ts, until its declare reply is read
        self.declared: dict[str, int] = {}  # channel -> incident number, until its card is read

    def expect(self, name: str, kind: str) -> None:
        """A request of `kind` answered on response_url `name` was sent (declare and note are)."""
        if kind in EXPECTED_REPLY:
            self.awaiting[name] = kind

    def read(self) -> None:
        """Take in everything the stand-in recorded since the last read, then let it forget."""
        calls, responses = self.fake.calls, self.fake.responses
        n_calls, n_responses = len(calls), len(responses)
        for call in calls[:n_calls]:
            self._call(call.method, call.params, call.response)
        for response in responses[:n_responses]:
            self._reply(response["name"], response["body"])
        del calls[:n_calls], responses[:n_responses]  # no await since reading: nothing lost

    def _call(self, method: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        self.calls[method] += 1
        if response.get("ok") is False:
            self.refused[f"{method}: {response.get('error')}"] += 1
        if method in ("chat.postMessage", "chat.postEphemeral") and ERROR_REF.search(str(params.get("text", ""))):
            self._error(f"{method} to {params.get('channel')}: {params.get('text')}")
        if method == "chat.postMessage" and _is_card(params) and response.get("ok"):
            channel = str(response.get("channel") or params.get("channel"))
            self.cards[channel] = str(response["ts"])
            self._join(channel)

    def _reply(self, name: str, body: Any) -> None:
        text = _text(body)
        kind = self.awaiting.pop(name, None)
        if ERROR_REF.search(text):
            self._error(f"{name}: {text}")
            return
        expected = EXPECTED_REPLY.get(kind or "", LIST_REPLY)
        match = expected.match(text)
        if match is None:
            self.unexpected_reply_count += 1
            if len(self.unexpected_replies) < EXAMPLES:
                self.unexpected_replies.append(f"{kind or 'unasked'} {name}: {text[:160]}")
            return
        self.replied[kind or "list"] += 1
        if kind == "declare":
            self.declared[match.group(3)] = int(match.group(2))
            self._join(match.group(3))

    def _join(self, channel: str) -> None:
        """Add the incident to the pool once both its declare reply and its card were seen."""
        if channel in self.declared and channel in self.cards:
            self.pool.add(Incident(self.declared.pop(channel), channel, self.cards.pop(channel)))

    def _error(self, example: str) -> None:
        self.error_reply_count += 1
        if len(self.error_replies) < EXAMPLES:
            self.error_replies.append(example[:200])

    async def run(self, interval: float) -> None:
        """Read every `interval` seconds until cancelled (a poll: the reads are batched on purpose)."""
        while True:
            self.read()
            await asyncio.sleep(interval)

    def summary(self) -> dict[str, Any]:
        """Slack-side counts and what went wrong."""
        return {
            "slack_calls": dict(self.calls.most_common()), "slack_calls_total": sum(self.calls.values()),
            "refused_calls": dict(self.refused), "error_replies": self.error_reply_count,
            "error_reply_examples": self.error_replies, "unexpected_replies": self.unexpected_reply_count,
            "unexpected_reply_examples": self.unexpected_replies, "replies": dict(self.replied),
            "replies_missing": len(self.awaiting), "cards_unjoined": len(self.cards),
            "declares_without_card": len(self.declared),
        }


class RssSampler:
    """VmRSS every `interval` seconds while running (start, end, max)."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    async def run(self, interval: float) -> None:
        while True:
            self.samples.append(rss_mb())
            await asyncio.sleep(interval)

    def summary(self, standin_growth_mb: float = 0.0) -> dict[str, Any]:
        """Start, end, max; growth %, and growth % less what the stand-in's workspace grew by (the goal)."""
        if not self.samples:
            return {"start_mb": None, "end_mb": None, "max_mb": None, "raw_growth_pct": None,
                    "standin_growth_mb": None, "growth_pct": None, "samples": 0}
        start, end = self.samples[0], self.samples[-1]
        return {"start_mb": round(start, 1), "end_mb": round(end, 1), "max_mb": round(max(self.samples), 1),
                "raw_growth_pct": round((end - start) / start * 100, 2),
                "standin_growth_mb": round(standin_growth_mb, 1),
                "growth_pct": round((end - start - standin_growth_mb) / start * 100, 2), "samples": len(self.samples)}


class LogCounter(logging.Handler):
    """Counts warnings and errors logged through the standard library, by logger; keeps a few.

    APScheduler's "skipped: maximum number of running instances reached" (the timer poll still
    busy when its next run was due) is counted and kept off stderr: hundreds of lines a minute.
    """

    SKIPPED = "maximum number of running instances reached"

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()
        self.examples: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.name} {record.levelname}"] += 1
        if len(self.examples) < EXAMPLES and self.SKIPPED not in record.getMessage():
            self.examples.append(f"{record.name}: {record.getMessage()[:160]}")

    def drop_skipped(self, record: logging.LogRecord) -> bool:
        """A filter on the scheduler's logger: count the skipped runs, let the rest through."""
        if self.SKIPPED in record.getMessage():
            self.counts["timer poll runs skipped (still busy)"] += 1
            return False
        return True

    def __enter__(self) -> Self:
        logging.getLogger().addHandler(self)
        logging.getLogger("apscheduler.scheduler").addFilter(self.drop_skipped)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)
        logging.getLogger("apscheduler.scheduler").removeFilter(self.drop_skipped)

    def summary(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "examples": self.examples}
