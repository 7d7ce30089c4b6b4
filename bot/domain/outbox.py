"""The outbox: Slack calls caused by a state change, committed with it and delivered afterwards.

A call belongs to a *lane* (the channel it posts in): calls of one lane go out one at a time, in the
order they were committed, at Slack's pace (about one message a second per channel, short bursts
allowed). Calls that are not messages (invite, topic) get a lane of their own so they never hold
the incident card back. A later card update (or topic) *coalesces* with an earlier one not yet sent:
only the latest state goes out. A post may be given an *anchor*: the ts Slack gives it is remembered, and
later calls (an update of that message, a reply in its thread) name the anchor instead of a ts they
cannot know yet. A channel named by name (`#incidents`) is the same lane as its id: names are resolved
to ids (once, then cached) before a call is queued where possible, and always before it is sent.
Every call carries a *tag*, unique forever (not its id, which a database may hand out again once old
calls are pruned): a post whose answer was lost is looked up in the channel by its tag.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from bot.domain.grouping import Notice

# Not a Web API method: the transport shares a file in three steps (files.getUploadURLExternal, a POST of
# the bytes, files.completeUploadExternal). Params: channel, filename, title, content, comment.
UPLOAD_METHOD = "files.uploadExternal"
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", UPLOAD_METHOD})
POSTING_METHODS = frozenset({"chat.postMessage", UPLOAD_METHOD})
MAX_BACKOFF = timedelta(seconds=60)
GIVE_UP_AFTER = timedelta(hours=6)  # transient failures are retried this long, then the call is failed
_ID = re.compile(r"[CGDUWS][A-Z0-9]+")  # conversations (C, G, D), users (U, W) and user groups (S)


class CallState(StrEnum):
    """Where an outbox call is."""

    PENDING = "pending"  # waiting (possibly leased by a sender)
    SENT = "sent"
    FAILED = "failed"  # Slack refused it for good, or it kept failing for GIVE_UP_AFTER
    SUPERSEDED = "superseded"  # a later update of the same message replaced it
    MERGED = "merged"  # went out as a line of an earlier notice's grouped message (bot.domain.grouping)


@dataclass(frozen=True)
class OutboundCall:
    """One Slack Web API call to make once the transaction that caused it commits."""

    team_id: str
    method: str
    params: dict[str, Any]
    lane: str = ""
    coalesce_key: str | None = None
    anchor: str | None = None  # remember the ts Slack returns under this name
    ts_from: str | None = None  # fill `ts_param` from this anchor's ts when sending
    ts_param: str = "ts"
    id: int | None = None
    attempts: int = 0
    created_at: datetime | None = None
    uncertain: bool = False  # an earlier attempt may have reached Slack (timeout, dropped connection)
    tag: str = ""  # unique forever, given when the call is stored: names the message it posts
    notice: Notice | None = None  # a notice that may go out grouped with others of its kind in its channel

    def __post_init__(self) -> None:
        if not self.lane:
            channel = str(self.params.get("channel", ""))
            lane = channel if self.method in MESSAGE_METHODS else f"{channel}:{self.method}"
            object.__setattr__(self, "lane", f"{self.team_id}/{lane}")

    @property
    def posts(self) -> bool:
        """True for a call that creates a new message (a resend would show twice)."""
        return self.method in POSTING_METHODS


def is_channel_name(channel: str) -> bool:
    """True for a channel named by name (`#incidents`, `incidents`), not by an id (C…, G…, D…, U…)."""
    return bool(channel) and ":" not in channel and not _ID.fullmatch(channel)  # not `role:commander`


def channel_key(channel: str) -> str:
    """How a channel compares with another: its id, or its name in one spelling (`#incidents`)."""
    return f"#{channel.lstrip('#').lower()}" if is_channel_name(channel) else channel


def in_channel(call: OutboundCall, channel_id: str) -> OutboundCall:
    """The call addressed to `channel_id` instead (its name resolved), in that channel's lane."""
    return replace(call, params={**call.params, "channel": channel_id}, lane="")


def card_anchor(team_id: str, incident_id: int) -> str:
    """The anchor of an incident's card message."""
    return f"card/{team_id}/{incident_id}"


def topic_key(team_id: str, incident_id: int) -> str:
    """The coalesce key of an incident channel's topic: only the latest queued topic goes out."""
    return f"topic/{team_id}/{incident_id}"


def checklist_anchor(team_id: str, attachment_id: int) -> str:
    """The anchor of a runbook checklist message."""
    return f"checklist/{team_id}/{attachment_id}"


def parse_anchor(anchor: str) -> tuple[str, str, int] | None:
    """(kind, team_id, id) of an anchor made by the functions above, else None."""
    parts = anchor.split("/")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2])


class Outcome(StrEnum):
    """How one attempt to deliver a call ended."""

    SENT = "sent"
    RATE_LIMITED = "rate_limited"  # 429: wait Retry-After
    TRANSIENT = "transient"  # 5xx, network error, timeout: retry with backoff
    REFUSED = "refused"  # Slack said no for a reason a retry cannot fix


@dataclass(frozen=True)
class Attempt:
    """The result of one delivery attempt."""

    outcome: Outcome
    ts: str | None = None
    retry_after: float | None = None
    error: str = ""
    maybe_delivered: bool = False  # the request may have reached Slack (timeout, connection dropped)


def backoff(attempts: int, *, first: float = 1.0, rng: random.Random | None = None) -> timedelta:
    """Wait before retry number `attempts` (1, 2, ...): exponential from `first` seconds, capped, with jitter."""
    base = min(MAX_BACKOFF.total_seconds(), first * 2.0 ** max(attempts - 1, 0))
    jitter = (rng or random).uniform(0.8, 1.2)
    return timedelta(seconds=min(MAX_BACKOFF.total_seconds(), base * jitter))


@dataclass
class Pace:
    """A token bucket per lane: `rate` calls a second on average, bursts of up to `burst`.

    Times are seconds of a monotonic clock: pacing is about real time, whatever the incident clock says.
    """

    rate: float = 1.0
    burst: int = 4
    _tokens: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, lane: str, now: float) -> float:
        """Take the lane's next turn; returns how many seconds to wait before using it (0: go now)."""
        tokens, at = self._tokens.get(lane, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate) - 1.0
        self._tokens[lane] = (tokens, now)
        return 0.0 if tokens >= 0 else -tokens / self.rate

    def forget_idle(self, now: float) -> None:
        """Drop lanes whose bucket is full again (keeps memory flat across many incidents)."""
        full = [lane for lane, (tokens, at) in self._tokens.items() if tokens + (now - at) * self.rate >= self.burst]
        for lane in full:
            del self._tokens[lane]


class Outbox(Protocol):
    """The calls one unit of work's change causes (`uow.outbox`), handed to the chat adapters."""

    def put(self, call: OutboundCall) -> None:
        """Queue the call: stored when the unit of work commits, dropped when it does not."""
        ...


class OutboxStore(Protocol):
    """The sender's view of the stored calls."""

    async def claim_heads(self, now: datetime, lease_until: datetime, limit: int, busy_lanes: frozenset[str],
                          delivered: Sequence[tuple[OutboundCall, str | None]] = ()) -> list[OutboundCall]:
        """In one transaction: record `delivered` (call, ts) as sent, then lease the oldest pending call of each lane with no earlier call pending (not `busy_lanes`);
        a notice that leads its group goes out with the notices of that group waiting in its lane (merged)."""
        ...

    async def anchor_ts(self, team_id: str, anchor: str) -> str | None:
        """The ts Slack gave the anchored message, once it was sent."""
        ...

    async def sent(self, call: OutboundCall, ts: str | None, now: datetime) -> None:
        """Record delivery (and remember the anchor's ts)."""
        ...

    async def retry(self, call: OutboundCall, at: datetime, error: str, uncertain: bool) -> None:
        """Release the call to be tried again at `at`."""
        ...

    async def release(self, call: OutboundCall) -> None:
        """Give the lease back on a call that was never tried (the next sender takes it at once)."""
        ...

    async def failed(self, call: OutboundCall, error: str, now: datetime) -> None:
        """Give the call up."""
        ...

    async def backlog(self) -> int:
        """Calls not delivered yet."""
        ...


class ChannelNames(Protocol):
    """Channel names resolved to ids, as Slack lists them (cached: one listing serves many calls)."""

    def known(self, team_id: str, channel: str) -> str:
        """The channel's id if it is one or its name is cached, else `channel` as given (never asks Slack)."""
        ...

    async def resolve(self, team_id: str, channel: str) -> str | None:
        """The channel's id, listing the workspace's channels if the name is not cached; None: no such
        channel. Raises LookupError when Slack cannot be asked now."""
        ...

    def forget(self, team_id: str, channel: str) -> bool:
        """Drop a cached name whose id Slack no longer knows; True if it was cached."""
        ...


class SlackTransport(Protocol):
    """One Web API call, classified."""

    async def deliver(self, call: OutboundCall) -> Attempt:
        """Make the call once; never raises for Slack or network failures."""
        ...

    async def find_posted(self, call: OutboundCall) -> str | None:
        """The ts of the message this call already posted (looked up by its metadata), if any."""
        ...
