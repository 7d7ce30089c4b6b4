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
    ROLE_SELECT = "role_select:"  # + role id
    TAKE_ROLE = "take_role:"  # + role id
    FOLLOWUP_DONE = "followup_done"
    TIMELINE_OLDER = "timeline_older"
    TIMELINE_NEWER = "timeline_newer"
    STEP_RUN = "step_run"
    STEP_ROLLBACK = "step_rollback"
    STEP_APPROVE = "step_approve"
    STEP_SKIP = "step_skip"
    STEP_CANCEL = "step_cancel"
    POST_UPDATE = "post_update"
    SNOOZE_UPDATE = "snooze_update"
    RUNBOOK_ATTACH = "runbook_attach"
    ALERT_DECLARE = "alert_declare"  # a triage message's Declare (value: the alert group's id)
    ALERT_DISMISS = "alert_dismiss"
    ALERT_RESOLVE = "alert_resolve"  # "All alerts resolved: resolve the incident?" (opens the resolution form)
    PAGE_PUBLISH = "status_page_publish"  # a preview's Publish (value: the draft's id)
    PAGE_DISCARD = "status_page_discard"
    PAGE_RESOLVED = "status_page_resolved"  # "Publish the resolved notice?" (opens its form)


class Callback(StrEnum):
    """callback_id of modals."""

    DECLARE = "declare_modal"
    DECLARE_CONFIRM = "declare_confirm_modal"
    RESOLVE = "resolve_modal"
    ADD_TO_TIMELINE = "add_to_timeline"
    STATUS_UPDATE = "status_update_modal"
    PAGE_UPDATE = "status_page_update_modal"


class Block(StrEnum):
    """block_id of blocks whose values Warroom reads."""

    TITLE = "declare_title"
    SEVERITY = "declare_severity"
    SERVICE = "declare_service"
    SUMMARY = "declare_summary"
    CLASS = "incident_class"  # the class select of the declare and resolve forms
    CARD_ACTIONS = "card_actions"
    DUPLICATE_ACTIONS = "duplicate_actions"
    CARD_ROLES = "card_roles"
    FOLLOWUP_ACTIONS = "followup_actions"
    TIMELINE_NAV = "timeline_nav"
    RESOLUTION = "resolve_resolution"
    IMPACT = "resolve_impact"
    ROOT_CAUSE = "resolve_root_cause"
    UPDATE_TEXT = "update_text"
    TRIAGE_ACTIONS = "alert_triage_actions"
    PUBLIC_TITLE = "page_public_title"
    PAGE_STATUS = "page_status"


class Field(StrEnum):
    """action_id of input elements inside modal blocks (one per block)."""

    VALUE = "value"
