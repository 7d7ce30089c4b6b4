"""Settings and the policy file fail fast by name, and never print secrets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import default_policy_text, load_policy, parse_duration, parse_policy
from bot.domain.errors import ConfigError
from bot.domain.policy import FOLLOWUP_OVERDUE_AFTER, RECURRENCE_WINDOW
from bot.settings import DEFAULT_DATABASE_URL, load_settings


def test_default_policy_has_sev0_to_sev3_from_the_seeds() -> None:
    policy = load_policy(None)
    assert policy.severities.ids() == ["SEV0", "SEV1", "SEV2", "SEV3"]
    assert policy.severities.get("SEV1").update_cadence == timedelta(minutes=15)
    assert policy.lifecycle.initial == "investigating"


def test_a_missing_policy_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_policy(tmp_path / "nope.yaml").severities.ids()[0] == "SEV0"


def test_a_policy_file_overrides_top_level_keys(tmp_path: Path) -> None:
    path = tmp_path / "warroom.yaml"
    path.write_text("announcements_channel: C0ANNOUNCE\nchannel_name_pattern: 'incident-{number}'\n")
    policy = load_policy(path)
    assert policy.announcements_channel == "C0ANNOUNCE"
    assert policy.channel_name(number=7, title="x", severity="SEV1", date="d") == "incident-7"


def test_an_invalid_policy_names_the_file_the_key_and_the_expectation(tmp_path: Path) -> None:
    path = tmp_path / "warroom.yaml"
    path.write_text(
        "severities:\n  - id: SEV1\n    label: Major\n    description: d\n"
        "    response_target: soon\n    update_cadence: 15m\n"
    )
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    message = str(info.value)
    assert str(path) in message
    assert "severities.SEV1.response_target" in message  # the entry by its id, as the file names it
    assert "expected a duration" in message


def test_changing_one_severitys_cadence_keeps_every_other_default() -> None:
    defaults = parse_policy(default_policy_text(), "defaults")
    policy = parse_policy("severities:\n  - id: SEV2\n    update_cadence: 1h\n")
    assert policy.severities.ids() == defaults.severities.ids()
    assert policy.severities.get("SEV2").update_cadence == timedelta(hours=1)
    assert policy.severities.get("SEV2").label == defaults.severities.get("SEV2").label
    assert policy.severities.get("SEV1").update_cadence == defaults.severities.get("SEV1").update_cadence


def test_nested_keys_merge_and_entries_can_be_added_or_removed_by_id() -> None:
    policy = parse_policy(
        "duplicates:\n  window: 2h\n"
        "severities:\n  - {id: SEV0, remove: true}\n"
        "  - {id: SEV4, label: Cosmetic, description: Typos, response_target: 1d, update_cadence: 0}\n"
        "roles:\n  - id: scribe\n    duties: Keeps the timeline and the decisions.\n"
    )
    assert policy.severities.ids() == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert policy.duplicate_window == timedelta(hours=2)
    assert policy.duplicate_similarity == parse_policy("", "defaults").duplicate_similarity
    scribe = next(r for r in policy.roles if r.id == "scribe")
    assert scribe.duties == "Keeps the timeline and the decisions."
    assert scribe.label == next(r for r in parse_policy("", "d").roles if r.id == "scribe").label


def test_an_unknown_key_in_the_policy_is_refused() -> None:
    with pytest.raises(ConfigError, match="severity_levels"):
        parse_policy("severity_levels: []\n")


def test_a_transition_to_an_unknown_status_is_refused() -> None:
    text = ("lifecycle:\n  initial: open\n  statuses:\n    - {id: open, label: Open, transitions: [gone]}\n"
            "    - {id: done, label: Done, closed: true}\n")
    with pytest.raises(ConfigError, match="unknown transitions"):
        parse_policy(text)


def test_yaml_syntax_errors_name_the_source() -> None:
    with pytest.raises(ConfigError, match="w.yaml is not valid YAML"):
        parse_policy("a: [unclosed", "w.yaml")


@pytest.mark.parametrize(("text", "expected"), [("15m", timedelta(minutes=15)), ("1h30m", timedelta(minutes=90)),
                                                 ("2d", timedelta(days=2)), ("0", timedelta(0)), (45, timedelta(seconds=45))])
def test_durations_parse(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_settings_defaults_are_sqlite_and_slack() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret"}, env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000 and not settings.socket_mode and settings.migrate_on_start


def test_settings_pick_the_async_driver_for_postgres_urls() -> None:
    settings = load_settings({"DATABASE_URL": "postgres://u@h/db"}, env_file=None)
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert not settings.migrate_on_start


def test_invalid_settings_name_the_variable_and_never_the_secret() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"SLACK_BOT_TOKEN": "xoxb-very-secret", "PORT": "eighty", "SLACK_API_URL": "slack"},
                      env_file=None)
    message = str(info.value)
    assert "PORT" in message and "SLACK_API_URL" in message
    assert "xoxb-very-secret" not in message


def test_missing_slack_credentials_are_named() -> None:
    settings = load_settings({}, env_file=None)
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"):
        settings.require_slack()


def test_secrets_do_not_print() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-very-secret"}, env_file=None)
    assert "xoxb-very-secret" not in repr(settings)


def test_a_dotenv_file_fills_in_what_the_environment_does_not(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("PORT=4000\nLOG_LEVEL=DEBUG\n")
    settings = load_settings({"LOG_LEVEL": "warning"}, env_file=env)
    assert settings.port == 4000 and settings.log_level == "warning"


def test_a_review_template_path_is_read_relative_to_the_policy_file(tmp_path: Path) -> None:
    (tmp_path / "review.md.j2").write_text("# {{ incident.ref }}\n")
    (tmp_path / "warroom.yaml").write_text("review_template: review.md.j2\nrole_admins: [S0ADMINS, U0BOSS]\n")
    policy = load_policy(tmp_path / "warroom.yaml")
    assert policy.review_template == "# {{ incident.ref }}\n"
    assert policy.role_admins == ("S0ADMINS", "U0BOSS")


def test_a_missing_review_template_is_named(tmp_path: Path) -> None:
    (tmp_path / "warroom.yaml").write_text("review_template: nope.j2\n")
    with pytest.raises(ConfigError, match="review_template: cannot read .*nope.j2"):
        load_policy(tmp_path / "warroom.yaml")


def test_roles_must_include_a_commander() -> None:
    with pytest.raises(ConfigError, match="commander"):
        parse_policy("roles:\n  - {id: commander, remove: true}\n  - {id: lead, label: Lead, duties: Leads}\n")


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ConfigError, match="timezone: expected an IANA time zone"):
        parse_policy("timezone: Mars/Olympus\n")


def test_the_kpis_recurrence_window_and_overdue_limit_default_to_30_days() -> None:
    policy = parse_policy("")
    assert (policy.recurrence_window, policy.followup_overdue_after) == (timedelta(days=30), timedelta(days=30))
    assert (policy.recurrence_window, policy.followup_overdue_after) == (RECURRENCE_WINDOW, FOLLOWUP_OVERDUE_AFTER)


def test_the_kpis_recurrence_window_and_overdue_limit_are_set_under_insights() -> None:
    policy = parse_policy("insights:\n  recurrence_window: 7d\n  followup_overdue_after: 2d12h\n")
    assert (policy.recurrence_window, policy.followup_overdue_after) == (timedelta(days=7), timedelta(days=2.5))
    assert parse_policy("insights:\n  followup_overdue_after: 14d\n").recurrence_window == timedelta(days=30)
    assert parse_policy("insights:\n  recurrence_window: 365d\n").recurrence_window == timedelta(days=365)  # a year: the most


@pytest.mark.parametrize("key", ["recurrence_window", "followup_overdue_after"])
@pytest.mark.parametrize(("value", "expected"), [
    ("0", "must be a duration more than zero, such as 30d or 7d"),
    ("-86400", "must be a duration more than zero, such as 30d or 7d"),
    ("a month", "expected a duration such as 30s, 15m, 1h or 2h30m"),
    ("366d", "must be at most 365d (a year), such as 30d or 90d"),
])
def test_a_bad_kpi_duration_is_refused_by_its_key(key: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_policy(f"insights:\n  {key}: {value}\n", "w.yaml")
    assert str(info.value) == f"w.yaml is invalid:\n  insights.{key}: {expected}"
