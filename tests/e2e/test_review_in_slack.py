"""The review people keep: posted in Slack as Block Kit with names, uploaded whole as a Markdown file.

Runs on SQLite and PostgreSQL against the stand-in, which checks every call (the upload flow too).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.outbox import UPLOAD_METHOD, CallState
from bot.standin import FakeSlack
from tests.e2e.harness import Bot, running_bot
from tests.e2e.scenario import People
from tests.fakes.clock import FakeClock

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
NAMES = {"U1": "Ana Lopez", "U2": "Bo Chen", "U3": "Cy Diaz", "U4": "Di Evans"}
FAST = {"WARROOM_SLACK_TIMEOUT_SECONDS": "1", "WARROOM_SLACK_RETRY_SECONDS": "0.1", "WARROOM_CHANNEL_RATE": "20"}


def _people(fake: FakeSlack) -> None:
    for user, name in NAMES.items():  # the names people see in Slack (users.info's profile.display_name)
        fake.add_user(user, name=name.split()[0].lower(), real_name=name)["profile"]["display_name"] = name


@pytest.fixture
async def clocked(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Bot, FakeClock]]:
    _people(fake_slack)
    clock = FakeClock(T0)
    async with running_bot(fake_slack, database_url, tmp_path, clock=clock, env=FAST) as bot:
        yield bot, clock


@pytest.fixture
async def real_time(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> AsyncIterator[Bot]:
    """On the system clock: retries after a 429 or a 5xx fall due in real time."""
    _people(fake_slack)
    async with running_bot(fake_slack, database_url, tmp_path, env=FAST) as bot:
        yield bot


async def _incident_resolved(bot: Bot, clock: FakeClock | None) -> str:
    """INC-1 declared by Ana, Bo commander, a note naming Bo, a follow-up for Di, detected back-filled
    (with a clock to go back to); resolved by Bo."""
    fake = bot.fake

    def advance(minutes: int) -> None:
        if clock is not None:
            clock.advance(minutes=minutes)

    await bot.command("declare sev1 Imports failing", user_id="U1")
    await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    channel = str(fake.calls_to("conversations.create")[0].response["channel"]["id"])
    advance(2)
    await bot.command("role commander <@U2|bo>", user_id="U1", channel_id=channel)
    advance(3)
    await bot.command("note decision: <@U2|bo> rolls back release 4.2 &amp; watches the queue", user_id="U3", channel_id=channel)
    advance(5)
    await bot.command("followup Alert on import queue depth <@U4|di>", user_id="U2", channel_id=channel)
    if clock is not None:  # a time before the declaration (on the system clock, 13:52 may be to come)
        await bot.command("milestone detected 13:52", user_id="U2", channel_id=channel)
    await bot.settled()
    advance(20)
    await bot.command("resolve", user_id="U2", channel_id=channel)
    [opened] = await fake.wait_for("views.open")
    await People(bot).submit_resolution("U2", opened.params["view"], "Rolled back release 4.2",
                                        "CSV imports failed for 30 minutes", "Worker memory limit too low")
    await fake.wait_for("files.completeUploadExternal", timeout=15)
    await bot.settled(timeout=30)
    return channel


async def _assert_all_delivered(bot: Bot) -> None:
    """Nothing pending or failed; every post and the upload sent (card updates may be superseded by later ones)."""
    calls = await bot.warroom.outbox_store.calls(bot.fake.state.team_id)
    assert {state for _, state in calls} <= {CallState.SENT, CallState.SUPERSEDED}, calls
    posts = [state for call, state in calls if call.posts]
    assert posts and set(posts) == {CallState.SENT}
    assert [call.method for call, _ in calls].count(UPLOAD_METHOD) == 1


async def _markdown(bot: Bot) -> str:
    team = bot.fake.state.team_id
    incident = await bot.warroom.services.reviews.find(team, "INC-1")
    return await bot.warroom.services.reviews.render(team, incident.id, "md")  # type: ignore[arg-type]


async def test_the_review_posted_in_slack_has_names_and_no_markdown_and_the_file_is_uploaded(
        clocked: tuple[Bot, FakeClock]) -> None:
    bot, clock = clocked
    fake = bot.fake
    channel = await _incident_resolved(bot, clock)

    posted = [m for m in fake.messages(channel) if m.get("text", "").startswith("INC-1 post-incident review")]
    assert posted, "the review was posted in the channel"
    blocks = [b for m in posted for b in m["blocks"]]
    text = json.dumps(blocks, ensure_ascii=False)
    assert blocks[0]["type"] == "header" and any(b.get("fields") for b in blocks), "headers and fields, not one blob"
    assert all(b["type"] != "markdown" for b in blocks)
    for name in NAMES.values():
        assert name in text, name
    assert "Bo Chen rolls back release 4.2 &amp; watches the queue" in text
    assert not re.search(r"\|\s*:?-{3,}", text) and "| Field |" not in text, "no Markdown table"
    assert "](" not in text, "no Markdown link"
    assert "<@U" not in text and "@U" not in text, "no bare user id"

    # The whole review went up as a file, after the messages, and is what `warroom export` prints.
    [upload] = fake.calls_to("files.completeUploadExternal")
    assert upload.params["channel_id"] == channel
    [stored] = [f for f in fake.state.files.values() if f["shared"]]
    markdown = await _markdown(bot)
    assert stored["content"].decode("utf-8") == markdown
    assert stored["name"] == "INC-1-review.md" and stored["title"] == "INC-1 post-incident review"
    assert markdown.startswith("# INC-1: Imports failing") and "| Declared by | Ana Lopez |" in markdown
    assert "@U" not in markdown and "<@" not in markdown
    shared = [n for n, m in enumerate(fake.messages(channel)) if m.get("files")]
    last_review = max(n for n, m in enumerate(fake.messages(channel)) if m in posted)
    assert len(shared) == 1 and shared[0] > last_review, "one file message, after the review messages"

    # The timeline is in the order things happened: the back-filled detection comes first.
    timeline = markdown.split("## Timeline\n", 1)[1].split("\n## ", 1)[0]
    bullets = [line for line in timeline.splitlines() if line.startswith("- ")]
    assert "Milestone detected (back-filled)" in bullets[0] and "Declared SEV1" in bullets[1]

    # Every Slack call the review caused was delivered, and each name was asked of Slack once.
    await _assert_all_delivered(bot)
    asked = Counter(str(c.params.get("user")) for c in fake.calls_to("users.info"))
    assert set(asked) >= set(NAMES) and max(asked.values()) == 1


async def test_a_lost_answer_to_the_upload_is_looked_up_not_shared_twice(real_time: Bot) -> None:
    bot = real_time
    fake = bot.fake
    fake.fail_next("files.getUploadURLExternal", status=429, retry_after=1, times=1)
    fake.fail_next("files.completeUploadExternal", status=500, error="internal_error", times=1, applied=True)
    channel = await _incident_resolved(bot, None)

    statuses = Counter((c.method, c.status) for c in fake.calls)
    assert statuses[("files.getUploadURLExternal", 429)] == 1 and statuses[("files.completeUploadExternal", 500)] == 1
    assert len([m for m in fake.messages(channel) if m.get("files")]) == 1, "shared once"
    assert len([f for f in fake.state.files.values() if f["shared"]]) == 1
    await _assert_all_delivered(bot)
