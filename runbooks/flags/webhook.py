"""Feature flags in any system that implements this small HTTP contract (a webhook provider).

A team whose flags live somewhere Warroom does not know serves two routes under one base URL
(`url` below); `{flag}` is the flag name, percent-encoded as a path segment:

    GET {url}/{flag}
        200  {"value": <true|false|number|string|null>}     the flag's current value
        404                                                  the flag does not exist (Warroom: None)

    PUT {url}/{flag}          Content-Type: application/json
        body {"value": <true|false|number|string>}
        200  {"previous": <the value before the change, or null when the flag was new>}

Any other status is an error: Warroom shows the status and the response's "error" or "message"
field to the responder, so make it say what to do. Answer within 10 seconds.

When the provider has a secret, every request (GET too) is signed, like Slack's requests:

    X-Warroom-Timestamp: <unix time in seconds>
    X-Warroom-Signature: v1=<hex HMAC-SHA256 of the base string, keyed with the secret>
    base string = "v1:" + timestamp + ":" + METHOD + ":" + flag + ":" + body

where METHOD is GET or PUT, flag is the decoded flag name from the path, and body is the exact
request body (empty for GET). The receiver recomputes the signature, compares it in constant time
(`hmac.compare_digest`), and rejects requests whose timestamp is more than 5 minutes from its
clock (401). Signing the method and the flag stops a captured request being replayed at another
flag.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp

from bot.domain.errors import FlagProviderError
from bot.domain.runbook import FlagValue

SIGNATURE_HEADER = "X-Warroom-Signature"
TIMESTAMP_HEADER = "X-Warroom-Timestamp"
_TIMEOUT = aiohttp.ClientTimeout(total=10)


def signature(secret: str, timestamp: str, method: str, flag: str, body: bytes) -> str:
    """The X-Warroom-Signature header value for one request."""
    base = b"v1:" + f"{timestamp}:{method.upper()}:{flag}:".encode() + body
    return "v1=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class WebhookFlagProvider:
    """Reads and sets flags through a team's own HTTP endpoint (see the module docstring)."""

    def __init__(self, name: str, url: str, secret: str | None = None) -> None:
        self.name = name
        self.url = url.rstrip("/")
        self._secret = secret
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"WebhookFlagProvider(name={self.name!r}, url={_shown(self.url)!r}, signed={self._secret is not None})"

    async def get(self, flag: str) -> FlagValue:
        """The value the endpoint reports (None on 404)."""
        status, body = await self._call("GET", flag, b"")
        if status == 404:
            return None
        self._raise_unless_ok(status, body, flag, "read")
        return self._field(body, "value", flag)

    async def set(self, flag: str, value: FlagValue) -> FlagValue:
        """PUT the new value; returns the "previous" value the endpoint reports."""
        try:
            payload = json.dumps({"value": value}, separators=(",", ":"), allow_nan=False).encode()
        except ValueError as exc:
            raise FlagProviderError(f"{self.name}: {flag} cannot be set to {value!r}: JSON has no such value") from exc
        status, body = await self._call("PUT", flag, payload)
        self._raise_unless_ok(status, body, flag, "set")
        return self._field(body, "previous", flag)

    async def close(self) -> None:
        """Close the HTTP session (the provider can still be used: it opens a new one)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, flag: str, body: bytes) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        if body:
            headers["Content-Type"] = "application/json"
        if self._secret is not None:
            timestamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = signature(self._secret, timestamp, method, flag, body)
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=_TIMEOUT)
        url = f"{self.url}/{quote(flag, safe='')}"
        try:
            async with self._session.request(method, url, data=body or None, headers=headers) as response:
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise FlagProviderError(
                f"{self.name}: cannot reach the flag webhook at {_shown(self.url)} for {flag} "
                f"({type(exc).__name__}); check the URL and that the service is up"
            ) from exc
        try:
            return response.status, json.loads(text) if text else None
        except ValueError:
            return response.status, text

    def _raise_unless_ok(self, status: int, body: Any, flag: str, doing: str) -> None:
        if status == 200:
            return
        message = (body.get("error") or body.get("message")) if isinstance(body, dict) else body
        raise FlagProviderError(
            f"{self.name}: the flag webhook refused to {doing} {flag} (HTTP {status}): "
            f"{str(message or 'no message')[:300]}"
        )

    def _field(self, body: Any, key: str, flag: str) -> FlagValue:
        if isinstance(body, dict) and key in body:
            value = body[key]
            if value is None or isinstance(value, bool | int | float | str):
                return value
        raise FlagProviderError(
            f"{self.name}: the flag webhook answered {flag} with {str(body)[:200]!r}; "
            f'it must answer {{"{key}": <true|false|number|string|null>}} (see the webhook contract)'
        )


def _shown(url: str) -> str:
    """The URL without credentials or query string, which may hold secrets."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
