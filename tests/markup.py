"""What Slack would make of outgoing text: the live special mentions and disguised links in it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

# A special mention that notifies a whole channel or workspace, and a link whose label is not its address.
_SPECIAL = re.compile(r"<!(?:channel|here|everyone)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]*)\|([^>]*)>")
PERMALINKS = "https://fake.slack/archives/"  # Warroom's own links to messages (`view`, `message`)


def slack_escaped(typed: str) -> str:
    """Typed text as Slack sends it in a slash command's `text`."""
    return typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def live_markup(text: str) -> list[str]:
    """The live special mentions and disguised links (a link not to a Slack permalink, with a label) in `text`."""
    links = [m.group(0) for m in _LINK.finditer(text) if not m.group(1).startswith(PERMALINKS)]
    return [*_SPECIAL.findall(text), *links]


def mrkdwn_texts(value: Any) -> Iterator[str]:
    """Every mrkdwn text in blocks or a view (plain_text shows markup as typed: it is never parsed)."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield value["text"]
        for inner in value.values():
            yield from mrkdwn_texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from mrkdwn_texts(inner)


def _blocks(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def outgoing_texts(fake: Any, since_calls: int = 0, since_responses: int = 0) -> list[str]:
    """Every text Slack would parse for markup in the Web API calls and response_url replies since the marks:
    message `text`, mrkdwn in blocks and views, channel topics (files are Markdown: skipped)."""
    found: list[str] = []
    payloads = [c.params for c in fake.calls[since_calls:]] + [r["body"] for r in fake.responses[since_responses:]]
    for params in payloads:
        if not isinstance(params, dict):
            continue
        found += [str(params[k]) for k in ("text", "topic") if params.get(k)]
        found += list(mrkdwn_texts(_blocks(params.get("blocks"))))
        found += list(mrkdwn_texts(_blocks(params.get("view"))))
    return found
