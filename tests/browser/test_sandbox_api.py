"""The sandbox without a browser: its page, its API acting as people, its feed and its banners."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from slack_sdk.errors import SlackApiError

from bot.sandbox import Sandbox, start_sandbox
from bot.sandbox.server import FEEDS
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


async def test_markup_typed_in_the_composer_reaches_the_bot_escaped_as_slack_sends_it_and_stays_text(
    sandbox: Sandbox,
) -> None:
    await _act(sandbox, "type", ADA, channel="CGENERAL", text="/incident declare sev1 R&D &lt;b&gt; <!channel>")
    channel = await _until(sandbox, lambda: next((c for c in sandbox.live.snapshot()["channels"]
                                                  if c["name"].startswith("inc-1-")), None), "no channel")
    channel = sandbox.fake.channel_by_name(channel["name"])
    card = await _until(sandbox, lambda: next((m for m in channel["messages"] if m.get("blocks")), None), "no card")
    # Slack sends `R&amp;D &amp;lt;b&amp;gt; &lt;!channel&gt;` for what was typed; the bot unescapes it
    # once (what was typed, entities included, is the title) and escapes it once on the way out.
    assert card["blocks"][0]["text"]["text"] == "INC-1: R&D &lt;b&gt; <!channel>"  # a header is plain text
    assert "<!channel>" not in json.dumps([b for b in card["blocks"][1:]])
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


async def _snapshots(feed: aiohttp.ClientResponse) -> dict[str, Any]:
    while True:
        line = (await feed.content.readline()).decode()
        if line.startswith("data: "):
            return json.loads(line[len("data: "):])


async def test_the_flags_file_is_seeded_with_the_kill_switches_normal_values_and_the_feed_shows_each_change(
        sandbox: Sandbox, tmp_path: Path) -> None:
    assert sandbox.flags.path == (tmp_path / "sandbox" / "flags.yaml").resolve()  # in its data directory
    seeded = yaml.safe_load(sandbox.flags.path.read_text())
    assert seeded["AGENT_SAFE_MODE"] == 0 and seeded["FEATURE_IMPORTS"] is True
    assert dict(sandbox.bot.warroom.providers) == {"sandbox": sandbox.flags}
    async with aiohttp.ClientSession() as session, session.get(sandbox.url + "api/feed") as feed:
        first = await _snapshots(feed)
        assert first["flags"]["values"]["AGENT_SAFE_MODE"] == 0
        assert await sandbox.flags.set("AGENT_SAFE_MODE", 1) == 0
        second = await _snapshots(feed)
    assert second["flags"]["values"]["AGENT_SAFE_MODE"] == 1
    assert yaml.safe_load(sandbox.flags.path.read_text())["AGENT_SAFE_MODE"] == 1


async def test_the_providers_warroom_yaml_names_are_the_sandbox_file_so_nothing_real_is_flipped(tmp_path: Path) -> None:
    config = tmp_path / "warroom.yaml"
    config.write_text("flag_providers:\n"
                      "  unleash: {type: unleash, url: https://unleash.example.com, token_env: UNLEASH_TOKEN}\n")
    sandbox = await start_sandbox(tmp_path / "sandbox", port=0, environ={**QUIET, "WARROOM_CONFIG": str(config)})
    try:
        providers = sandbox.bot.warroom.providers
        assert set(providers) == {"sandbox", "unleash"}  # built without the unset UNLEASH_TOKEN
        assert all(p is sandbox.flags for p in providers.values())
    finally:
        await sandbox.close()
    again = await start_sandbox(tmp_path / "sandbox", port=0, environ=QUIET)
    try:
        await again.flags.set("AGENT_SAFE_MODE", 1)
    finally:
        await again.close()
    restarted = await start_sandbox(tmp_path / "sandbox", port=0, environ=QUIET)
    try:
        assert await restarted.flags.get("AGENT_SAFE_MODE") == 1  # a restart keeps the values, like the database
    finally:
        await restarted.close()


async def test_a_closed_tab_ends_its_feed_without_an_error(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    feeds = sandbox.page.app[FEEDS]  # type: ignore[index]
    async with aiohttp.ClientSession() as session:
        feed = await session.get(sandbox.url + "api/feed")
        await _snapshots(feed)
        [serving] = list(feeds)
        feed.close()  # as a browser does when the tab closes
    with caplog.at_level(logging.ERROR):
        await _act(sandbox, "type", ADA, channel="CGENERAL", text="anyone there?")  # the feed has news to send
        done, _ = await asyncio.wait([serving], timeout=10)
    assert done == {serving} and serving.exception() is None
    assert feeds == set()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_on_a_busy_port_the_cli_says_so_in_one_line_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "bot", "sandbox", "--port", str(port),
                               "--dir", str(tmp_path / "data")],
                              capture_output=True, text=True, timeout=60, env={**os.environ, **QUIET}, check=False)
    assert done.returncode == 2
    line = f"warroom: cannot open the sandbox on port {port}: it is in use; stop what uses it or choose another with --port"
    assert done.stderr.splitlines() == [line]
    assert done.stdout == ""
    assert not (tmp_path / "data").exists()
