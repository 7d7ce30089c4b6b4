"""The mixed load's requests: which kind comes next, and the pool of open incidents they target.

Kinds and weights (of the total rate): declare 10 %, note 30 %, click 20 % (half the card's status
select, half a "Take comms/scribe" button), status 20 %, list 20 %. Requests are built when they
are due, from the incidents that are ready then (channel and card seen by the stand-in), so the
bench never assumes a message exists right after an ack.

No request is built to be refused: status changes follow the lifecycle (identified -> monitoring
-> investigating -> ...) on the incident changed least recently, role takes rotate through eight
users, and past `cap` open incidents the oldest is withdrawn from the load and resolved
`SETTLE_SECONDS` later (so nothing still in flight for it lands after the resolution).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.standin import FakeSlack
from handlers.ids import Action, Block

WEIGHTS: dict[str, float] = {"declare": 0.10, "note": 0.30, "click": 0.20, "status": 0.20, "list": 0.20}
KINDS = tuple(WEIGHTS)
STATUS_CYCLE = {"investigating": "identified", "identified": "monitoring", "monitoring": "investigating"}
TAKEN_ROLES = ("comms", "scribe")  # not restricted: anyone may take them
TAKERS = tuple(f"U{n:02d}" for n in range(10, 18))
NOTERS = ("U2", "U3", "U4")
SETTLE_SECONDS = 10.0  # a click sent before withdrawal may be handled seconds later under load


@dataclass
class Incident:
    """An open incident the load may target."""

    number: int
    channel: str
    card_ts: str
    status: str = "investigating"
    status_sent_at: float = 0.0  # time.monotonic() of the last status change sent
    takes: int = 0
    retired_at: float = 0.0


@dataclass
class Request:
    """One request to send: its kind, signed-later form body, and the response_url name."""

    kind: str
    body: str
    reply_name: str


class Pool:
    """Ready incidents (oldest declared first), and those withdrawn and waiting to be resolved."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.ready: list[Incident] = []
        self.retiring: deque[Incident] = deque()
        self.resolved = 0

    def add(self, incident: Incident) -> None:
        incident.status_sent_at = time.monotonic()
        self.ready.append(incident)

    def least_recently_changed(self) -> Incident:
        return min(self.ready, key=lambda i: i.status_sent_at)

    def due_for_resolution(self) -> Incident | None:
        """Withdraw the oldest past the cap; return one withdrawn at least SETTLE_SECONDS ago."""
        now = time.monotonic()
        while len(self.ready) > self.cap:
            oldest = self.ready.pop(0)
            oldest.retired_at = now
            self.retiring.append(oldest)
        if self.retiring and now - self.retiring[0].retired_at >= SETTLE_SECONDS:
            self.resolved += 1
            return self.retiring.popleft()
        return None


class Mix:
    """Builds the next request of a seeded random mix against `pool` (bodies use the stand-in's payloads)."""

    def __init__(self, fake: FakeSlack, pool: Pool, seed: int, tag: str) -> None:
        self.fake, self.pool, self.tag = fake, pool, tag
        self.rng = random.Random(seed)
        self.serial = 0

    def next(self) -> Request:
        """The next request; kinds that need an incident fall back to `list` while none is ready."""
        kind = self.rng.choices(KINDS, weights=[WEIGHTS[k] for k in KINDS])[0]
        if kind == "declare":
            return self.declare()
        self.serial += 1
        if kind == "list" or not self.pool.ready:
            return self._command("list", "list", "CGENERAL", "U1")
        incident = self.rng.choice(self.pool.ready)
        if kind == "note":
            text = f"note Mixed load note {self.serial}: queue depth {self.rng.randint(1, 9999)}"
            return self._command("note", text, incident.channel, NOTERS[self.serial % len(NOTERS)])
        if kind == "status":
            resolving = self.pool.due_for_resolution()
            if resolving is not None:
                return self._command("status", "status resolved", resolving.channel, "U1")
            target = self.pool.least_recently_changed()
            return self._command("status", f"status {self._next_status(target)}", target.channel, "U1")
        if self.serial % 2:
            return self._take_role(incident)
        return self._status_select(self.pool.least_recently_changed())

    def declare(self) -> Request:
        self.serial += 1  # the service must differ from every open incident's: no duplicate prompt
        text = f"declare sev2 Mixed {uuid.uuid4().hex} --service mixed-{self.tag}-{self.serial}"
        return self._command("declare", text, "CGENERAL", "U1")

    def _command(self, kind: str, text: str, channel: str, user: str) -> Request:
        payload = self.fake.command_payload(text=text, user_id=user, channel_id=channel)
        return Request(kind, urlencode(payload), payload["response_url"].rsplit("/", 1)[1])

    def _next_status(self, incident: Incident) -> str:
        incident.status = STATUS_CYCLE[incident.status]
        incident.status_sent_at = time.monotonic()
        return incident.status

    def _click(self, user: str, incident: Incident, action: dict[str, Any]) -> Request:
        payload = self.fake.block_action_payload(user, incident.channel, incident.card_ts, action)
        return Request("click", urlencode({"payload": json.dumps(payload)}),
                       payload["response_url"].rsplit("/", 1)[1])

    def _status_select(self, incident: Incident) -> Request:
        status = self._next_status(incident)
        action = {"type": "static_select", "action_id": Action.CARD_STATUS, "block_id": Block.CARD_ACTIONS,
                  "selected_option": {"value": status, "text": {"type": "plain_text", "text": status.title()}}}
        return self._click("U1", incident, action)

    def _take_role(self, incident: Incident) -> Request:
        role = TAKEN_ROLES[incident.takes % 2]
        user = TAKERS[(incident.takes // 2) % len(TAKERS)]  # never the role's current holder
        incident.takes += 1
        action = {"type": "button", "action_id": f"{Action.TAKE_ROLE}{role}", "block_id": Block.CARD_ROLES,
                  "value": role, "text": {"type": "plain_text", "text": f"Take {role}"}}
        return self._click(user, incident, action)
