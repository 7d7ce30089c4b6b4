"""Nothing internal ever reaches a file of the status page: internal titles and notes, people, private incidents."""

from __future__ import annotations

import pytest

from bot.domain.errors import InvalidCommand
from bot.domain.status_page import PageStatus
from bot.services.updates import Audience
from tests.statuspage.publishing_setup import BYSTANDER, COMMANDER, COMMS, PageSetup

INTERNAL_TITLE = "Zebra-7 pool exhausted on pg-main-3"
INTERNAL_NOTE = "rotated the Quokka-42 credentials on the primary"
PRIVATE_TITLE = "Okapi card data exposure"
PRIVATE_BODY = "Okapi update that must vanish"


def _leaks(page_setup: PageSetup, *secrets: str) -> list[tuple[str, str]]:
    return [(path, secret) for path, text in page_setup.files().items() for secret in secrets
            if secret.lower() in text.lower()]


async def test_internal_titles_notes_and_people_never_reach_any_file(page_setup: PageSetup) -> None:
    incident = await page_setup.declare(INTERNAL_TITLE)
    channel = incident.channel_id or ""
    await page_setup.services.timeline.note("T1", channel, COMMANDER, f"note: {INTERNAL_NOTE}")
    await page_setup.services.timeline.note("T1", channel, COMMANDER, f"action: {INTERNAL_NOTE}")
    for audience in (Audience.STATUS_PAGE, Audience.RESOLVED):
        form = await page_setup.services.status_page.form("T1", channel, audience)
        assert INTERNAL_TITLE not in form.text and "Quokka" not in form.text
    form = await page_setup.services.status_page.form("T1", channel, Audience.STATUS_PAGE)
    draft = await page_setup.services.status_page.propose("T1", channel, BYSTANDER, body=form.text,
                                                          status=form.status, public_title="Delayed imports")
    await page_setup.services.status_page.publish("T1", draft.id or 0, COMMS)
    await page_setup.services.incidents.change_status("T1", incident.id, COMMANDER, "resolved")
    form = await page_setup.services.status_page.form("T1", channel, Audience.RESOLVED)
    notice = await page_setup.services.status_page.propose("T1", channel, COMMS, body=form.text, status=form.status)
    await page_setup.services.status_page.publish("T1", notice.id or 0, COMMANDER)

    files = page_setup.files()
    assert set(files) >= {"index.html", "history.atom", "history.rss", "api/v2/summary.json"}
    assert "Delayed imports" in files["index.html"] and "Delayed imports" in files["history.atom"]
    assert _leaks(page_setup, INTERNAL_TITLE, "Zebra-7", "Quokka", COMMANDER, COMMS, BYSTANDER, incident.ref,
                  channel) == []


async def test_a_private_incident_never_appears_even_after_it_was_published(page_setup: PageSetup) -> None:
    incident = await page_setup.declare("Card data", service="banksync")
    channel = incident.channel_id or ""
    draft = await page_setup.services.status_page.propose("T1", channel, COMMS, body=PRIVATE_BODY,
                                                          status=PageStatus.INVESTIGATING, public_title=PRIVATE_TITLE)
    await page_setup.services.status_page.publish("T1", draft.id or 0, COMMS)
    assert _leaks(page_setup, PRIVATE_TITLE)  # published: it was on the page

    await page_setup.services.status_page.make_private("T1", channel, COMMANDER)

    assert _leaks(page_setup, PRIVATE_TITLE, PRIVATE_BODY, "Okapi") == []
    assert page_setup.read("api/v2/summary.json")["status"]["indicator"] == "none"
    with pytest.raises(InvalidCommand, match="private"):
        await page_setup.services.status_page.propose("T1", channel, COMMS, body="more", status=PageStatus.MONITORING)
    assert not await page_setup.services.status_page.goes_to_page("T1", channel, Audience.STATUS_PAGE)


async def test_an_incident_made_private_first_can_never_be_published(page_setup: PageSetup) -> None:
    incident = await page_setup.declare("Security review", service="banksync")
    channel = incident.channel_id or ""
    draft = await page_setup.services.status_page.propose("T1", channel, COMMS, body=PRIVATE_BODY,
                                                          status=PageStatus.INVESTIGATING, public_title=PRIVATE_TITLE)
    await page_setup.services.status_page.make_private("T1", channel, COMMS)
    with pytest.raises(InvalidCommand, match="private"):
        await page_setup.services.status_page.publish("T1", draft.id or 0, COMMS)
    assert _leaks(page_setup, PRIVATE_TITLE, PRIVATE_BODY) == []
    assert page_setup.read("api/v2/incidents.json")["incidents"] == []
