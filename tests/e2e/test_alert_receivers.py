"""The alert receivers over HTTP: the bearer token before anything, 404 when alerts are off, malformed bodies
refused, a notification stored before the answer (fast, and once however often it is retried), Grafana's
documented payload declared with its dashboard links."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import yaml

from bot.standin import FakeSlack
from tests.alerting import alert, alertmanager, body, grafana
from tests.databases import fresh_database
from tests.e2e.harness import Bot, running_bot
from tests.e2e.monitoring import README_URL, readme_snippet

TOKEN = "receiver-token-9c2e"


async def _post(bot: Bot, source: str, data: bytes, token: str | None = TOKEN,
                scheme: str = "Bearer") -> tuple[int, float]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"{scheme} {token}"
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        async with session.post(f"{bot.base_url}/alerts/{source}", data=data, headers=headers) as resp:
            await resp.read()
            return resp.status, time.perf_counter() - started


async def test_without_a_token_configured_the_receivers_do_not_exist(bot: Bot) -> None:
    status, _ = await _post(bot, "alertmanager", body(alertmanager("X", [alert("fp1")])))
    assert status == 404


async def test_a_wrong_or_missing_token_is_refused_and_nothing_is_stored(fake_slack: FakeSlack, tmp_path: Path) -> None:
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path,
                           env={"WARROOM_ALERTS_TOKEN": TOKEN}) as bot:
        payload = body(alertmanager("ImportsFailing", [alert("fp1")]))
        assert (await _post(bot, "alertmanager", payload, token="wrong"))[0] == 401
        assert (await _post(bot, "alertmanager", payload, token=None))[0] == 401
        assert (await _post(bot, "grafana", payload, token=TOKEN[:-1]))[0] == 401
        assert (await _post(bot, "pagerduty", payload))[0] == 404
        assert (await _post(bot, "alertmanager", payload, scheme="Basic"))[0] == 401
        assert await bot.warroom.services.alerts.process_pending() == 0  # type: ignore[union-attr]
        # The scheme is case-insensitive (RFC 9110): a client that writes "bearer" is let in.
        assert (await _post(bot, "alertmanager", payload, scheme="bearer"))[0] == 200
        assert fake_slack.calls_to("conversations.create") == []


async def test_a_malformed_notification_is_refused_with_400(fake_slack: FakeSlack, tmp_path: Path) -> None:
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path,
                           env={"WARROOM_ALERTS_TOKEN": TOKEN}) as bot:
        assert (await _post(bot, "alertmanager", b"{not json"))[0] == 400
        assert (await _post(bot, "alertmanager", b'{"version": "4", "alerts": []}'))[0] == 400
        assert (await _post(bot, "alertmanager", body({**alertmanager("X", [alert("fp1")]), "version": "3"})))[0] == 400


async def test_a_notification_is_answered_fast_stored_once_and_declared_once(fake_slack: FakeSlack,
                                                                             tmp_path: Path) -> None:
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path,
                           env={"WARROOM_ALERTS_TOKEN": TOKEN}) as bot:
        payload = body(alertmanager("ImportsFailing", [alert("fp1")]))
        answers = [await _post(bot, "alertmanager", payload) for _ in range(3)]  # Alertmanager retrying
        assert [status for status, _ in answers] == [200, 200, 200]
        assert max(elapsed for _, elapsed in answers) < 0.5  # the bench measures the p99 under a storm
        [create] = await fake_slack.wait_for("conversations.create")
        await fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("channel") == create.response["channel"]["id"])
        await bot.settled()
        status, metrics = await bot.get("/metrics")
        assert status == 200 and "warroom_alert_notifications_pending 0.0" in metrics
        assert 'warroom_requests_total{kind="alerts",status="200"} 3.0' in metrics
        assert len(fake_slack.calls_to("conversations.create")) == 1
        incident = await bot.warroom.incidents.for_channel(fake_slack.state.team_id, create.response["channel"]["id"])
        timeline = [e.text for e in await bot.warroom.incidents.timeline(fake_slack.state.team_id, incident.id)]
        assert timeline.count("Alert firing: ImportsFailing · ImportsFailing on fp1 (fp1)") == 1


async def test_grafanas_documented_payload_declares_with_its_dashboard_and_panel_on_the_card(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path,
                           env={"WARROOM_ALERTS_TOKEN": TOKEN}) as bot:
        payload = grafana([alert("c6eadffa33fcdf37", name="High memory usage", summary="Memory high in us-1")])
        assert (await _post(bot, "grafana", body(payload)))[0] == 200
        [create] = await fake_slack.wait_for("conversations.create")
        channel = create.response["channel"]["id"]
        [card] = await fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("channel") == channel
                                           and "header" in str(c.params.get("blocks")))
        text = str(card.params["blocks"])
        assert "<https://grafana.example/d/abc|Dashboard>" in text and "|Panel>" in text
        assert card.params["blocks"][0]["text"]["text"] == "INC-1: Memory high in us-1"


async def test_the_readme_grafana_contact_point_sends_what_the_receiver_accepts(fake_slack: FakeSlack,
                                                                                tmp_path: Path) -> None:
    [receiver] = yaml.safe_load(readme_snippet("Grafana"))["contactPoints"][0]["receivers"]
    settings = receiver["settings"]
    assert receiver["type"] == "webhook" and settings["httpMethod"] == "POST"
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path,
                           env={"WARROOM_ALERTS_TOKEN": TOKEN}) as bot:
        url = settings["url"].replace(README_URL, bot.base_url)
        # What Grafana sends with those settings: `Authorization: <scheme> <credentials>`.
        header = f"{settings['authorization_scheme']} {settings['authorization_credentials']}".replace(
            "<WARROOM_ALERTS_TOKEN>", TOKEN)
        async with aiohttp.ClientSession() as session, session.post(
                url, data=body(grafana([alert("g1")])), headers={"Authorization": header}) as resp:
            assert resp.status == 200
        await fake_slack.wait_for("conversations.create")


async def test_an_alerts_card_is_posted_after_two_round_trips_like_any_declare(fake_slack: FakeSlack,
                                                                               tmp_path: Path) -> None:
    async with running_bot(fake_slack, f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", tmp_path,
                           env={"WARROOM_ALERTS_TOKEN": TOKEN}) as bot:
        await fake_slack.wait_for("auth.test")  # the workspace alerts go to, asked at start
        fake_slack.latency = 0.1
        started = len(fake_slack.calls)
        assert (await _post(bot, "alertmanager", body(alertmanager("ImportsFailing", [alert("fp1")]))))[0] == 200
        [create] = await fake_slack.wait_for("conversations.create", timeout=10)
        channel = create.response["channel"]["id"]
        [card] = await fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("channel") == channel, timeout=10)
        await bot.settled()
        assert [c.method for c in fake_slack.calls[started:] if c.at < create.at] == []  # round trip 1: the channel
        topic = fake_slack.calls_to("conversations.setTopic")[0]
        announcement = next(c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == "CANNOUNCE")
        second = [card, topic, announcement]  # round trip 2: together, none waiting for another
        assert card.at > create.answered_at and max(c.at for c in second) < min(c.answered_at for c in second)


async def test_a_notification_stored_while_slack_was_down_is_declared_once_after_a_restart(
        fake_slack: FakeSlack, tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    payload = body(alertmanager("ImportsFailing", [alert("fp1")]))
    fake_slack.fail_next("conversations.create", status=500, retry_after=None, error="internal_error", times=1000)
    async with running_bot(fake_slack, database, tmp_path, env={"WARROOM_ALERTS_TOKEN": TOKEN}) as first:
        assert (await _post(first, "alertmanager", payload))[0] == 200
        await fake_slack.wait_for("conversations.create")  # tried, refused: Slack is down
    fake_slack.reset_faults()
    async with running_bot(fake_slack, database, tmp_path, env={"WARROOM_ALERTS_TOKEN": TOKEN}) as restarted:
        created = await fake_slack.wait_for("conversations.create", lambda c: c.response.get("ok") is True, timeout=10)
        channel = created[0].response["channel"]["id"]
        assert (await _post(restarted, "alertmanager", payload))[0] == 200  # Alertmanager's retry
        later = body(alertmanager("ImportsFailing", [alert("fp1"), alert("fp2")]))
        assert (await _post(restarted, "alertmanager", later))[0] == 200
        await fake_slack.wait_for("chat.postMessage", lambda c: c.params.get("channel") == channel
                                  and "fp2" in str(c.params.get("text")), timeout=10)
        await restarted.settled()
        incidents = await restarted.warroom.incidents.list_open(fake_slack.state.team_id)
        assert [i.channel_id for i in incidents] == [channel]
        assert len([c for c in fake_slack.calls_to("conversations.create") if c.response.get("ok")]) == 1


async def test_two_replicas_on_one_postgresql_database_declare_each_group_once(fake_slack: FakeSlack,
                                                                                tmp_path: Path) -> None:
    async with fresh_database("postgresql", tmp_path) as database, \
            running_bot(fake_slack, database, tmp_path, env={"WARROOM_ALERTS_TOKEN": TOKEN}) as one, \
            running_bot(fake_slack, database, tmp_path, env={"WARROOM_ALERTS_TOKEN": TOKEN}) as two:
        groups = [f"Group{n}" for n in range(4)]
        posts = []
        for group in groups:  # every notification to both replicas, as two Alertmanagers in a cluster may send
            first = body(alertmanager(group, [alert(f"{group}-a", name=group)]))
            both = body(alertmanager(group, [alert(f"{group}-a", name=group), alert(f"{group}-b", name=group)]))
            posts += [_post(one, "alertmanager", first), _post(two, "alertmanager", first),
                      _post(two, "alertmanager", both), _post(one, "alertmanager", both)]
        assert {status for status, _ in await asyncio.gather(*posts)} == {200}
        await fake_slack.wait_for("chat.postMessage", lambda c: "-b" in str(c.params.get("text"))
                                  and "Alert firing" in str(c.params.get("text")), count=len(groups), timeout=15)
        await one.settled()
        await two.settled()
        names = sorted(c.params["name"] for c in fake_slack.calls_to("conversations.create"))
        assert len(names) == len(groups) and all(any(g.lower() in n for n in names) for g in groups)
