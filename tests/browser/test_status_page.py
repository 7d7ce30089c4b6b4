"""The status page end to end: declare, publish an update, resolve with the resolved notice. After each
confirmation the page (in Chromium, screenshots kept) and its JSON show it within a second; axe-core finds no
serious or critical WCAG 2.1 AA violation."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from playwright.async_api import Page, expect

from bot.sandbox import Sandbox
from bot.standin import FakeSlack
from handlers.ids import Action, Block, Field
from tests.browser.axe_check import serious_violations
from tests.e2e.harness import Bot, running_bot

WITHIN = 1.0  # seconds from the confirmation to the page and the JSON showing it
COMMANDER, DRAFTER = "U1", "U2"
INTERNAL_TITLE = "Imports failing on pg-main-3"


def _config(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (tmp_path / "warroom.yaml").write_text(yaml.safe_dump({
        "services": [{"id": "imports", "name": "Import pipeline", "status_component": "Imports"},
                     {"id": "banksync", "status_component": "Bank sync"},
                     {"id": "webapp", "status_component": "Web app"}],
        "status_page": {"dir": str(site), "name": "DepositMatch", "groups": {"Banking": ["Imports", "Bank sync"]}},
    }))
    return site


async def _summary(bot: Bot) -> dict[str, Any]:
    status, text = await bot.get("/status/api/v2/summary.json")
    assert status == 200
    return json.loads(text)


async def _confirm_and_see(bot: Bot, page: Page, preview: Any, channel: str, shown: str, artifacts: Path,
                           shot: str) -> float:
    """Click Publish on `preview`; wait (within WITHIN) until the JSON and the page in Chromium show `shown`."""
    publish = next(e for e in preview.params["blocks"][-1]["elements"] if e["action_id"] == Action.PAGE_PUBLISH)
    started = time.monotonic()
    status, _, _ = await bot.interaction(bot.fake.block_action_payload(COMMANDER, channel, preview.response["ts"],
                                                                       publish))
    assert status == 200
    while shown not in json.dumps(await _summary(bot) | {"all": (await bot.get("/status/api/v2/incidents.json"))[1]}):
        assert time.monotonic() - started < WITHIN, "the JSON did not show the update in time"
    await page.goto(f"{bot.base_url}/status/")
    await expect(page.locator("main")).to_contain_text(shown, timeout=WITHIN * 1000)
    elapsed = time.monotonic() - started
    await page.screenshot(path=str(artifacts / shot), full_page=True)
    assert elapsed < WITHIN, f"{elapsed:.2f} s from the confirmation to the page"
    return elapsed


async def _submit_page_form(bot: Bot, opened: Any, filled: Any, text: str, status: str, title: str | None) -> None:
    view = {**filled.params["view"], "id": opened.response["view"]["id"]}
    values: dict[str, Any] = {
        Block.UPDATE_TEXT: {Field.VALUE: {"type": "plain_text_input", "value": text}},
        Block.PAGE_STATUS: {Field.VALUE: {"type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": status.capitalize()}, "value": status}}}}
    if title is not None:
        values[Block.PUBLIC_TITLE] = {Field.VALUE: {"type": "plain_text_input", "value": title}}
    status_code, body, _ = await bot.interaction(bot.fake.view_submission_payload(DRAFTER, view, values))
    assert status_code == 200 and not body, body


async def test_declare_publish_and_resolve_reach_the_page_within_a_second(
        fake_slack: FakeSlack, tmp_path: Path, page: Page, artifacts: Path) -> None:
    _config(tmp_path)
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'page.db'}", tmp_path) as bot:
        await page.goto(f"{bot.base_url}/status/")  # written when Warroom starts, before anything is published
        await expect(page.locator(".banner")).to_have_text("All Systems Operational")
        assert await serious_violations(page) == []

        await bot.command(f"declare sev1 {INTERNAL_TITLE} --service imports", user_id=COMMANDER)
        await fake_slack.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
        channel = str(fake_slack.calls_to("conversations.create")[0].response["channel"]["id"])

        # An update for the status_page audience: the page's form asks for a public title.
        await bot.command("update status_page", user_id=DRAFTER, channel_id=channel)
        [opened] = await fake_slack.wait_for("views.open")
        [filled] = await fake_slack.wait_for("views.update")
        blocks = {b.get("block_id"): b for b in filled.params["view"]["blocks"]}
        assert Block.PUBLIC_TITLE in blocks and INTERNAL_TITLE not in json.dumps(filled.params["view"])
        draft = blocks[Block.UPDATE_TEXT]["element"]["initial_value"]
        assert draft.startswith("🔴 Service Disruption") and "Next update:" in draft
        await _submit_page_form(bot, opened, filled, draft, "investigating", "Delayed bank statement imports")
        [preview] = await fake_slack.wait_for("chat.postMessage", lambda c: "waiting for confirmation" in
                                              str(c.params.get("text")))
        assert (await _summary(bot))["incidents"] == []  # nothing is published before the confirmation

        timings = {"published": await _confirm_and_see(bot, page, preview, channel, "Delayed bank statement imports",
                                                       artifacts, "status-page-1-investigating.png")}
        await expect(page.locator(".banner")).to_have_text("Major System Outage")
        await expect(page.locator(".incident .next")).to_contain_text("Next update expected by")
        await expect(page.locator(".component", has_text="Imports")).to_contain_text("Major outage")
        assert await serious_violations(page) == []

        # Resolving offers the resolved notice; its form opens with seed 001's template.
        await bot.command("status resolved", user_id=COMMANDER, channel_id=channel)
        [offer] = await fake_slack.wait_for("chat.postMessage", lambda c: "resolved notice" in str(c.params.get("text")))
        button = offer.params["blocks"][-1]["elements"][0]
        await bot.interaction(fake_slack.block_action_payload(COMMANDER, channel, offer.response["ts"], button))
        opened, _ = await fake_slack.wait_for("views.open", count=2)
        filled = (await fake_slack.wait_for("views.update", count=2))[1]
        notice = {b.get("block_id"): b for b in filled.params["view"]["blocks"]}[Block.UPDATE_TEXT]
        text = notice["element"]["initial_value"]
        assert text.startswith("✅ Incident Resolved") and INTERNAL_TITLE not in text
        await _submit_page_form(bot, (await fake_slack.wait_for("views.open", count=2))[1], filled,
                                text.replace("[number]", "About 300 customers"), "resolved", None)
        previews = await fake_slack.wait_for("chat.postMessage", lambda c: "waiting for confirmation" in
                                             str(c.params.get("text")), count=2)
        timings["resolved"] = await _confirm_and_see(bot, page, previews[1], channel, "Incident Resolved", artifacts,
                                                     "status-page-2-resolved.png")
        (artifacts / "status-page-timings.json").write_text(json.dumps(timings))  # seconds, kept with the shots
        await expect(page.locator(".banner")).to_have_text("All Systems Operational")
        await expect(page.locator("#history-h + .incident, #history-h ~ .incident").first).to_contain_text(
            "Delayed bank statement imports")
        assert await serious_violations(page) == []

        unresolved = json.loads((await bot.get("/status/api/v2/incidents/unresolved.json"))[1])
        assert unresolved["incidents"] == []
        status, feed = await bot.get("/status/history.atom")
        assert status == 200 and "Incident Resolved" in feed and INTERNAL_TITLE not in feed
        await bot.settled()
    assert fake_slack.violations == [], "\n".join(fake_slack.violations)


async def test_the_sandbox_writes_and_serves_a_status_page(sandbox: Sandbox, page: Page) -> None:
    base = f"http://127.0.0.1:{sandbox.bot.port}/status/"
    await page.goto(base)
    await expect(page.locator(".banner")).to_have_text("All Systems Operational")
    async with aiohttp.ClientSession() as session, session.get(base + "api/v2/status.json") as resp:
        assert resp.status == 200 and resp.content_type == "application/json"
        assert (await resp.json())["status"] == {"indicator": "none", "description": "All Systems Operational"}
