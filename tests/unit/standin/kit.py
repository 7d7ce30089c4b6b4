"""What the stand-in's tests build: Block Kit elements, and a Web API client on the running fake."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.standin import FakeSlack


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def button(action_id: str = "ack", text: str = "Ack", value: str = "1") -> dict:
    return {"type": "button", "action_id": action_id, "text": plain(text), "value": value}


def section(text: str = "*SEV1* api down", **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def select(options: list[dict], **extra) -> dict:
    return {"type": "static_select", "action_id": "sev", "placeholder": plain("Severity"),
            "options": options, **extra}


def option(text: str = "SEV1", value: str = "sev1") -> dict:
    return {"text": plain(text), "value": value}


def modal(**extra) -> dict:
    return {"type": "modal", "callback_id": "declare", "title": plain("Declare incident"),
            "submit": plain("Declare"), "close": plain("Cancel"),
            "blocks": [{"type": "input", "block_id": "title", "label": plain("Title"),
                        "element": {"type": "plain_text_input", "action_id": "v"}}], **extra}


def web_client(fake: FakeSlack, **kw) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake.api_url, **kw)
