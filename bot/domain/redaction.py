"""Redaction of secrets and restricted values in text (logs, errors, command output), as a pure function.

Three kinds of things are replaced by ``[redacted]``:

- credentials recognisable by their shape: Slack tokens, Slack webhook URLs, bearer tokens,
  ``password=...``-style assignments and the password in a ``scheme://user:password@host`` URL;
- known secret values (the bot's own tokens, signing secret, database password, flag-provider
  tokens...), also in their URL-encoded and JSON-escaped forms;
- restricted values matched by configured patterns (bank account numbers, payer identifiers, raw
  CSV rows: see ``redaction.restricted_patterns`` in warroom.example.yaml).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
SLACK_TOKEN = re.compile(r"\bx(?:ox[abposre]|app)-[A-Za-z0-9-]+")
SLACK_WEBHOOK = re.compile(r"https?(?::|%3A)(?://|%2F%2F)hooks\.slack\.com[^\s\"'<>]*", re.IGNORECASE)
CREDENTIAL = re.compile(
    r"(?i)\b(bearer\s+|(?:token|authorization|api[_-]?key|password|passwd|secret)[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)"
    r"([A-Za-z0-9._~+/=-]{8,})"
)
URL_PASSWORD = re.compile(r"(?<=://)([^/\s:@\"']+):([^/\s@\"']+)@")
MIN_SECRET_LENGTH = 6


def compile_patterns(patterns: Mapping[str, str]) -> dict[str, re.Pattern[str]]:
    """Compile named restricted patterns; a bad one raises ValueError naming it."""
    compiled: dict[str, re.Pattern[str]] = {}
    for name, pattern in patterns.items():
        try:
            compiled[name] = re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise ValueError(f"{name}: not a valid regular expression ({exc})") from None
        if compiled[name].search(""):
            raise ValueError(f"{name}: the pattern matches empty text, so it would redact nothing useful")
    return compiled


def _forms(secret: str) -> set[str]:
    """A secret as written, URL-encoded (both ways) and JSON-escaped."""
    return {secret, quote(secret, safe=""), quote_plus(secret, safe=""), json.dumps(secret)[1:-1]}


class Redactor:
    """Replaces credentials, known secret values and restricted values in text."""

    def __init__(self, secrets: Iterable[str] = (), patterns: Mapping[str, str | re.Pattern[str]] | None = None) -> None:
        forms = {form for s in secrets if s and len(s) >= MIN_SECRET_LENGTH for form in _forms(s)}
        self._secrets = sorted(forms, key=len, reverse=True)
        self._patterns = [p if isinstance(p, re.Pattern) else re.compile(p) for p in (patterns or {}).values()]

    @property
    def longest(self) -> int:
        """The length of the longest known secret (as written or encoded): the most a cut can leave of one."""
        return len(self._secrets[0]) if self._secrets else 0

    @property
    def pattern_count(self) -> int:
        """How many restricted patterns this redactor applies."""
        return len(self._patterns)

    def scrub(self, text: str) -> str:
        """Return `text` with every secret and restricted value replaced."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        text = SLACK_WEBHOOK.sub(REDACTED, SLACK_TOKEN.sub(REDACTED, text))
        text = URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)
        text = CREDENTIAL.sub(lambda m: m.group(1) + REDACTED, text)
        for pattern in self._patterns:
            text = pattern.sub(REDACTED, text)
        return text
