"""Every action_id, callback_id and block_id Warroom uses, in one place."""

from __future__ import annotations

from enum import StrEnum

SLASH_COMMAND = "/incident"


class Action(StrEnum):
    """action_id of interactive elements."""

    CARD_STATUS = "card_status_select"
    CARD_SEVERITY = "card_severity_select"
    DECLARE_ANYWAY = "declare_anyway"
    JOIN_EXISTING = "join_existing_incident"


class Callback(StrEnum):
    """callback_id of modals."""

    DECLARE = "declare_modal"
    DECLARE_CONFIRM = "declare_confirm_modal"


class Block(StrEnum):
    """block_id of blocks whose values Warroom reads."""

    TITLE = "declare_title"
    SEVERITY = "declare_severity"
    SERVICE = "declare_service"
    SUMMARY = "declare_summary"
    CARD_ACTIONS = "card_actions"
    DUPLICATE_ACTIONS = "duplicate_actions"


class Field(StrEnum):
    """action_id of input elements inside modal blocks (one per block)."""

    VALUE = "value"
