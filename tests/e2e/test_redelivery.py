"""Slack's redeliveries are recognised after a restart: the event and the click are handled once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.standin import FakeSlack
from handlers.ids import Action, Block
from store.engine import session_factory
from store.uow import SqlUnitOfWork
from tests.e2e.harness import SIGNING_SECRET, Bot, running_bot
from tests.e2e.scenario import People


async def _deliver(bot: Bot, wrapper: dict[str, Any], retry_num: int | None = None) -> None:
    status, _, _ = await bot.fake.send_event(bot.events_url, SIGNING_SECRET, wrapper, retry_num=retry_num)
    assert status == 200
    await bot.settled()


async def _click(bot: Bot, payload: dict[str, Any]) -> None:
    status, _, _ = await bot.interaction(payload)
    assert status == 200
    await bot.settled()


async def test_an_event_and_a_click_redelivered_after_a_restart_are_not_handled_again(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'redelivery.db'}"
    fake, team = fake_slack, fake_slack.state.team_id
    async with running_bot(fake, url, tmp_path) as bot:
        people = People(bot)
        await bot.command("declare sev2 Imports failing", user_id="U1")
        await fake.wait_for_response(lambda r: "INC-1 declared" in r["body"].get("text", ""))
        channel = str(fake.calls_to("conversations.create")[0].response["channel"]["id"])
        message = fake.state.post_as_user(channel, "U4", "Import queue depth 40k")

        # Captured by a reaction, then withdrawn when the reaction goes: a replay of the first event would revive it.
        added = fake.event_payload(people.reaction("reaction_added", "U3", channel, message["ts"]), event_id="EvAdd")
        await _deliver(bot, added)
        await _deliver(bot, fake.event_payload(people.reaction("reaction_removed", "U3", channel, message["ts"]),
                                               event_id="EvRemove"))
        # Comms to U2, then to U3 (on the card): a replay of the first click would hand it back to U2.
        [card] = await fake.wait_for("chat.postMessage", lambda c: c.params["channel"] == channel)
        select = {"type": "users_select", "action_id": f"{Action.ROLE_SELECT}comms", "block_id": Block.CARD_ROLES}
        to_u2 = fake.block_action_payload("U1", channel, card.response["ts"], {**select, "selected_user": "U2"})
        await _click(bot, to_u2)
        await _click(bot, fake.block_action_payload("U1", channel, card.response["ts"], {**select, "selected_user": "U3"}))

    async with running_bot(fake, url, tmp_path) as restarted:
        await _deliver(restarted, added, retry_num=1)
        await _click(restarted, to_u2)
        async with SqlUnitOfWork(session_factory(restarted.warroom.engine)) as uow:
            incident = await uow.incidents.get_by_channel(team, channel)
            assert incident is not None and incident.id is not None
            entry = await uow.timeline.get_by_source(team, incident.id, channel, message["ts"])
            comms = [a.user_id for a in await uow.roles.list_for(team, incident.id) if a.role == "comms"]
    assert entry is not None and entry.withdrawn_at is not None and entry.captured_by == ()
    assert incident.roles["comms"] == "U3" and comms == ["U2", "U3"]
