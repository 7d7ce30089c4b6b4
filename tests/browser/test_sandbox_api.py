"""The sandbox without a browser: its page, its API acting as people, its feed and its banners."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError

from bot.sandbox import Sandbox, start_sandbox
from bot.standin import contract
from bot.standin.nospec import NOTICE
from tests.browser.conftest import QUIET

ADA, BEN = "UADA", "UBEN"


async def _act(sandbox: Sandbox, verb: str, person: str, **body: Any) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, \
            session.post(f"{sandbox.url}api/{verb}", json={"as": person, **body}) as resp:
        reply = await resp.json()
        assert resp.status == 200, reply
        return reply


async def _until(sandbox: Sandbox, ready: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    """Wait, change by change (no sleeps), until ``ready()`` is truthy; return what it gave."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (found := ready()):
        if loop.time() >= deadline:
            raise AssertionError(f"{what} within {timeout}s")
        await sandbox.live.wait_past(sandbox.live.revision, deadline - loop.time())
    return found


def _channel(sandbox: Sandbox, name: str) -> dict[str, Any] | None:
    return sandbox.fake.channel_by_name(name)


async def _declared(sandbox: Sandbox) -> tuple[str, dict[str, Any]]:
    await _act(sandbox, "type", ADA, channel="CGENERAL", text="/incident declare sev1 Imports failing")
    channel = await _until(sandbox, lambda: _channel(sandbox, "inc-1-imports-failing"), "no channel")
    card = await _until(sandbox, lambda: next((m for m in channel["messages"] if m.get("blocks")), None),
                        "no card")
    return channel["id"], card


def _mine(sandbox: Sandbox, person: str, text: str) -> list[dict[str, Any]]:
    return [e for e in sandbox.live.ephemerals if e["user"] == person and text in e["text"]]


async def test_the_page_and_its_scripts_come_from_the_package_with_no_remote_assets(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session:
        pages = {}
        for path in ("", "static/sandbox.js", "static/blockkit.js", "static/sandbox.css"):
            async with session.get(sandbox.url + path) as resp:
                assert resp.status == 200, path
                pages[path] = await resp.text()
    assert '<script src="/static/sandbox.js">' in pages[""]
    assert not re.search(r"""(src|href)=["']https?://""", pages[""])
    assert "@import" not in pages["static/sandbox.css"] and "url(http" not in pages["static/sandbox.css"]


async def test_the_workspace_has_the_demo_people_and_every_channel_the_policy_names(sandbox: Sandbox) -> None:
    snapshot = sandbox.live.snapshot()
    assert [p["name"] for p in snapshot["people"]] == ["ada", "ben", "cleo"]
    names = {c["name"] for c in snapshot["channels"]}
    assert {"general", "incidents", "oncall-sre", "leadership"} <= names
    assert [c["command"] for c in snapshot["commands"]] == ["/incident"]


async def test_a_slash_command_from_the_composer_declares_and_answers_only_the_declarer(sandbox: Sandbox) -> None:
    _, card = await _declared(sandbox)
    assert card["blocks"][0]["text"]["text"] == "INC-1: Imports failing"
    await _until(sandbox, lambda: _mine(sandbox, ADA, "INC-1 declared"), "no ephemeral confirmation")
    assert not [e for e in sandbox.live.ephemerals if e["user"] != ADA]
    assert sandbox.fake.violations == []


async def test_a_second_person_is_refused_the_commander_role_and_only_they_see_why(sandbox: Sandbox) -> None:
    channel, card = await _declared(sandbox)
    roles = next(i for i, b in enumerate(card["blocks"]) if b.get("block_id") == "card_roles")
    await _act(sandbox, "click", ADA, where={"channel": channel, "ts": card["ts"]}, block=roles, element=0,
               choice=ADA)
    await _until(sandbox, lambda: f"<@{ADA}>" in json.dumps(card["blocks"]), "the card never named Ada")
    await _act(sandbox, "click", BEN, where={"channel": channel, "ts": card["ts"]}, block=roles, element=0,
               choice=BEN)
    refusal = await _until(sandbox, lambda: [e for e in sandbox.live.ephemerals
                                             if e["user"] == BEN and e["channel"] == channel], "no refusal")
    assert "commander" in refusal[0]["text"].lower()
    assert f"<@{ADA}>" in json.dumps(card["blocks"]) and f"<@{BEN}>" not in json.dumps(card["blocks"])


async def test_a_modal_shows_the_bots_inline_error_and_closes_once_fixed(sandbox: Sandbox) -> None:
    channel, card = await _declared(sandbox)
    await _act(sandbox, "type", ADA, channel=channel, text="/incident resolve")
    stack = await _until(sandbox, lambda: sandbox.live.modals.get(ADA), "no modal opened for Ada")
    view_id = stack[-1]
    await _act(sandbox, "submit", ADA, view_id=view_id, values={"0": ""})
    assert sandbox.live.view_errors[view_id] == {"resolve_resolution": "Say how the incident was resolved."}
    assert sandbox.live.modals[ADA] == [view_id]
    await _act(sandbox, "submit", ADA, view_id=view_id, values={"0": "Rolled back"})
    assert sandbox.live.modals[ADA] == []
    await _until(sandbox, lambda: "Resolved" in json.dumps(card["blocks"]), "the card never said Resolved")


async def test_a_pushpin_reaction_from_the_message_menu_reaches_the_bot_timeline(sandbox: Sandbox) -> None:
    channel, _ = await _declared(sandbox)
    await _act(sandbox, "type", BEN, channel=channel, text="CSV importer throws 500s since 14:02")
    message = next(m for m in sandbox.fake.messages(channel) if m.get("user") == BEN)
    await _act(sandbox, "react", BEN, channel=channel, ts=message["ts"], name="pushpin")
    assert message["reactions"] == [{"name": "pushpin", "users": [BEN], "count": 1}]
    warroom = sandbox.bot.warroom
    assert await warroom.surface.in_flight.wait_idle(10), "the bot is still handling the reaction"
    incident = await warroom.incidents.for_channel(sandbox.fake.state.team_id, channel)
    entries = await warroom.incidents.timeline(sandbox.fake.state.team_id, incident.id)  # type: ignore[arg-type]
    assert any("CSV importer throws 500s" in e.text for e in entries)


async def test_the_feed_streams_a_fresh_snapshot_after_each_change(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as session, session.get(sandbox.url + "api/feed") as feed:
        async def next_snapshot() -> dict[str, Any]:
            while True:
                line = (await feed.content.readline()).decode()
                if line.startswith("data: "):
                    return json.loads(line[len("data: "):])
        first = await next_snapshot()
        await _act(sandbox, "type", ADA, channel="CGENERAL", text="hello from the sandbox")
        second = await next_snapshot()
        while not any(m.get("text") == "hello from the sandbox" for m in second["messages"]["CGENERAL"]):
            second = await next_snapshot()
    assert second["revision"] > first["revision"]


async def test_a_contract_violation_by_the_bot_becomes_a_banner(sandbox: Sandbox) -> None:
    client = sandbox.bot.warroom.client  # as the bot would, with a header longer than Slack allows
    with pytest.raises(SlackApiError, match="invalid_blocks"):  # refused, as Slack would
        await client.api_call("chat.postMessage", json={"channel": "CGENERAL", "text": "x", "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]})
    banners = await _until(sandbox, lambda: sandbox.live.banners, "no banner")
    assert banners[0].startswith("chat.postMessage:") and "151 chars (max 150)" in banners[0]


async def test_without_slacks_spec_the_sandbox_still_starts_and_says_its_checks_are_limited(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(contract.ENV_VAR, str(tmp_path / "no-shared-slack"))
    monkeypatch.setattr(contract, "_SPEC", None)
    sandbox = await start_sandbox(tmp_path / "sandbox", port=0, environ=QUIET)
    try:
        assert sandbox.live.banners == [NOTICE]
        await _declared(sandbox)
        assert sandbox.fake.violations == []
    finally:
        await sandbox.close()
