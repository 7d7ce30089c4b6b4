"""A person drives an incident through the sandbox page in a real browser, as they would in Slack."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect

from bot.sandbox import Sandbox


async def test_a_sev1_declared_from_the_composer_gets_a_commander_and_is_resolved_through_its_modal(
        sandbox: Sandbox, page: Page, artifacts: Path) -> None:
    await page.goto(sandbox.url)
    composer = page.get_by_label("Message", exact=True)
    await composer.fill("/incident declare sev1 Imports failing")
    await composer.press("Enter")

    channel = page.get_by_role("link", name="# inc-1-imports-failing")
    await expect(channel).to_be_visible()
    declared = page.locator("article.msg.ephemeral", has_text="INC-1 declared")
    await expect(declared).to_contain_text("Only visible to you")
    await channel.click()
    # The header alone: the review posted at resolution has "INC-1: Imports failing — post-incident review".
    card = page.locator("article.msg", has=page.locator(".bk-header", has_text=re.compile(r"^INC-1: Imports failing$")))
    await expect(card).to_be_visible()
    commander = card.locator(".bk-field-cell", has_text="Incident commander")
    await expect(commander).to_contain_text("unassigned")

    await card.get_by_label("Assign incident commander").select_option(label="Ada Lovelace (@ada)")
    await expect(commander).to_contain_text("@ada")

    await composer.fill("CSV importer answers 500 since 14:02, see the *imports* dashboard :eyes:")
    await composer.press("Enter")
    note = page.locator("article.msg", has_text="CSV importer answers 500")
    await expect(note.locator("b", has_text="imports")).to_be_visible()
    await note.hover()
    await note.get_by_role("button", name="Add reaction").click()
    await note.get_by_role("menuitem", name=":pushpin:").click()
    await expect(note.locator(".chip")).to_have_text("📌 1")
    running = artifacts / "sandbox-running-incident.png"
    await page.screenshot(path=str(running))
    print(f"screenshot: {running}")

    await composer.fill("/incident resolve")
    await composer.press("Enter")
    modal = page.get_by_role("dialog", name="Resolve the incident")
    await expect(modal).to_be_visible()
    await modal.get_by_role("button", name="Resolve", exact=True).click()
    await expect(modal.get_by_role("alert").filter(has_text="Say how the incident was resolved.")).to_be_visible()
    await modal.get_by_label("How was it resolved?").fill("Rolled back release 2026.11.3; imports drain.")
    await modal.get_by_role("button", name="Resolve", exact=True).click()
    await expect(modal).to_be_hidden()

    await expect(card.locator(".bk-field-cell", has_text="Status")).to_contain_text("Resolved")
    shot = artifacts / "sandbox-incident.png"
    await page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
    assert sandbox.fake.violations == []
    assert sandbox.live.banners == []
