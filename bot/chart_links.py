"""Signed, expiring links to the KPI charts the web server draws (App Home's image blocks).

Slack fetches an image block's URL without any cookie or header of ours, so the link itself carries the proof:
HMAC-SHA256 over the workspace, the period and the expiry. The key is derived from the Slack signing secret
(the bot token in Socket Mode, which needs no signing secret) under a label of its own, so a link's signature
never reveals, and cannot be used as, the secret it comes from.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Self
from urllib.parse import urlencode

from bot.settings import Settings

CHART_PATH = "/charts/kpis.png"
LIFETIME = timedelta(hours=24)  # after the period's end (the next full hour): a day's worth of Home opens
LABEL = b"warroom chart links v1"


@dataclass(frozen=True)
class ChartRequest:
    """What a valid link asks for: one workspace's weekly chart of [since, until)."""

    team_id: str
    since: datetime
    until: datetime


class ChartLinks:
    """Makes and checks chart links; without a public URL it makes none (App Home shows the text twin)."""

    def __init__(self, server_secret: bytes, public_url: str | None) -> None:
        self._key = hmac.new(server_secret, LABEL, hashlib.sha256).digest()
        self.public_url = public_url.rstrip("/") if public_url else None

    @classmethod
    def for_settings(cls, settings: Settings) -> Self:
        """Links signed under the signing secret (the bot token in Socket Mode, which needs none) to PUBLIC_URL."""
        secret = settings.slack_signing_secret or settings.slack_bot_token
        return cls(secret.get_secret_value().encode() if secret is not None else b"",
                   settings.public_url if settings.public_url_set else None)

    def _sign(self, team_id: str, since: int, until: int, expires: int) -> str:
        message = f"{team_id}\n{since}\n{until}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def url(self, team_id: str, since: datetime, until: datetime) -> str | None:
        """The chart's link, valid until a day after `until`; None without a public URL."""
        if self.public_url is None:
            return None
        start, end = int(since.timestamp()), int(until.timestamp())
        expires = int((until + LIFETIME).timestamp())
        query = {"team": team_id, "since": start, "until": end, "expires": expires,
                 "sig": self._sign(team_id, start, end, expires)}
        return f"{self.public_url}{CHART_PATH}?{urlencode(query)}"

    def check(self, query: Mapping[str, str], now: datetime) -> ChartRequest | None:
        """The request a link makes if its signature is right and it has not expired; None otherwise."""
        try:
            team_id, sig = query["team"], query["sig"]
            since, until, expires = int(query["since"]), int(query["until"]), int(query["expires"])
        except (KeyError, ValueError):
            return None
        if not hmac.compare_digest(sig.encode(), self._sign(team_id, since, until, expires).encode()):
            return None
        if now.timestamp() >= expires or not since < until:
            return None
        return ChartRequest(team_id=team_id, since=datetime.fromtimestamp(since, UTC),
                            until=datetime.fromtimestamp(until, UTC))
