"""Redaction of secrets in text (logs, errors, command output), as a pure function."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"
SLACK_TOKEN = re.compile(r"\bx(?:ox[abposr]|app)-[A-Za-z0-9-]+")
SLACK_WEBHOOK = re.compile(r"https://hooks\.slack\.com/[^\s\"']+")
CREDENTIAL = re.compile(
    r"(?i)\b(bearer\s+|(?:token|authorization|api[_-]?key|password|secret)[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)"
    r"([A-Za-z0-9._~+/=-]{8,})"
)


class Redactor:
    """Replaces Slack tokens, webhook URLs, bearer tokens and known secret values."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """Return `text` with every secret replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = SLACK_WEBHOOK.sub(REDACTED, SLACK_TOKEN.sub(REDACTED, text))
        return CREDENTIAL.sub(lambda m: m.group(1) + REDACTED, text)
