"""A form submission that fails before it is acked keeps the form open, the typed text in it, the error shown."""

from __future__ import annotations

from typing import Any

from bot.domain.errors import StorageUnavailable
from handlers.errors import InFlight, guard


class Ack:
    def __init__(self) -> None:
        self.response: dict[str, Any] | None = None

    async def __call__(self, **kwargs: Any) -> None:
        self.response = kwargs


class Client:
    def __init__(self) -> None:
        self.dms: list[dict[str, Any]] = []

    async def chat_postMessage(self, **kwargs: Any) -> None:  # noqa: N802 - slack_sdk's name
        self.dms.append(kwargs)


async def _submit(view: dict[str, Any]) -> tuple[Ack, Client]:
    async def listener(ack: Any, view: dict[str, Any]) -> None:
        raise StorageUnavailable("database down")  # e.g. the read a form does before it acks

    ack, client = Ack(), Client()
    await guard(listener, InFlight())(
        ack=ack, body={"type": "view_submission", "user": {"id": "U1"}}, respond=None, client=client,  # type: ignore[arg-type]
        payload={}, command=None, action=None, view=view, event=None, context={}, say=None, logger=None)
    return ack, client


async def test_the_error_is_shown_on_the_forms_first_input_and_the_form_stays_open() -> None:
    ack, client = await _submit({"blocks": [{"type": "section", "block_id": "intro"},
                                            {"type": "input", "block_id": "resolution"},
                                            {"type": "input", "block_id": "impact"}]})
    assert ack.response is not None and ack.response["response_action"] == "errors"
    assert list(ack.response["errors"]) == ["resolution"]
    assert ack.response["errors"]["resolution"].startswith(":warning: Not saved: the database is unreachable.")
    assert client.dms == []  # said once, in the form


async def test_a_form_without_inputs_is_closed_and_the_error_sent_as_a_message() -> None:
    ack, client = await _submit({"blocks": [{"type": "section", "block_id": "intro"}]})
    assert ack.response == {}
    assert [dm["channel"] for dm in client.dms] == ["U1"] and "Not saved" in client.dms[0]["text"]
