"""The review as Slack shows it: Block Kit within Slack's limits, people by name, no Markdown syntax."""

from __future__ import annotations

import dataclasses
import json
import re

from bot.domain.incident import TimelineKind
from bot.services.review import review_context
from bot.standin.blocks import check_blocks
from handlers.review_blocks import review_messages
from tests.unit.test_review import DATA, PERMALINK, entry, utc


def _text(messages: list[list[dict]]) -> str:
    return json.dumps(messages, ensure_ascii=False)


def test_the_review_reads_as_slack_headers_fields_and_lists() -> None:
    [blocks] = review_messages(review_context(DATA))
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text",
                                                    "text": "INC-42: Imports failing — post-incident review"}}
    fields = [f["text"] for f in blocks[1]["fields"]]
    assert "*Declared by*\nAna Lopez" in fields and "*Severity*\nSEV1 (Major)" in fields
    headers = [b["text"]["text"] for b in blocks[2:] if b["type"] == "header"]
    assert headers == ["Summary", "Impact", "Root cause", "Timeline", "Durations", "Roles and handovers",
                       "Actions taken", "Follow-ups"]
    text = _text([blocks])
    assert f"• *2026-11-22 14:02 CET* · Bo Chen · _note_ — Error rate on imports at 40% <{PERMALINK}|message>" in text
    assert ":arrows_counterclockwise: *Handover* — *Incident commander*: Cy Diaz" in text
    assert check_blocks(blocks) == []


def test_no_markdown_table_link_or_bare_mention_reaches_slack() -> None:
    mention = entry(6, utc(13, 10), TimelineKind.CHANGE, "<@U3> took over as incident commander (was <@U1>)", "U1")
    text = _text(review_messages(review_context(dataclasses.replace(DATA, timeline=[*DATA.timeline, mention]))))
    assert not re.search(r"\|\s*-{3}", text) and "| Field |" not in text, "no Markdown table"
    assert "](" not in text, "no Markdown link"
    assert "<@U" not in text and "@U" not in text
    assert "Cy Diaz took over as incident commander (was Ana Lopez)" in text


def test_user_text_is_escaped_for_mrkdwn() -> None:
    sneaky = entry(6, utc(13, 10), TimelineKind.NOTE, "Ping <!channel> & see <https://evil.example|bank>", "U2")
    title = DATA.incident.with_changes(resolution="Fixed <b>it</b> & moved on")
    text = _text(review_messages(review_context(dataclasses.replace(DATA, incident=title, timeline=[sneaky]))))
    assert "Fixed &lt;b&gt;it&lt;/b&gt; &amp; moved on" in text
    assert "Ping @channel &amp; see bank (https://evil.example)" in text
    assert "<!channel>" not in text and "<https://evil" not in text


def test_a_long_review_is_split_within_block_kits_limits_and_keeps_every_entry() -> None:
    entries = [entry(i, utc(13, 0), TimelineKind.NOTE, f"note {i} " + "x" * 400, "U2") for i in range(600)]
    huge = entry(9999, utc(13, 1), TimelineKind.NOTE, "yq " * 4000, "U2")
    long_title = DATA.incident.with_changes(title="T" * 300, resolution="z" * 7000)
    data = dataclasses.replace(DATA, incident=long_title, timeline=[*entries, huge])
    messages = review_messages(review_context(data))
    assert len(messages) > 1
    for blocks in messages:
        assert len(blocks) <= 50 and check_blocks(blocks) == []
    text = _text(messages)
    assert all(f"note {i} " in text for i in range(600))
    assert text.count("yq") == 4000 and text.count("z") >= 7000
