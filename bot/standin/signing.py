"""Slack request signing (v0), as Slack does it when it calls the bot.

The fake signs every request it sends to the bot exactly like Slack:
``v0=`` + hex(HMAC-SHA256(signing_secret, "v0:{timestamp}:{raw body}")).
"""

from __future__ import annotations

import hashlib
import hmac
import time

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _as_text(body: str | bytes) -> str:
    return body.decode("utf-8") if isinstance(body, bytes) else body


def sign(secret: str, timestamp: str | int, body: str | bytes) -> str:
    """Return Slack's ``X-Slack-Signature`` value ("v0=<hex>") for a raw request body."""
    base = f"v0:{timestamp}:{_as_text(body)}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def signed_headers(
    secret: str, body: str | bytes, timestamp: str | int | None = None
) -> dict[str, str]:
    """Headers Slack sends with a request: signature, timestamp and Content-Type.

    Slash commands and interactivity payloads are form-encoded (their body never starts
    with "{"); Events API callbacks are JSON.  The timestamp defaults to now, so the bot's
    5-minute replay window accepts it.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    text = _as_text(body)
    content_type = JSON if text.lstrip().startswith("{") else FORM
    return {
        "X-Slack-Signature": sign(secret, ts, text),
        "X-Slack-Request-Timestamp": ts,
        "Content-Type": content_type,
    }
