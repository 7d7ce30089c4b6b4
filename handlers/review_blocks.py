"""The post-incident review as Block Kit (pure functions): headers, fields, sections and lists.

Built from the fields of `bot.services.review.review_context` (plain text, people by name), never from
the Markdown: Slack shows Markdown tables and `[text](url)` links as raw text. Every piece of user text
is escaped; long content is split into sections of at most 3000 characters and into messages of at
most 50 blocks. The whole review as Markdown goes up as a file next to these messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from handlers.format import clip, escape

SECTION_MAX, FIELD_MAX, HEADER_MAX, BLOCKS_MAX = 3000, 2000, 150, 50
_HEADER_FIELDS = (("Severity", "severity"), ("Status", "status_label"), ("Service", "service"),
                  ("Declared by", "declared_by"), ("Declared at", "declared_at"), ("Resolved at", "resolved_at"),
                  ("Open for", "open_for"))
_PROSE = (("Summary", "resolution", "No resolution summary was given."),
          ("Impact", "impact", "No impact was recorded."),
          ("Root cause", "root_cause", "To be determined in the review meeting."))
Block = dict[str, Any]


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_MAX)}}


def _cut(text: str, limit: int) -> int:
    """Where to cut `text` to fit `limit`: at a line end or space when one is near, never inside `&amp;`."""
    at = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
    if at < limit - 200:
        at = limit
    amp = text.rfind("&", max(0, at - 5), at)
    return amp if amp > 0 and ";" not in text[amp:at] else at


def _sections(lines: Iterable[str]) -> list[Block]:
    """Lines packed into mrkdwn sections of at most 3000 characters; a longer line is split."""
    texts: list[str] = []
    current = ""
    for line in lines:
        pieces = []
        while len(line) > SECTION_MAX:
            at = _cut(line, SECTION_MAX)
            pieces.append(line[:at])
            line = line[at:].lstrip()
        for piece in [*pieces, line]:
            if current.strip() and len(current) + 1 + len(piece) > SECTION_MAX:
                texts.append(current)
                current = ""
            current = f"{current}\n{piece}" if current else piece
    if current.strip():
        texts.append(current)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in texts]


def _item(text: str) -> str:
    """User text as one list item: escaped, continuation lines indented so it reads as one item."""
    return "\n    ".join(escape(text).strip().splitlines()) or "(empty)"


def _timeline(review: Mapping[str, Any]) -> list[str]:
    lines = []
    for e in review["timeline"]:
        link = f" <{e['permalink']}|message>" if e["permalink"] else ""
        lines.append(f"• *{e['time']}* · {escape(e['author'])} · _{e['kind']}_ — {_item(e['text'])}{link}")
    return lines or ["_No timeline entries were recorded._"]


def _roles(review: Mapping[str, Any]) -> list[str]:
    lines = [f"• {':arrows_counterclockwise: *Handover* — ' if r['handover'] else ''}*{escape(r['role_label'])}*: "
             f"{escape(r['holder'])} from {r['since']} to {r['until']} (assigned by {escape(r['assigned_by'])})"
             for r in review["roles"]]
    if lines:
        lines.append(f"Handovers: {len(review['handovers'])}.")
    return lines or ["_No roles were assigned._"]


def _followups(review: Mapping[str, Any]) -> list[str]:
    lines = []
    for f in review["followups"]:
        box = ":white_check_mark:" if f["done"] else ":white_large_square:"
        owner = f"owner {escape(f['owner'])}" if f["owner"] else "no owner yet"
        lines.append(f"{box} {_item(f['text'])} — {owner}")
    return lines or ["_No follow-ups were recorded._"]


def review_blocks(review: Mapping[str, Any]) -> list[Block]:
    """Every block of the review, in reading order (split into messages by `review_messages`)."""
    incident = review["incident"]
    fields = {**incident, "severity": f"{incident['severity']} ({incident['severity_label']})",
              "service": incident["service"].replace("\\|", "|")}
    blocks = [
        _header(f"{incident['ref']}: {incident['title']} — post-incident review"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": clip(f"*{label}*\n{escape(str(fields[key]))}", FIELD_MAX)}
                                       for label, key in _HEADER_FIELDS]},
    ]
    for title, key, missing in _PROSE:
        text = str(incident[key] or "").strip()
        blocks += [_header(title), *_sections(escape(text).splitlines() if text else [f"_{missing}_"])]
    blocks += [_header("Timeline"), {"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"Times are in {escape(review['timezone'])}."}]}, *_sections(_timeline(review))]
    blocks += [_header("Durations"), {"type": "section", "fields": [
        {"type": "mrkdwn", "text": f"*{d['name']} ({d['abbr']})*\n{d['value']}"} for d in review["durations"]]},
        *_sections(f"• {m['label']}: {m['at']}" for m in review["milestones"])]
    blocks += [_header("Roles and handovers"), *_sections(_roles(review))]
    steps = [f"• *{a['time']}* · {escape(a['actor'])} {_item(a['text'])}" for a in review["actions"]]
    blocks += [_header("Actions taken"), *_sections(steps or ["_No runbook steps were run._"])]
    blocks += [_header("Follow-ups"), *_sections(_followups(review))]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
        f"Generated by Warroom at {review['generated_at']}. The whole review is in the Markdown file below."}]})
    return blocks


def review_messages(review: Mapping[str, Any]) -> list[list[Block]]:
    """The review's blocks as messages of at most 50 blocks each."""
    blocks = review_blocks(review)
    return [blocks[i:i + BLOCKS_MAX] for i in range(0, len(blocks), BLOCKS_MAX)]
