"""In the sandbox, a command's interim reply goes away when the bot replaces it, as in Slack."""

from __future__ import annotations

from bot.sandbox import Sandbox
from tests.browser.test_sandbox_api import ADA, BEN, _act, _mine, _until


async def test_the_look_alike_warning_replaces_the_interim_declaring_reply(sandbox: Sandbox) -> None:
    await _act(sandbox, "type", ADA, channel="CGENERAL", text="/incident declare sev1 Imports failing")
    await _until(sandbox, lambda: _mine(sandbox, ADA, "INC-1 declared"), "no confirmation")
    await _act(sandbox, "type", BEN, channel="CGENERAL", text="/incident declare sev2 imports are failing")
    [warning] = await _until(sandbox, lambda: _mine(sandbox, BEN, "already open"), "no look-alike warning")
    assert "INC-1" in warning["blocks"][0]["text"]["text"]
    assert _mine(sandbox, BEN, "Declaring") == [] and _mine(sandbox, ADA, "Declaring") == []
    assert [e["text"] for e in sandbox.live.ephemerals if e["user"] == BEN] == [warning["text"]]
    assert sandbox.fake.violations == []
