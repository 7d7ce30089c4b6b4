"""The AGENT_SAFE_MODE kill switch, end to end in the sandbox page: asked for, approved by a second person, flipped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml
from playwright.async_api import Page, expect

from bot.sandbox import Sandbox

STEP = "Set AGENT_SAFE_MODE=1 via feature flag console"


def _iso(ts: str) -> str:
    """What the page's <time datetime> holds for a Slack ts (JavaScript's toISOString)."""
    return datetime.fromtimestamp(float(ts), UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def test_a_second_person_approves_the_agent_kill_switch_and_the_page_shows_the_flag_flip(
        sandbox: Sandbox, page: Page, artifacts: Path) -> None:
    flags_file = sandbox.flags.path
    assert yaml.safe_load(flags_file.read_text())["AGENT_SAFE_MODE"] == 0  # seeded at its normal value
    await page.goto(sandbox.url)
    flags = page.get_by_role("region", name="Feature flags")
    safe_mode = flags.locator("li.flag", has=page.locator(".flag-name", has_text="AGENT_SAFE_MODE"))
    await expect(safe_mode.locator(".flag-value")).to_have_text("0")
    await expect(flags).to_contain_text(str(flags_file))

    # The page renders an ephemeral reply's mrkdwn as Slack does: *…* next to punctuation is bold. The
    # bot's own "Declaring SEV0: *…*…" is replaced by "INC-1 declared" as soon as the work is done, so a
    # lasting reply of the same shape is shown here instead of racing the bot for it.
    sandbox.live.add_ephemeral("UADA", "CGENERAL", "Declaring SEV0: *Agents posting on their own*…", None, None)
    shaped = page.locator("article.msg.ephemeral", has_text="Declaring SEV0")
    await expect(shaped.locator(".bk-text b")).to_have_text("Agents posting on their own")

    composer = page.get_by_label("Message", exact=True)
    await composer.fill("/incident declare sev0 Agents posting on their own")
    await composer.press("Enter")
    await expect(page.locator("article.msg.ephemeral", has_text="INC-1 declared")).to_be_visible()
    await page.get_by_role("link", name="# inc-1-agents-posting-on-their-own").click()
    card = page.locator("article.msg", has=page.locator(".bk-header", has_text="INC-1: Agents posting on their own"))
    await card.get_by_label("Assign incident commander").select_option(label="Ada Lovelace (@ada)")
    await expect(card.locator(".bk-field-cell", has_text="Incident commander")).to_contain_text("@ada")
    await card.get_by_label("Assign communications lead").select_option(label="Ben Okafor (@ben)")
    await expect(card.locator(".bk-field-cell", has_text="Communications lead")).to_contain_text("@ben")

    await composer.fill("/incident runbook pwa-agent-kill-switch")
    await composer.press("Enter")
    checklist = page.locator("article.msg", has=page.locator(".bk-header", has_text="Agent kill-switch activation"))
    step = checklist.locator(".bk-section", has_text=STEP)
    await step.get_by_role("button", name="Run").click()
    confirm = page.get_by_role("alertdialog", name=f"Run {STEP}")
    await expect(confirm).to_contain_text("Put every agent in safe mode")
    await confirm.get_by_role("button", name="Yes, run").click()
    ask = page.locator("article.msg", has_text="asks to run")
    await expect(ask).to_contain_text(STEP)
    await expect(safe_mode.locator(".flag-value")).to_have_text("0")  # asked, not yet approved

    await page.get_by_label("Acting as").select_option(label="Ben Okafor (@ben) — Backend engineer")
    await ask.get_by_role("button", name="Approve").click()
    await page.get_by_role("alertdialog", name=f"Approve {STEP}").get_by_role("button", name="Yes, approve").click()

    await expect(step).to_contain_text("done")
    await expect(safe_mode.locator(".flag-value")).to_have_text("1")
    await expect(safe_mode).to_have_class("flag changed")
    assert yaml.safe_load(flags_file.read_text())["AGENT_SAFE_MODE"] == 1
    shot = artifacts / "sandbox-kill-switch.png"
    await page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")

    channel = sandbox.fake.channel_by_name("inc-1-agents-posting-on-their-own")
    assert channel is not None
    card_ts = channel["messages"][0]["ts"]
    stamp = card.locator("time")
    await expect(stamp).to_have_attribute("datetime", _iso(card_ts))  # the message's own time, not the page's
    shown = await stamp.text_content()
    await page.reload()
    await page.get_by_role("link", name="# inc-1-agents-posting-on-their-own").click()
    await expect(card.locator("time")).to_have_text(shown or "")
    await expect(safe_mode.locator(".flag-value")).to_have_text("1")
    assert sandbox.fake.violations == []
    assert sandbox.live.banners == []
