"""App Home: `app_home_opened` publishes the viewer's Home tab (their incidents first, their follow-ups, the
last 30 days' KPIs), the same view is not published twice, and the chart's signed link serves a PNG."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp

from bot.standin import FakeSlack
from tests.e2e.harness import SIGNING_SECRET, Bot, running_bot
from tests.fakes.clock import FakeClock

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def _declare(bot: Bot, text: str, number: int, user: str = "U1") -> str:
    await bot.command(text, user_id=user)
    await bot.fake.wait_for_response(lambda r: f"INC-{number} declared" in r["body"].get("text", ""))
    await bot.settled()
    return str(bot.fake.calls_to("conversations.create")[number - 1].response["channel"]["id"])


async def _open_home(bot: Bot, user: str) -> None:
    status, _, _ = await bot.fake.send_event(bot.events_url, SIGNING_SECRET,
                                             {"type": "app_home_opened", "user": user, "tab": "home",
                                              "channel": "D0HOME"})
    assert status == 200
    await bot.settled()


def _published(bot: Bot) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for call in bot.fake.calls_to("views.publish"):
        view = call.params["view"]
        found.append((str(call.params["user_id"]), json.loads(view) if isinstance(view, str) else dict(view)))
    return found


def _texts(view: dict[str, Any]) -> list[str]:
    out = []
    for block in view["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
    return out


async def _scene(bot: Bot, clock: FakeClock) -> None:
    """INC-1 (older: U2 is its scribe, with a follow-up), INC-2 (newer: U2 has no role), a follow-up of U3's."""
    first = await _declare(bot, "declare sev2 Import queue stuck", 1)
    await bot.command("role commander <@U1|ana>", user_id="U1", channel_id=first)
    await bot.command("role scribe <@U2|bo>", user_id="U1", channel_id=first)
    await bot.command("followup Add an alert on import queue depth <@U2|bo>", user_id="U1", channel_id=first)
    await bot.command("followup Rotate the ledger keys <@U3|cy>", user_id="U1", channel_id=first)
    clock.advance(minutes=30)
    await _declare(bot, "declare sev3 Ledger exports slow", 2)
    await bot.settled()


async def test_opening_the_home_tab_publishes_the_viewers_incidents_first_their_followups_and_the_kpis(
        fake_slack: FakeSlack, tmp_path: Path, database_url: str) -> None:
    clock = FakeClock(T0)
    async with running_bot(fake_slack, database_url, tmp_path, clock=clock) as bot:
        await _scene(bot, clock)
        await _open_home(bot, "U2")
        [(user, view)] = _published(bot)
        assert user == "U2" and view["type"] == "home"
        texts = _texts(view)
        incidents = [t for t in texts if t.startswith("*INC-")]
        # INC-2 is newer, but U2 holds a role in INC-1: theirs first
        assert [t.split(" ", 1)[0] for t in incidents] == ["*INC-1*", "*INC-2*"]
        assert "you are scribe" in incidents[0] and "you are" not in incidents[1]
        followups = next(t for t in texts if "Add an alert on import queue depth" in t)
        assert "*INC-1*" in followups and "Rotate the ledger keys" not in json.dumps(view)  # U3's, not U2's
        assert "*Incidents declared*\n2 (2 still open)" in texts
        assert any(t.startswith("*MTTA* median / p90\n0 s") for t in texts)  # INC-1's commander named at once
        assert any(t.startswith("*Runbook coverage*") and "0 of 2" in t for t in texts)
        # No PUBLIC_URL: the chart's text twin, no image
        assert not [b for b in view["blocks"] if b["type"] == "image"]
        assert any("2 incidents over" in t for t in texts)

        await _open_home(bot, "U2")  # nothing changed: Slack still shows that view
        assert len(_published(bot)) == 1
        await bot.command("followup Write the postmortem <@U2|bo>", user_id="U1",
                          channel_id=str(fake_slack.calls_to("conversations.create")[1].response["channel"]["id"]))
        await bot.settled()
        await _open_home(bot, "U2")  # a new follow-up of theirs: published again
        assert len(_published(bot)) == 2 and "Write the postmortem" in json.dumps(_published(bot)[1][1])


async def _get(url: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), await resp.read()


async def test_the_home_chart_is_a_png_behind_a_signed_expiring_link(fake_slack: FakeSlack, tmp_path: Path) -> None:
    clock = FakeClock(T0)
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", tmp_path, clock=clock,
                           env={"PUBLIC_URL": "https://warroom.test"}) as bot:
        await _scene(bot, clock)
        await _open_home(bot, "U2")
        [(_, view)] = _published(bot)
        [image] = [b for b in view["blocks"] if b["type"] == "image"]
        link = urlsplit(image["image_url"])
        assert (link.scheme, link.netloc, link.path) == ("https", "warroom.test", "/charts/kpis.png")
        assert "2 incidents over" in image["alt_text"]
        query = {k: v[0] for k, v in parse_qs(link.query).items()}
        local = f"{bot.base_url}{link.path}"

        status, kind, body = await _get(f"{local}?{link.query}")
        assert (status, kind) == (200, "image/png") and body.startswith(PNG_MAGIC)

        for tampered in ({**query, "team": "T0OTHER"}, {**query, "since": str(int(query["since"]) - 86_400)},
                         {**query, "expires": str(int(query["expires"]) + 86_400)},
                         {**query, "sig": "0" * 64}, {k: v for k, v in query.items() if k != "sig"}):
            status, _, body = await _get(f"{local}?{urlencode(tampered)}")
            assert status == 403 and not body.startswith(PNG_MAGIC), tampered

        clock.advance(hours=26)  # the link lived a day past the period's end (the next full hour)
        status, _, body = await _get(f"{local}?{link.query}")
        assert status == 403 and not body.startswith(PNG_MAGIC)
