"""Workspace isolation: every command, action, view, shortcut and event sent from workspace B naming
workspace A's incident, channel, step, run, follow-up or message is refused, and A's data is unchanged.

The requests are checked against what the app registers, so a surface added later without a
cross-workspace request here fails `test_every_registered_surface_has_a_cross_workspace_request`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import create_app
from bot.config import load_config
from bot.standin import FakeSlack
from handlers.ids import Action, Block, Callback, Field
from handlers.parse import USAGE
from handlers.runbook_blocks import step_value
from handlers.surface import Surface
from tests.alerting import alert, alertmanager, body
from tests.e2e.harness import SIGNING_SECRET, Bot, bot_environ, drill_library, running_bot

TEAM_B, USER_B = "T0BBBBBBB", "U0BBBBBBB"
ALERTS_TOKEN = "isolation-alerts-token"
RUNBOOK = "isolation"
REFUSED = ("works in an incident channel", "does not exist in this workspace",
           "not attached to an incident in this channel", "There is no INC-1 in this workspace")
A_TITLE = "Ledger drift in workspace A"
OWN = "own"  # B acts on its own workspace only (declaring, listing, help): nothing of A's may show
SILENT = "silent"  # events get no reply; A's data must still be unchanged


@dataclass
class WorkspaceA:
    """Ids of workspace A's incident that workspace B will name."""

    team: str
    channel: str
    incident_id: int
    card_ts: str
    message: dict[str, Any]
    followup_id: int
    group_id: int  # an alert group of A's waiting in triage


async def _set_up_workspace_a(bot: Bot) -> WorkspaceA:
    fake = bot.fake
    await bot.command(f"declare sev1 {A_TITLE} --service ledger", user_id="U1")
    await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
    channel = str(fake.calls_to("conversations.create")[0].response["channel"]["id"])
    await bot.command("role commander <@U1|ana>", user_id="U1", channel_id=channel)
    await bot.command(f"runbook {RUNBOOK}", user_id="U1", channel_id=channel)
    [checklist] = await fake.wait_for("chat.postMessage", lambda c: str(c.params.get("text")).startswith("Runbook:"))
    await bot.settled()
    run = {"action_id": Action.STEP_RUN, "value": step_value(RUNBOOK, "restart", 0)}
    await bot.interaction(fake.block_action_payload("U1", channel, checklist.response["ts"], run))
    await fake.wait_for("chat.postMessage", lambda c: str(c.params.get("text")).startswith("Approval needed"))
    await bot.command("followup Check A's backups", user_id="U1", channel_id=channel)
    await bot.settled()
    team = fake.state.team_id
    incident = await bot.warroom.incidents.for_channel(team, channel)
    async with bot.warroom.services.incidents._uow() as uow:
        [followup] = await uow.followups.list_for(team, incident.id)  # type: ignore[arg-type]
    message = fake.state.post_as_user(channel, "U1", "The ledger is drifting")
    warning = alertmanager("DiskFilling", [alert("w1", name="DiskFilling", severity="warning")])
    async with aiohttp.ClientSession() as session, session.post(
            f"{bot.base_url}/alerts/alertmanager", data=body(warning),
            headers={"Authorization": f"Bearer {ALERTS_TOKEN}"}) as resp:
        assert resp.status == 200
    [triage] = await fake.wait_for("chat.postMessage", lambda c: c.params.get("channel") == "CALERTS")
    group_id = int(triage.params["blocks"][-1]["elements"][0]["value"])
    return WorkspaceA(team, channel, incident.id, incident.card_ts or "", message, followup.id,  # type: ignore[arg-type]
                      group_id)


async def _snapshot(bot: Bot, a: WorkspaceA) -> list[Any]:
    """Everything stored about A's incident."""
    async with bot.warroom.services.incidents._uow() as uow:
        return [await uow.incidents.get(a.team, a.incident_id), await uow.timeline.list_for(a.team, a.incident_id),
                await uow.audit.list_for(a.team, a.incident_id), await uow.roles.list_for(a.team, a.incident_id),
                await uow.followups.list_for(a.team, a.incident_id),
                await uow.runbooks.steps(a.team, a.incident_id, RUNBOOK), await uow.audit.chain(a.team),
                await uow.alerts.get(a.team, a.group_id)]


Send = Callable[[Bot, WorkspaceA], Awaitable[Any]]


def _command(text: str) -> Send:
    return lambda bot, a: bot.command(text.format(a=a), user_id=USER_B, channel_id=a.channel, team_id=TEAM_B)


def _click(action_id: str, **fields: Any) -> Send:
    def send(bot: Bot, a: WorkspaceA) -> Awaitable[Any]:
        action = {"action_id": action_id, **{k: (v(a) if callable(v) else v) for k, v in fields.items()}}
        return bot.interaction(bot.fake.block_action_payload(USER_B, a.channel, a.card_ts, action, team_id=TEAM_B))
    return send


def _submit(callback_id: str, meta: Callable[[WorkspaceA], dict[str, Any]], values: dict[str, str]) -> Send:
    def send(bot: Bot, a: WorkspaceA) -> Awaitable[Any]:
        view = {"type": "modal", "callback_id": callback_id, "private_metadata": json.dumps(meta(a))}
        state = {block: {Field.VALUE: {"type": "plain_text_input", "value": value}} for block, value in values.items()}
        if Block.SEVERITY in values:
            state[Block.SEVERITY] = {Field.VALUE: {"type": "static_select",
                                                   "selected_option": {"value": values[Block.SEVERITY]}}}
        return bot.interaction(bot.fake.view_submission_payload(USER_B, view, state, team_id=TEAM_B))
    return send


def _event(build: Callable[[WorkspaceA], dict[str, Any]]) -> Send:
    return lambda bot, a: bot.fake.send_event(bot.events_url, SIGNING_SECRET, build(a), team_id=TEAM_B)


def _shortcut(bot: Bot, a: WorkspaceA) -> Awaitable[Any]:
    payload = {"type": "message_action", "callback_id": Callback.ADD_TO_TIMELINE,
               "trigger_id": bot.fake.new_trigger_id(), "message_ts": a.message["ts"],
               "response_url": bot.fake.response_url("shortcut-b"), "message": a.message,
               "team": {"id": TEAM_B, "domain": "b"}, "channel": {"id": a.channel, "name": "inc-1"},
               "user": {"id": USER_B, "name": "b", "team_id": TEAM_B}, "action_ts": a.message["ts"],
               "token": "verification", "is_enterprise_install": False, "enterprise": None}
    return bot.interaction(payload)


def _step(step: str, attempt: int | None = None) -> Callable[[WorkspaceA], str]:
    return lambda a: step_value(RUNBOOK, step, attempt)


def _item(a: WorkspaceA) -> dict[str, Any]:
    return {"type": "message", "channel": a.channel, "ts": a.message["ts"]}


# (kind, registered id, expectation, request); `own` requests run last: they create B's own incidents.
REQUESTS: list[tuple[str, str, str, Send]] = [
    *[("command", sub, REFUSED[0], _command(text)) for sub, text in {
        "status": "status resolved", "severity": "severity sev3", "class": "class queue-failure",
        "field": "field tenant acme",
        "role": "role commander <@U0BBBBBBB|b>",
        "handover": "handover <@U0BBBBBBB|b>", "note": "note decision: B was here", "timeline": "timeline",
        "milestone": "milestone detected 10:00", "followup": "followup B's follow-up", "runbook": "runbook",
        "update": "update customer", "statuspage": "statuspage private"}.items()],
    ("command", "export", "There is no INC-1", _command("export INC-1")),
    ("command", "export", REFUSED[0], _command("export")),
    ("command", "runbook", REFUSED[0], _command(f"runbook {RUNBOOK}")),
    ("action", Action.CARD_STATUS, REFUSED[0], _click(Action.CARD_STATUS, selected_option={"value": "resolved"})),
    ("action", Action.CARD_SEVERITY, REFUSED[0], _click(Action.CARD_SEVERITY, selected_option={"value": "SEV3"})),
    ("action", Action.ROLE_SELECT, REFUSED[0], _click(Action.ROLE_SELECT + "commander", selected_user=USER_B)),
    ("action", Action.TAKE_ROLE, REFUSED[0], _click(Action.TAKE_ROLE + "commander")),
    ("action", Action.FOLLOWUP_DONE, "does not exist", _click(Action.FOLLOWUP_DONE, value=lambda a: str(a.followup_id))),
    ("action", Action.TIMELINE_OLDER, REFUSED[0], _click(Action.TIMELINE_OLDER, value="2")),
    ("action", Action.TIMELINE_NEWER, REFUSED[0], _click(Action.TIMELINE_NEWER, value="1")),
    ("action", Action.STEP_RUN, REFUSED[2], _click(Action.STEP_RUN, value=_step("look", 0))),
    ("action", Action.STEP_ROLLBACK, REFUSED[2], _click(Action.STEP_ROLLBACK, value=_step("restart", 1))),
    ("action", Action.STEP_APPROVE, REFUSED[2], _click(Action.STEP_APPROVE, value=_step("restart", 1))),
    ("action", Action.STEP_CANCEL, REFUSED[2], _click(Action.STEP_CANCEL, value=_step("restart", 1))),
    ("action", Action.STEP_SKIP, REFUSED[2], _click(Action.STEP_SKIP, selected_option={"value": step_value(RUNBOOK, "look")})),
    ("action", Action.POST_UPDATE, REFUSED[0], _click(Action.POST_UPDATE)),
    ("action", Action.SNOOZE_UPDATE, REFUSED[0], _click(Action.SNOOZE_UPDATE, value="15")),
    ("action", Action.SNOOZE_UPDATE + "_30", REFUSED[0], _click(Action.SNOOZE_UPDATE + "_30", value="30")),
    ("action", Action.RUNBOOK_ATTACH, REFUSED[0], _click(Action.RUNBOOK_ATTACH, value=RUNBOOK)),
    ("action", Action.ALERT_DECLARE, "no longer", _click(Action.ALERT_DECLARE, value=lambda a: str(a.group_id))),
    ("action", Action.ALERT_DISMISS, "no longer", _click(Action.ALERT_DISMISS, value=lambda a: str(a.group_id))),
    ("action", Action.PAGE_PUBLISH, REFUSED[1], _click(Action.PAGE_PUBLISH, value="1")),
    ("action", Action.PAGE_DISCARD, REFUSED[1], _click(Action.PAGE_DISCARD, value="1")),
    ("action", Action.PAGE_RESOLVED, REFUSED[0], _click(Action.PAGE_RESOLVED)),
    ("view", Callback.RESOLVE, REFUSED[0], _submit(Callback.RESOLVE, lambda a: {"channel_id": a.channel}, {
        Block.RESOLUTION: "B resolved it", Block.IMPACT: "", Block.ROOT_CAUSE: ""})),
    ("view", Callback.STATUS_UPDATE, REFUSED[0], _submit(Callback.STATUS_UPDATE, lambda a: {
        "channel_id": a.channel, "audience": "internal"}, {Block.UPDATE_TEXT: "B's update"})),
    ("view", Callback.PAGE_UPDATE, REFUSED[0], _submit(Callback.PAGE_UPDATE, lambda a: {
        "channel_id": a.channel, "audience": "status_page"}, {Block.UPDATE_TEXT: "B's update",
                                                               Block.PUBLIC_TITLE: "B's title"})),
    ("shortcut", Callback.ADD_TO_TIMELINE, REFUSED[0], _shortcut),
    *[("event", name, SILENT, _event(build)) for name, build in {
        "reaction_added": lambda a: {"type": "reaction_added", "user": USER_B, "reaction": "pushpin", "item": _item(a)},
        "reaction_removed": lambda a: {"type": "reaction_removed", "user": USER_B, "reaction": "pushpin",
                                       "item": _item(a)},
        "pin_added": lambda a: {"type": "pin_added", "user": USER_B, "channel_id": a.channel,
                                "item": {"type": "message", "channel": a.channel, "message": a.message}},
        "pin_removed": lambda a: {"type": "pin_removed", "user": USER_B, "channel_id": a.channel,
                                  "item": {"type": "message", "channel": a.channel, "message": a.message}},
        "message.channels": lambda a: {"type": "message", "subtype": "message_changed", "channel": a.channel,
                                       "hidden": True, "ts": a.message["ts"],
                                       "message": {**a.message, "text": "B rewrote it"}, "previous_message": a.message},
    }.items()],
    # B's Home tab lists B's incidents, follow-ups and KPIs: nothing of A's
    ("event", "app_home_opened", OWN, _event(lambda a: {"type": "app_home_opened", "user": USER_B, "tab": "home",
                                                         "channel": "D0BHOME"})),
    *[("command", sub, OWN, _command(text)) for sub, text in {
        "list": "list", "help": "help", "oncall": "oncall", "stats": "stats", "resolve": "resolve",
        "declare": "declare sev2 Payments gateway timeouts"}.items()],
    ("action", Action.ALERT_RESOLVE, OWN, _click(Action.ALERT_RESOLVE, value=lambda a: str(a.incident_id))),
    ("action", Action.DECLARE_ANYWAY, OWN, _click(Action.DECLARE_ANYWAY, value=json.dumps(
        {"severity": "SEV3", "title": "Search index stale"}))),
    ("view", Callback.DECLARE, OWN, _submit(Callback.DECLARE, lambda a: {}, {
        Block.TITLE: "Email bounces rising", Block.SEVERITY: "SEV3", Block.SERVICE: "", Block.SUMMARY: ""})),
    ("view", Callback.DECLARE_CONFIRM, OWN, _submit(Callback.DECLARE_CONFIRM, lambda a: {
        "severity": "SEV3", "title": "Mobile login loop"}, {})),
]


def _what_b_saw(bot: Bot, ack: Any, responses_before: int, calls_before: int) -> str:
    """The ack, response_url replies and DMs to B's user since the request was sent."""
    seen = [json.dumps(ack)] + [json.dumps(r["body"]) for r in bot.fake.responses[responses_before:]]
    seen += [json.dumps(c.params) for c in bot.fake.calls[calls_before:]
             if USER_B in (c.params.get("channel"), c.params.get("user_id"))]  # DMs, and B's Home tab
    return "\n".join(seen)


def _registered(surface: Surface) -> set[tuple[str, str]]:
    """Every command sub-command, action, view, shortcut and event subscription the app registers."""
    return ({("command", sub) for sub in USAGE}
            | {("action", a if isinstance(a, str) else a.pattern.lstrip("^").replace("\\", "")) for a in surface.actions}
            | {("view", v) for v in surface.views} | {("shortcut", s.callback_id) for s in surface.shortcuts}
            | {("event", e) for e in surface.events})


async def test_every_registered_surface_has_a_cross_workspace_request(fake_slack: FakeSlack, tmp_path: Path) -> None:
    warroom = create_app(load_config(bot_environ(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"), env_file=None))
    covered = {(kind, re.sub(r"commander$", "", str(name))) for kind, name, _, _ in REQUESTS}
    assert covered == _registered(warroom.surface)
    await warroom.engine.dispose()


async def test_workspace_b_can_never_read_or_change_workspace_as_incident(
        fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> None:
    env = {"WARROOM_RUNBOOKS": str(drill_library(tmp_path, RUNBOOK)), "WARROOM_ALERTS_TOKEN": ALERTS_TOKEN}
    fake_slack.state.add_channel("alerts", "CALERTS")  # where A's triage messages go (known when the bot starts)
    async with running_bot(fake_slack, database_url, tmp_path, env=env) as bot:
        a = await _set_up_workspace_a(bot)
        before = await _snapshot(bot, a)
        assert [r.state.value for r in before[5]] == ["pending", "awaiting_approval"]  # something to protect
        problems = []
        for kind, name, expected, send in REQUESTS:
            responses, calls = len(bot.fake.responses), len(bot.fake.calls)
            status, ack, _ = await send(bot, a)
            await bot.settled()
            seen = _what_b_saw(bot, ack, responses, calls)
            if status != 200:
                problems.append(f"{kind} {name}: HTTP {status}")
            elif A_TITLE in seen or "Ledger drift" in seen:
                problems.append(f"{kind} {name}: B saw A's incident: {seen[:300]}")
            elif expected not in (OWN, SILENT) and expected not in seen:
                problems.append(f"{kind} {name}: no refusal ({expected!r}) in {seen[:300]}")
            elif name == "app_home_opened" and not [c for c in bot.fake.calls[calls:] if c.method == "views.publish"
                                                    and c.params.get("user_id") == USER_B]:
                problems.append(f"{kind} {name}: B's own Home was not published")  # not vacuous: B sees its own
        assert problems == []
        assert await _snapshot(bot, a) == before
        async with bot.warroom.services.incidents._uow() as uow:
            own = await uow.incidents.list_by_status(TEAM_B, ["investigating"])
        assert {i.title for i in own} == {"Payments gateway timeouts", "Search index stale", "Email bounces rising",
                                          "Mobile login loop"}
        assert all(i.team_id == TEAM_B and i.channel_id != a.channel for i in own)
