"""The status update draft over the real store: it lists only actions fit for the announcements channel."""

from __future__ import annotations

from bot.domain.runbook import StepOutcome
from bot.services.updates import Audience
from tests.integration.runbook_setup import RUNBOOK, Setup

INTERNAL_ERROR = "exit 1: Error: connect ECONNREFUSED 10.0.4.17:5432 at /srv/depositmatch/ops/import-health.js:88"


async def test_a_failed_steps_internal_error_never_reaches_the_update_draft(setup: Setup) -> None:
    setup.runner.outcomes["import-health"] = StepOutcome(ok=False, error=INTERNAL_ERROR)
    await setup.services.runbooks.request("T1", setup.channel, "U1", RUNBOOK, "import-health", attempt=0)
    timeline = await setup.services.incidents.timeline("T1", setup.incident_id)
    assert any(INTERNAL_ERROR in e.text for e in timeline)  # the team's own record keeps it

    _, draft = await setup.services.updates.draft("T1", setup.channel, Audience.INTERNAL)

    assert "ECONNREFUSED" not in draft and "import-health.js" not in draft and "failed" not in draft
    assert "Current Actions:\n- Investigating\n" in draft  # nothing worked yet, nothing written by people


async def test_the_draft_lists_steps_that_worked_and_actions_people_wrote_in_order(setup: Setup) -> None:
    await setup.services.timeline.note("T1", setup.channel, "U1", "action: paused the nightly import schedule")
    setup.clock.advance(minutes=2)
    await setup.services.runbooks.request("T1", setup.channel, "U1", RUNBOOK, "disable-imports")
    await setup.services.runbooks.approve("T1", setup.channel, "U2", RUNBOOK, "disable-imports")

    _, draft = await setup.services.updates.draft("T1", setup.channel, Audience.INTERNAL)

    actions = draft.split("Current Actions:\n", 1)[1].split("Next Update:", 1)[0]
    assert actions == ("- paused the nightly import schedule\n"
                       "- Ran “Disable imports (FEATURE_IMPORTS=false)”: FEATURE_IMPORTS true → false\n")
    assert "<@" not in actions and "Approval requested" not in actions  # Warroom's bookkeeping stays internal
