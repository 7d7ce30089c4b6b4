"""Incident classes are policy data: the shipped ones, a team's own, and how a typed class is found."""

from __future__ import annotations

import pytest

from bot.config import default_policy_text, parse_policy
from bot.domain.classes import DEFAULT_CLASSES, IncidentClass, class_label, find_class
from bot.domain.errors import ConfigError, InvalidCommand

SEED_CLASSES = ["import-pipeline", "audit-failure", "restricted-telemetry", "cross-tenant-authorization",
                "queue-failure", "storage-permissions", "workflow-500"]


def test_the_shipped_policy_has_the_seeds_classes_and_the_domain_defaults_agree() -> None:
    policy = parse_policy(default_policy_text())
    assert [c.id for c in policy.classes] == SEED_CLASSES
    assert policy.classes == DEFAULT_CLASSES


def test_a_team_adds_a_class_and_removes_a_shipped_one_by_id() -> None:
    policy = parse_policy("classes:\n  - {id: dns, label: DNS}\n  - {id: queue-failure, remove: true}\n")
    ids = [c.id for c in policy.classes]
    assert ids[-1] == "dns" and "queue-failure" not in ids and len(ids) == 7


def test_a_class_id_that_is_not_a_slug_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match="classes"):
        parse_policy("classes:\n  - {id: Not A Slug, label: x}\n")


def test_a_typed_class_is_found_by_id_or_label_ignoring_case() -> None:
    assert find_class(DEFAULT_CLASSES, "WORKFLOW-500").id == "workflow-500"
    assert find_class(DEFAULT_CLASSES, " storage permissions ").id == "storage-permissions"


def test_an_unknown_class_names_the_valid_ones() -> None:
    with pytest.raises(InvalidCommand, match="`dns` is not an incident class. Valid classes: `a`."):
        find_class((IncidentClass("a", "A"),), "dns")


def test_a_class_the_policy_no_longer_has_shows_its_id() -> None:
    assert class_label(DEFAULT_CLASSES, "audit-failure") == "Audit failure"
    assert class_label(DEFAULT_CLASSES, "retired") == "retired"
