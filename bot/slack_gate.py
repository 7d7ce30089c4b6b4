"""Slack's HTTP requests: read once, bounded, and nothing looks inside a body before its signature is checked.

Anyone can POST to /slack/events. Until the signature says Slack sent it, a request is bytes and two headers:
no parsing, no metrics label taken from it, no log line quoting it.
"""

from __future__ import annotations

import hashlib
import hmac

# Slack's largest payloads (a view of 100 blocks, a message of 50 with its attachments) stay well under this.
MAX_BODY = 1024 * 1024
SKEW_SECONDS = 5 * 60  # Slack's replay window: older (or later) timestamps are refused
SIGNATURE_LENGTH = len("v0=") + 64  # hex of a SHA-256
TIMESTAMP_DIGITS = 12  # seconds since 1970 have 10; more is junk, and int() of thousands of digits is slow


def signature_problem(raw: bytes, timestamp: str | None, signature: str | None, secret: bytes,
                      now: float) -> str | None:
    """None when `raw` was signed with `secret` within Slack's five minutes; otherwise why not, in one fixed word."""
    if not timestamp or not signature:
        return "unsigned"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_DIGITS):
        return "bad_timestamp"
    if abs(now - int(timestamp)) > SKEW_SECONDS:
        return "stale"
    if len(signature) != SIGNATURE_LENGTH or not signature.startswith("v0="):
        return "bad_signature"  # not worth an HMAC over a megabyte
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    # aiohttp decodes header bytes it cannot read as surrogates: encode them back rather than fail on them.
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogateescape")):
        return "bad_signature"
    return None
