"""The stand-in delivering to a real Bolt app: signed HTTP requests, payloads shaped like Slack's, Socket Mode."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.standin import FakeSlack
from bot.standin.contract import shared_dir
from tests.unit.standin.kit import button, modal, web_client

SHAPES = shared_dir() / "payload-shapes"


def shape_keys(name: str) -> set[str]:
    return set(json.loads((SHAPES / name).read_text()))


# -- requests to the bot over HTTP -----------------------------------------------------------
@asynccontextmanager
async def bolt_over_http(fake: FakeSlack, app: AsyncApp):
    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/slack/events"
    finally:
        await runner.cleanup()


async def test_signed_command_interaction_and_event_reach_a_real_bolt_app(fake):
    app = AsyncApp(client=web_client(fake), signing_secret="sekret",
                   process_before_response=True)  # handlers finish before the HTTP reply
    seen: list[str] = []

    @app.command("/incident")
    async def on_command(ack, respond, command):
        await ack()
        await respond(text=f"declaring {command['text']}")

    @app.action("ack")
    async def on_ack(ack, body):
        await ack()
        seen.append(body["message"]["text"])

    @app.event("app_mention")
    async def on_mention(event):
        seen.append(event["text"])

    async with bolt_over_http(fake, app) as url:
        status, body, elapsed = await fake.send_command(url, "sekret", text="api down")
        assert (status, body) == (200, "") and elapsed < 3
        response = await fake.wait_for_response()
        assert response["body"]["text"] == "declaring api down"
        posted = await web_client(fake).chat_postMessage(channel="CGENERAL", text="m1")
        payload = fake.block_action_payload("U1", "CGENERAL", posted["ts"], button())
        assert (await fake.send_interaction(url, "sekret", payload))[0] == 200
        event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "channel": "C1"}
        assert (await fake.send_event(url, "sekret", event))[0] == 200
        forged = await fake.send_command(url, "sekret", signature="v0=" + "0" * 64)
        assert forged[0] == 401
    assert seen == ["m1", "<@UBOT> hi"]
    assert fake.violations == []


def test_payload_builders_use_only_keys_from_slacks_payload_shapes():
    fake = FakeSlack()
    command = fake.command_payload(text="x")
    assert set(command) == shape_keys("app-backend_slash-commands_SlashCommandPayload.json") - {
        "enterprise_id", "enterprise_name"}
    action = fake.block_action_payload("U1", "CGENERAL", "1700000000.000100", button())
    assert set(action) <= shape_keys("app-backend_interactive-components_BlockActionPayload.json")
    submission = fake.view_submission_payload("U1", modal(), {"title": {"v": {"value": "x"}}})
    assert set(submission) <= shape_keys("app-backend_views_ViewSubmissionPayload.json")
    event = fake.event_payload({"type": "app_mention", "text": "hi"})
    assert set(event) <= shape_keys("events_AppMentionPayload.json")


# -- Socket Mode with the real Bolt handler --------------------------------------------------
async def test_socket_mode_round_trip_and_reconnect_with_the_real_bolt_handler(fake):
    # process_before_response: acks leave after the listeners ran, so `seen` is settled
    app = AsyncApp(client=web_client(fake), signing_secret="s", process_before_response=True)
    seen: list[str] = []

    @app.command("/incident")
    async def on_command(ack, command):
        await ack(text=f"got {command['text']}")

    @app.action("ack")
    async def on_click(ack, action):
        await ack()
        seen.append(action["action_id"])

    @app.event("app_mention")
    async def on_mention(event):
        seen.append(event["text"])

    handler = AsyncSocketModeHandler(app, "xapp-test")
    assert handler.client.web_client is app.client  # apps.connections.open goes to the fake
    try:
        await handler.connect_async()
        await fake.wait_for_socket()
        ack = await fake.socket_command("api down")
        assert ack["payload"] == {"text": "got api down"}
        await fake.socket_disconnect()
        await fake.wait_for("apps.connections.open", count=2)
        await fake.wait_for_socket(count=2)
        ack = await fake.socket_command("again")
        assert ack["payload"] == {"text": "got again"}
        posted = await app.client.chat_postMessage(channel="CGENERAL", text="m")
        click = fake.block_action_payload("U1", "CGENERAL", posted["ts"], button())
        assert set(await fake.socket_interaction(click)) == {"envelope_id"}
        assert await fake.socket_event({"type": "app_mention", "text": "hi", "user": "U1"})
        assert seen == ["ack", "hi"]
    finally:
        await handler.close_async()
    opens = fake.calls_to("apps.connections.open")
    assert all(c.headers["Authorization"] == "Bearer xapp-test" for c in opens)
    assert fake.violations == []
