"""RunbookService over the real store (SQLite and PostgreSQL): guards, approvals, once-per-click, rollback."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.errors import InvalidInput, PermissionDenied
from bot.domain.runbook import StepOutcome, StepState
from tests.fakes.clock import FakeClock
from tests.integration.runbook_setup import RUNBOOK, Setup

KILL = "disable-imports"


async def _state(s: Setup, step: str = KILL) -> StepState:
    async with s.services.runbooks._uow() as uow:
        runs = await uow.runbooks.steps("T1", s.incident_id, RUNBOOK)
    return next(r for r in runs if r.step_id == step).state


async def _audit_actions(s: Setup) -> list[str]:
    return [e.action for e in await s.services.incidents.audit("T1", s.incident_id)]


async def test_someone_without_the_role_is_refused_and_the_refusal_is_audited(setup: Setup) -> None:
    with pytest.raises(PermissionDenied, match="Only the incident commander \\(<@U1>\\) may run “Disable imports"):
        await setup.services.runbooks.request("T1", setup.channel, "U7", RUNBOOK, KILL)
    assert await _state(setup) is StepState.PENDING and setup.runner.runs == []
    assert (await _audit_actions(setup))[-1] == "runbook.step_refused"


async def test_a_guarded_step_waits_for_a_different_persons_approval_then_runs_once(setup: Setup) -> None:
    runbooks = setup.services.runbooks
    await runbooks.request("T1", setup.channel, "U1", RUNBOOK, KILL)
    assert await _state(setup) is StepState.AWAITING_APPROVAL and setup.runner.runs == []
    with pytest.raises(PermissionDenied, match="A different person must approve"):
        await runbooks.approve("T1", setup.channel, "U1", RUNBOOK, KILL)
    with pytest.raises(PermissionDenied, match="may approve"):
        await runbooks.approve("T1", setup.channel, "U9", RUNBOOK, KILL)
    run = await runbooks.approve("T1", setup.channel, "U2", RUNBOOK, KILL)
    assert run.state is StepState.DONE and (run.actor, run.approver) == ("U1", "U2")
    assert (run.before, run.after) == (True, False)
    assert setup.runner.runs == [(KILL, False)]
    actions = await _audit_actions(setup)
    assert actions[-4:] == ["runbook.approval_requested", "runbook.approval_refused", "runbook.approval_refused",
                            "runbook.step_run"]
    timeline = await setup.services.incidents.timeline("T1", setup.incident_id)
    assert timeline[-1].text.startswith("Ran “Disable imports (FEATURE_IMPORTS=false)”: FEATURE_IMPORTS true → false"
                                        " (approved by <@U2>)")


async def test_concurrent_approvals_and_a_redelivered_click_run_the_step_exactly_once(setup: Setup) -> None:
    runbooks = setup.services.runbooks
    await runbooks.request("T1", setup.channel, "U1", RUNBOOK, KILL)
    await setup.services.roles.assign("T1", setup.incident_id, "U1", "scribe", "U3")
    results = await asyncio.gather(
        runbooks.approve("T1", setup.channel, "U2", RUNBOOK, KILL),
        runbooks.approve("T1", setup.channel, "U3", RUNBOOK, KILL),
        runbooks.approve("T1", setup.channel, "U2", RUNBOOK, KILL),
        return_exceptions=True)
    assert setup.runner.runs == [(KILL, False)]
    assert sum(1 for r in results if not isinstance(r, Exception)) == 1
    assert all(isinstance(r, InvalidInput) for r in results if isinstance(r, Exception))


async def test_two_clicks_at_once_on_an_unguarded_step_run_it_once(setup: Setup) -> None:
    runbooks = setup.services.runbooks
    results = await asyncio.gather(
        *(runbooks.request("T1", setup.channel, "U5", RUNBOOK, "import-health", attempt=0) for _ in range(5)),
        return_exceptions=True)
    assert setup.runner.runs == [("import-health", False)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 4 and all(isinstance(r, InvalidInput) for r in refused)
    assert await _state(setup, "import-health") is StepState.DONE


async def test_a_failed_step_shows_its_error_and_can_be_retried(setup: Setup) -> None:
    runbooks = setup.services.runbooks
    setup.runner.outcomes["import-health"] = StepOutcome(ok=False, output="ECONNREFUSED", error="exited with status 1")
    run = await runbooks.request("T1", setup.channel, "U5", RUNBOOK, "import-health")
    assert run.state is StepState.FAILED and run.error == "exited with status 1"
    assert setup.chat.calls("post_step_output")[-1].error == "exited with status 1"  # type: ignore[attr-defined]
    del setup.runner.outcomes["import-health"]
    run = await runbooks.request("T1", setup.channel, "U5", RUNBOOK, "import-health")
    assert run.state is StepState.DONE and run.attempt == 2


async def test_a_step_waits_for_the_steps_it_depends_on(setup: Setup) -> None:
    with pytest.raises(InvalidInput, match="Do “Run the import health check” first"):
        await setup.services.runbooks.request("T1", setup.channel, "U5", RUNBOOK, "restart-workers")


async def test_rolling_back_a_flag_step_is_guarded_the_same_way(setup: Setup) -> None:
    runbooks = setup.services.runbooks
    await runbooks.request("T1", setup.channel, "U1", RUNBOOK, KILL)
    await runbooks.approve("T1", setup.channel, "U2", RUNBOOK, KILL)
    with pytest.raises(PermissionDenied):
        await runbooks.request("T1", setup.channel, "U7", RUNBOOK, KILL, rollback=True)
    await runbooks.request("T1", setup.channel, "U1", RUNBOOK, KILL, rollback=True)
    run = await runbooks.approve("T1", setup.channel, "U2", RUNBOOK, KILL)
    assert run.state is StepState.ROLLED_BACK and setup.runner.runs == [(KILL, False), (KILL, True)]
    assert (await _audit_actions(setup))[-1] == "runbook.step_rolled_back"


async def test_a_step_can_be_skipped_once_and_a_skipped_step_can_still_be_run(setup: Setup) -> None:
    runbooks = setup.services.runbooks
    run = await runbooks.skip("T1", setup.channel, "U5", RUNBOOK, "diagnostics")
    assert run.state is StepState.SKIPPED and run.actor == "U5"
    with pytest.raises(InvalidInput, match="is skipped"):
        await runbooks.skip("T1", setup.channel, "U6", RUNBOOK, "diagnostics")
    with pytest.raises(PermissionDenied, match="may skip"):
        await runbooks.skip("T1", setup.channel, "U7", RUNBOOK, KILL)
    assert (await runbooks.request("T1", setup.channel, "U5", RUNBOOK, "diagnostics")).state is StepState.DONE


async def test_a_checklist_update_that_cannot_be_queued_leaves_the_step_unclaimed_not_stuck(setup: Setup) -> None:
    from bot.domain.errors import StorageUnavailable

    async def broken(*_args: object) -> None:
        raise StorageUnavailable("The database is unreachable; the message was not queued.")

    setup.chat.update_checklist = broken  # type: ignore[method-assign]
    with pytest.raises(StorageUnavailable):
        await setup.services.runbooks.request("T1", setup.channel, "U5", RUNBOOK, "import-health")
    assert await _state(setup, "import-health") is StepState.PENDING and setup.runner.runs == []


async def test_a_step_left_running_by_a_dead_process_is_failed_on_start(setup: Setup) -> None:
    runbooks = setup.services.runbooks
    async with runbooks._uow() as uow:
        run = next(r for r in await uow.runbooks.steps("T1", setup.incident_id, RUNBOOK) if r.step_id == "import-health")
        await uow.runbooks.claim(run, (StepState.PENDING,), state=StepState.RUNNING, started_at=FakeClock().now(),
                                 attempt=1)
        await uow.commit()
    assert await runbooks.recover() == 0  # still within its timeout
    runbooks._clock.advance(minutes=5)  # type: ignore[attr-defined]
    assert await runbooks.recover() == 1
    assert await _state(setup, "import-health") is StepState.FAILED
    assert (await _audit_actions(setup))[-1] == "runbook.step_recovered"
    run = await runbooks.request("T1", setup.channel, "U5", RUNBOOK, "import-health")
    assert run.state is StepState.DONE


async def test_an_approval_request_can_be_cancelled_and_a_stale_approval_does_nothing(setup: Setup) -> None:
    runbooks = setup.services.runbooks
    first = await runbooks.request("T1", setup.channel, "U1", RUNBOOK, KILL)
    await runbooks.cancel("T1", setup.channel, "U1", RUNBOOK, KILL, first.attempt)
    assert await _state(setup) is StepState.PENDING
    second = await runbooks.request("T1", setup.channel, "U1", RUNBOOK, KILL)
    with pytest.raises(InvalidInput, match="no longer open"):
        await runbooks.approve("T1", setup.channel, "U2", RUNBOOK, KILL, first.attempt)
    assert setup.runner.runs == []
    run = await runbooks.approve("T1", setup.channel, "U2", RUNBOOK, KILL, second.attempt)
    assert run.state is StepState.DONE and setup.runner.runs == [(KILL, False)]


async def test_runbooks_are_suggested_for_the_service_or_an_alert_named_in_the_title(setup: Setup) -> None:
    from bot.domain.incident import Incident

    base = Incident(team_id="T1", number=9, title="x", severity="SEV1", status="investigating", declared_by="U1",
                    declared_at=FakeClock().now(), id=9)
    by_alert = setup.services.runbooks.suggestions(base.with_changes(title="ImportQueueStalled firing in prod"))
    assert RUNBOOK in [r.id for r in by_alert]
    by_service = setup.services.runbooks.suggestions(base.with_changes(service="imports"))
    assert RUNBOOK in [r.id for r in by_service]
    assert setup.services.runbooks.suggestions(base.with_changes(title="Printer on fire")) == []
