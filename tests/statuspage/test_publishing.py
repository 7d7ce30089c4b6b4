"""Publishing to the status page over the real store: a preview, the comms lead's or commander's word, the site."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from bot.domain.errors import InvalidCommand, InvalidInput, PermissionDenied
from bot.domain.status_page import PageStatus
from bot.services.updates import Audience
from store.status_site.writer import builds_dir
from tests.statuspage.publishing_setup import BYSTANDER, COMMANDER, COMMS, PageSetup


async def test_a_draft_is_previewed_and_published_when_the_comms_lead_confirms(page_setup: PageSetup) -> None:
    incident = await page_setup.declare("Imports DB pool exhausted on pg-main-3")
    draft = await page_setup.services.status_page.propose(
        "T1", incident.channel_id or "", BYSTANDER, body="We are investigating delayed imports.",
        status=PageStatus.INVESTIGATING, public_title="Delayed bank statement imports")
    (previewed, confirmers, first), = page_setup.chat.calls("post_preview")  # type: ignore[misc]
    assert previewed.id == draft.id and first and set(confirmers) == {COMMS, COMMANDER}
    assert page_setup.read("api/v2/incidents.json")["incidents"] == []  # nothing published before the word

    page_setup.clock.advance(minutes=1)
    published = await page_setup.services.status_page.publish("T1", draft.id or 0, COMMS)

    summary = page_setup.read("api/v2/summary.json")
    (shown,) = summary["incidents"]
    assert shown["name"] == "Delayed bank statement imports" and shown["status"] == "investigating"
    assert [u["body"] for u in shown["incident_updates"]] == ["We are investigating delayed imports."]
    assert {c["name"]: c["status"] for c in summary["components"]}["Imports"] == "major_outage"
    assert summary["status"]["indicator"] == "critical"
    stored = await page_setup.services.incidents.for_channel("T1", incident.channel_id or "")
    assert stored.last_update_at == published.published_at == page_setup.clock.now()


async def test_only_the_comms_lead_or_commander_may_publish_and_a_refusal_is_audited(page_setup: PageSetup) -> None:
    incident = await page_setup.declare("Imports failing")
    draft = await page_setup.services.status_page.propose(
        "T1", incident.channel_id or "", BYSTANDER, body="Investigating.", status=PageStatus.INVESTIGATING,
        public_title="Delayed imports")
    with pytest.raises(PermissionDenied, match="communications lead"):
        await page_setup.services.status_page.publish("T1", draft.id or 0, BYSTANDER)
    assert page_setup.read("api/v2/incidents.json")["incidents"] == []
    other = await page_setup.services.status_page.propose(
        "T1", incident.channel_id or "", COMMS, body="Another.", status=PageStatus.INVESTIGATING,
        public_title="Delayed imports")
    with pytest.raises(PermissionDenied):  # a bystander may not drop the comms lead's draft either
        await page_setup.services.status_page.discard("T1", other.id or 0, BYSTANDER)
    await page_setup.services.status_page.discard("T1", other.id or 0, COMMS)  # its writer may
    await page_setup.services.status_page.publish("T1", draft.id or 0, COMMANDER)
    with pytest.raises(InvalidCommand, match="already published"):
        await page_setup.services.status_page.publish("T1", draft.id or 0, COMMANDER)
    assert len(page_setup.read("api/v2/incidents.json")["incidents"]) == 1


async def test_the_first_publish_asks_for_a_public_title_that_is_not_the_internal_one(page_setup: PageSetup) -> None:
    incident = await page_setup.declare("Imports failing")
    channel = incident.channel_id or ""
    for title in ("", "  imports   FAILING "):
        with pytest.raises(InvalidInput) as refused:
            await page_setup.services.status_page.propose("T1", channel, COMMS, body="x",
                                                          status=PageStatus.INVESTIGATING, public_title=title)
        assert "public_title" in refused.value.errors
    first = await page_setup.services.status_page.propose("T1", channel, COMMS, body="First.",
                                                          status=PageStatus.INVESTIGATING, public_title="Delays")
    await page_setup.services.status_page.publish("T1", first.id or 0, COMMS)
    form = await page_setup.services.status_page.form("T1", channel, Audience.STATUS_PAGE)
    assert not form.first and form.public_title == "Delays"
    assert "Imports failing" not in form.text and "imports" not in form.text.replace("Imports", "")


async def test_a_severity_that_skips_the_page_keeps_its_updates_in_slack(page_setup: PageSetup) -> None:
    incident = await page_setup.declare("Slow report", severity="sev3")
    channel = incident.channel_id or ""
    assert not await page_setup.services.status_page.goes_to_page("T1", channel, Audience.STATUS_PAGE)
    with pytest.raises(InvalidCommand, match="not published"):
        await page_setup.services.status_page.propose("T1", channel, COMMS, body="x", status=PageStatus.INVESTIGATING,
                                                      public_title="Slow reports")


async def test_an_incident_on_the_page_still_gets_its_resolved_notice_after_a_lowered_severity(
        page_setup: PageSetup) -> None:
    incident = await page_setup.declare("Imports failing")
    channel = incident.channel_id or ""
    draft = await page_setup.services.status_page.propose("T1", channel, COMMS, body="Investigating.",
                                                          status=PageStatus.INVESTIGATING, public_title="Delays")
    await page_setup.services.status_page.publish("T1", draft.id or 0, COMMS)
    await page_setup.services.incidents.change_severity("T1", incident.id, COMMANDER, "sev3")  # skips the page
    assert await page_setup.services.status_page.goes_to_page("T1", channel, Audience.RESOLVED)
    notice = await page_setup.services.status_page.propose("T1", channel, COMMS, body="Resolved.",
                                                           status=PageStatus.RESOLVED)
    await page_setup.services.status_page.publish("T1", notice.id or 0, COMMS)
    assert page_setup.read("api/v2/incidents/unresolved.json")["incidents"] == []


async def test_reminders_count_from_the_last_published_update(page_setup: PageSetup) -> None:
    incident = await page_setup.declare("Imports failing")
    channel = incident.channel_id or ""
    cadence = timedelta(minutes=15)  # SEV1's
    draft = await page_setup.services.status_page.propose("T1", channel, COMMS, body="Investigating.",
                                                          status=PageStatus.INVESTIGATING, public_title="Delays")
    page_setup.clock.advance(minutes=3)
    published = await page_setup.services.status_page.publish("T1", draft.id or 0, COMMS)
    page_setup.clock.advance(minutes=5)
    await page_setup.services.updates.post("T1", channel, COMMANDER, Audience.INTERNAL, "internal progress")
    stored = await page_setup.services.incidents.for_channel("T1", incident.channel_id or "")
    assert stored.next_update_due(page_setup.services.policy) == published.published_at + cadence
    assert await page_setup.timers_due(stored, "update_due") == [published.published_at + cadence]
    (shown,) = page_setup.read("api/v2/incidents/unresolved.json")["incidents"]
    assert "Next update expected by" in page_setup.files()["index.html"]
    assert shown["updated_at"].startswith(published.published_at.strftime("%Y-%m-%dT%H:%M"))


async def test_resolving_offers_the_resolved_notice_which_resolves_the_page(page_setup: PageSetup) -> None:
    incident = await page_setup.declare("Imports failing")
    channel = incident.channel_id or ""
    draft = await page_setup.services.status_page.propose("T1", channel, COMMS, body="Investigating.",
                                                          status=PageStatus.INVESTIGATING, public_title="Delays")
    await page_setup.services.status_page.publish("T1", draft.id or 0, COMMS)
    page_setup.clock.advance(minutes=40)
    await page_setup.services.incidents.change_status("T1", incident.id, COMMANDER, "resolved")
    assert len(page_setup.chat.calls("offer_resolved_notice")) == 1
    form = await page_setup.services.status_page.form("T1", channel, Audience.RESOLVED)
    assert form.status is PageStatus.RESOLVED and form.text.startswith("✅ Incident Resolved")
    assert "affecting Imports has been resolved" in form.text and "Duration: 40 min" in form.text
    assert "Imports failing" not in form.text  # the internal title
    notice = await page_setup.services.status_page.propose("T1", channel, COMMS, body=form.text,
                                                           status=form.status)
    await page_setup.services.status_page.publish("T1", notice.id or 0, COMMANDER)
    assert page_setup.read("api/v2/incidents/unresolved.json")["incidents"] == []
    (past,) = page_setup.read("api/v2/incidents.json")["incidents"]
    assert past["status"] == "resolved" and past["resolved_at"] is not None
    assert page_setup.read("api/v2/status.json")["status"]["indicator"] == "none"
    await page_setup.services.incidents.change_status("T1", incident.id, COMMANDER, "closed")
    assert len(page_setup.chat.calls("offer_resolved_notice")) == 1  # offered once per resolve


async def test_a_lowered_severity_reaches_the_page_with_the_next_confirmed_update(page_setup: PageSetup) -> None:
    incident = await page_setup.declare("Imports failing")
    channel = incident.channel_id or ""
    first = await page_setup.services.status_page.propose("T1", channel, COMMS, body="Investigating.",
                                                          status=PageStatus.INVESTIGATING, public_title="Delays")
    await page_setup.services.status_page.publish("T1", first.id or 0, COMMS)
    await page_setup.services.incidents.change_severity("T1", incident.id, COMMANDER, "sev2")
    assert page_setup.read("api/v2/incidents.json")["incidents"][0]["impact"] == "critical"  # not yet confirmed
    second = await page_setup.services.status_page.propose("T1", channel, COMMS, body="Partly back.",
                                                           status=PageStatus.MONITORING)
    await page_setup.services.status_page.publish("T1", second.id or 0, COMMS)
    (shown,) = page_setup.read("api/v2/incidents.json")["incidents"]
    assert shown["impact"] == "major" and shown["monitoring_at"] is not None
    components = {c["name"]: c["status"] for c in page_setup.read("api/v2/components.json")["components"]}
    assert components["Imports"] == "partial_outage" and components["Bank sync"] == "operational"


async def test_a_site_that_cannot_be_written_loses_nothing_published(page_setup: PageSetup) -> None:
    incident = await page_setup.declare("Imports failing")
    builds = builds_dir(page_setup.site.absolute())
    shutil.rmtree(builds)
    builds.write_text("not a directory")  # the disk refuses: the next build cannot be written
    draft = await page_setup.services.status_page.propose("T1", incident.channel_id or "", COMMS, body="Investigating.",
                                                          status=PageStatus.INVESTIGATING, public_title="Delays")
    published = await page_setup.services.status_page.publish("T1", draft.id or 0, COMMS)
    assert published.id is not None and len(page_setup.chat.calls("post_update")) == 1  # published all the same
    builds.unlink()
    assert await page_setup.services.status_page.site.rebuild() is not None  # the hourly build, or the next publish
    assert [i["name"] for i in page_setup.read("api/v2/incidents.json")["incidents"]] == ["Delays"]
