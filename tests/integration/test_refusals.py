"""Every refusal takes one path (SQLite and PostgreSQL): it says who may and leaves one audit event of one shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_services
from bot.config import load_policy
from bot.domain.errors import PermissionDenied
from bot.domain.incident import AuditEvent
from bot.domain.permissions import Capability, Permissions, Rule
from bot.domain.runbook import StepState
from bot.services.container import Services
from bot.services.declaration import DeclareRequest
from runbooks.loader import LIBRARY, load_runbooks
from store.engine import session_factory
from store.uow import SqlUnitOfWork
from tests.fakes.chat import FakeChat, FakeDirectory, FakeRunbookChat
from tests.fakes.clock import FakeClock
from tests.fakes.runner import FakeStepRunner

RUNBOOK, KILL = "depositmatch-import-pipeline", "disable-imports"
REFUSALS = {"permission.denied", "runbook.step_refused", "runbook.approval_refused", "role.reassign_refused"}
RULES = {Capability.DECLARE: ["S0RESPONDERS"], Capability.RESOLVE: ["role:commander"],
         Capability.CHANGE_SEVERITY: ["role:commander"], Capability.EXPORT: ["role:commander"],
         Capability.APPROVE: ["role:commander", "role:comms", "U0OUTSIDER"]}


@dataclass
class Scene:
    """An incident with a commander (U1), comms lead (U2), restricted scribe (U3) and a step awaiting approval."""

    services: Services
    incident_id: int
    channel: str
    attempt: int


async def _scene(engine: AsyncEngine) -> Scene:
    base = load_policy(None)
    roles = tuple(replace(r, restricted=True) if r.id == "scribe" else r for r in base.roles)
    permissions = Permissions(rules={c: Rule.parse(e) for c, e in RULES.items()}, admins=("S0ADMINS",))
    policy = replace(base, roles=roles, permissions=permissions)
    catalog = load_runbooks([LIBRARY], roles={r.id for r in roles}).runbooks
    sessions = session_factory(engine)
    services = build_services(uow=lambda: SqlUnitOfWork(sessions), chat=FakeChat(), clock=FakeClock(), policy=policy,
                              directory=FakeDirectory({"S0RESPONDERS": {"U1"}}), runbook_chat=FakeRunbookChat(),
                              runner=FakeStepRunner(), catalog=catalog)
    incident = (await services.incidents.declare(DeclareRequest(team_id="T1", user_id="U1", severity="sev1",
                                                                title="Imports failing", service="imports"))).incident
    assert incident is not None and incident.id and incident.channel_id
    for role, holder in (("commander", "U1"), ("comms", "U2"), ("scribe", "U3")):
        await services.roles.assign("T1", incident.id, "U1", role, holder)
    await services.runbooks.attach("T1", incident.channel_id, "U1", RUNBOOK)
    waiting = await services.runbooks.request("T1", incident.channel_id, "U1", RUNBOOK, KILL)
    assert waiting.state is StepState.AWAITING_APPROVAL
    return Scene(services, incident.id, incident.channel_id, waiting.attempt)


Attempt = Callable[[Scene], Awaitable[object]]
CASES: dict[str, tuple[str, Attempt]] = {
    "declare": ("U7", lambda s: s.services.incidents.declare(
        DeclareRequest(team_id="T1", user_id="U7", severity="sev2", title="Slow"), force=True)),
    "resolve": ("U7", lambda s: s.services.incidents.change_status("T1", s.incident_id, "U7", "resolved")),
    "change the severity": ("U7", lambda s: s.services.incidents.change_severity("T1", s.incident_id, "U7", "sev3")),
    "export": ("U7", lambda s: s.services.export("T1", s.channel, "U7")),
    "reassign the commander": ("U9", lambda s: s.services.roles.assign("T1", s.incident_id, "U9", "commander", "U9")),
    "reassign a restricted role": ("U9", lambda s: s.services.roles.assign("T1", s.incident_id, "U9", "scribe", "U9")),
    "run a guarded step": ("U7", lambda s: s.services.runbooks.request("T1", s.channel, "U7", RUNBOOK, KILL)),
    "roll a guarded step back": ("U7", lambda s: s.services.runbooks.request("T1", s.channel, "U7", RUNBOOK, KILL,
                                                                              rollback=True)),
    "skip a guarded step": ("U7", lambda s: s.services.runbooks.skip("T1", s.channel, "U7", RUNBOOK, KILL)),
    "approve your own request": ("U1", lambda s: s.services.runbooks.approve("T1", s.channel, "U1", RUNBOOK, KILL)),
    "approve holding no role": ("U0OUTSIDER", lambda s: s.services.runbooks.approve("T1", s.channel, "U0OUTSIDER",
                                                                                     RUNBOOK, KILL)),
    "approve outside the approve rule": ("U9", lambda s: s.services.runbooks.approve("T1", s.channel, "U9",
                                                                                      RUNBOOK, KILL)),
    "cancel someone else's request": ("U7", lambda s: s.services.runbooks.cancel("T1", s.channel, "U7", RUNBOOK,
                                                                                 KILL, s.attempt)),
}


async def _workspace_audit(scene: Scene) -> tuple[AuditEvent, ...]:
    async with scene.services.runbooks._uow() as uow:
        return (await uow.audit.chain("T1")).records


async def test_every_refusal_says_who_may_and_leaves_one_audit_event_of_one_shape(engine: AsyncEngine) -> None:
    scene = await _scene(engine)
    for case, (user, attempt) in CASES.items():
        before = len(await _workspace_audit(scene))
        try:
            await attempt(scene)
        except PermissionDenied as exc:
            reason = str(exc)
        else:
            raise AssertionError(f"{case}: not refused")
        assert reason.startswith(("Only ", "A different person must approve")), case
        added = (await _workspace_audit(scene))[before:]
        assert len(added) == 1, f"{case}: {[e.action for e in added]}"
        [event] = added
        assert (event.action in REFUSALS, event.actor, event.team_id) == (True, user, "T1"), case
        assert event.incident_id == (None if case == "declare" else scene.incident_id), case
        assert event.after["reason"] == reason, case
        assert event.after["capability"] in {c.value for c in Capability} | {None}, case
