"""Slack payloads are trusted only after these checks (a malformed one is a stale button, not a crash)."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.errors import InvalidCommand

STALE = "That button or form is out of date; run the command again."
MAX_COUNT = 2**31 - 1  # ids and pages fit the database's integer columns


def payload_text(payload: Any, *path: str | int) -> str:
    """The non-empty string at `path` in a payload (e.g. "team", "id"); InvalidCommand when there is none."""
    value = payload
    for key in path:
        if isinstance(key, str) and isinstance(value, dict):
            value = value.get(key)
        elif isinstance(key, int) and isinstance(value, list) and 0 <= key < len(value):
            value = value[key]
        else:
            raise InvalidCommand(STALE)
    if not isinstance(value, str) or not value:
        raise InvalidCommand(STALE)
    return value


def count_value(value: Any, default: int) -> int:
    """A whole number from 1 to MAX_COUNT written in ASCII digits (a button value, a page), else `default`."""
    text = value if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_COUNT:
        return int(text)
    return default


def view_metadata(view: Any) -> dict[str, Any]:
    """A modal's private_metadata (JSON Warroom wrote); InvalidCommand when it is not ours."""
    raw = view.get("private_metadata") if isinstance(view, dict) else None
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except (ValueError, RecursionError):
        raise InvalidCommand(STALE) from None
    if not isinstance(data, dict):
        raise InvalidCommand(STALE)
    return data
