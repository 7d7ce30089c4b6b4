"""Redaction: secrets and restricted values never reach a log line, whoever logs them and however."""

from __future__ import annotations

import io
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import structlog

from bot.config import load_config, read_config_file
from bot.domain.errors import ConfigError, FlagProviderError
from bot.domain.redaction import REDACTED, Redactor
from bot.log import configure_logging
from bot.redactor import build_redactor, known_secrets
from handlers.errors import message_for

BOT_TOKEN = "xoxb-1111-2222-AbCdEfGhIjKl"
APP_TOKEN = "xapp-1-A0001-3333-ffeeddcc"
SIGNING_SECRET = "5f0c3e1d9b8a7f6e5d4c3b2a19081726"  # no recognisable shape: only known-value matching finds it
WEBHOOK = "https://hooks.slack.com/services/T0001/B0002/XyZ123abc456"
IBAN = "GB29NWBK60161331926819"
ACCOUNT = "20-00-00 55779911"
PAYER = "payer id PYR-4417-0093"
CSV_ROW = "2026-01-27,ACME Ltd,55779911,1250.00,INV-1042"
PATTERNS = read_config_file(None).restricted_patterns


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Logging configured as `warroom serve` does, into a buffer; restored afterwards."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("debug", "json", secrets=[SIGNING_SECRET], stream=stream, patterns=PATTERNS)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.captureWarnings(False)
        structlog.reset_defaults()


def assert_clean(text: str) -> None:
    for value in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, WEBHOOK, IBAN, "55779911", "PYR-4417-0093", CSV_ROW):
        assert value not in text, f"{value!r} leaked into: {text}"
    assert REDACTED in text


def test_each_kind_of_secret_is_removed_from_text() -> None:
    redactor = Redactor([SIGNING_SECRET], PATTERNS)
    for value in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, WEBHOOK, IBAN, ACCOUNT, PAYER, CSV_ROW,
                  "Authorization: Bearer abcdefgh12345678", "postgresql://warroom:s3cretpw@db/warroom"):
        scrubbed = redactor.scrub(f"before {value} after")
        assert REDACTED in scrubbed and value not in scrubbed
        assert scrubbed.startswith("before") or value == CSV_ROW  # a CSV row goes with the rest of its line


def test_known_secrets_are_removed_in_their_url_encoded_and_json_escaped_forms() -> None:
    secret = 'p@ss/w"rd+secret'
    redactor = Redactor([secret])
    for form in (quote(secret, safe=""), json.dumps(secret)[1:-1], secret):
        assert redactor.scrub(f"x {form} y") == f"x {REDACTED} y"


def test_ordinary_log_values_are_left_alone() -> None:
    redactor = Redactor([SIGNING_SECRET], PATTERNS)
    text = "INC-12 sev1 declared by U0123ABC in C0456DEF at 1712345678.000100, ref 12345678, took 250 ms"
    assert redactor.scrub(text) == text


def test_structlog_events_are_redacted_in_every_nested_field(log_stream: io.StringIO) -> None:
    structlog.get_logger("t").info("declared", title=f"Imports {IBAN}", extra={"note": [PAYER, (CSV_ROW,)]},
                                   token=BOT_TOKEN, url=WEBHOOK, secret=SIGNING_SECRET, obj=Path(ACCOUNT))
    assert_clean(log_stream.getvalue())
    assert json.loads(log_stream.getvalue())["event"] == "declared"


def test_library_log_records_are_redacted_in_message_and_args(log_stream: io.StringIO) -> None:
    logging.getLogger("slack_bolt.App").error("request failed for %s with %s", BOT_TOKEN, {"row": CSV_ROW})
    logging.getLogger("aiohttp.client").warning(f"posting to {WEBHOOK} for {PAYER} / {IBAN} / {SIGNING_SECRET}")
    assert_clean(log_stream.getvalue())
    assert len(log_stream.getvalue().splitlines()) == 2


def test_tracebacks_of_exceptions_quoting_a_secret_are_redacted(log_stream: io.StringIO) -> None:
    def fail() -> None:
        token, row = BOT_TOKEN, CSV_ROW  # noqa: F841  (locals appear in some traceback renderers)
        raise RuntimeError(f"Slack said no to {BOT_TOKEN} ({SIGNING_SECRET}) importing {CSV_ROW} for {IBAN}")

    try:
        fail()
    except RuntimeError:
        structlog.get_logger("t").exception("structlog_failure")
        logging.getLogger("slack_bolt.App").exception("library failure %s", PAYER)
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert [e["event"] for e in lines] == ["structlog_failure", f"library failure {REDACTED}"]
    assert all("Traceback" in e["exception"] and "RuntimeError" in e["exception"] for e in lines)
    assert_clean(log_stream.getvalue())


def test_warnings_go_through_the_redacting_log(log_stream: io.StringIO) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)
        warnings.warn(f"deprecated call with {BOT_TOKEN} for {IBAN}", UserWarning, stacklevel=1)
    assert "UserWarning" in log_stream.getvalue()
    assert_clean(log_stream.getvalue())


def test_restricted_patterns_come_from_the_config_and_add_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "warroom.yaml"
    path.write_text("redaction:\n  restricted_patterns:\n    client: 'CLIENT-\\d{4}'\n    csv_row: ''\n")
    patterns = read_config_file(path).restricted_patterns
    assert set(patterns) == {"iban", "bank_account", "payer_id", "client"}
    redactor = Redactor((), patterns)
    assert redactor.scrub("CLIENT-1234 " + IBAN) == f"{REDACTED} {REDACTED}"
    assert redactor.scrub(CSV_ROW) == CSV_ROW  # the team turned csv_row off


def test_the_defaults_apply_without_a_warroom_yaml(tmp_path: Path) -> None:
    assert read_config_file(tmp_path / "missing.yaml").restricted_patterns == PATTERNS
    assert set(PATTERNS) == {"iban", "bank_account", "payer_id", "csv_row"}


def test_a_bad_restricted_pattern_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "warroom.yaml"
    path.write_text("redaction:\n  restricted_patterns:\n    payer: '(unclosed'\n")
    with pytest.raises(ConfigError, match=r"redaction\.restricted_patterns.*payer: not a valid regular expression"):
        read_config_file(path)


def test_every_secret_the_settings_and_flag_providers_hold_is_known(tmp_path: Path) -> None:
    config = tmp_path / "warroom.yaml"
    config.write_text("flag_providers:\n  billing: {type: webhook, url: 'https://flags.internal', "
                      "secret_env: BILLING_FLAGS_HMAC}\n")
    environ = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_APP_TOKEN": APP_TOKEN,
               "DATABASE_URL": "postgresql://warroom:pg-pass-778@db:5432/warroom", "WARROOM_CONFIG": str(config),
               "UNLEASH_ADMIN_TOKEN": "unleash-admin-991", "BILLING_FLAGS_HMAC": "hmac-value-313",
               "WARROOM_ALERTS_TOKEN": "alerts-token-424"}
    config = load_config(environ, env_file=None)
    secrets = set(known_secrets(config))
    assert {BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, "pg-pass-778", "unleash-admin-991", "hmac-value-313",
            "alerts-token-424"} <= secrets
    redactor = build_redactor(config)
    assert redactor.scrub("hmac-value-313 and " + IBAN) == f"{REDACTED} and {REDACTED}"


def test_error_text_shown_in_slack_does_not_quote_credentials() -> None:
    text, ref = message_for(FlagProviderError(f"billing: POST {WEBHOOK}?token=abcdefgh1234 failed"))
    assert ref is not None and WEBHOOK not in text and "abcdefgh1234" not in text and "billing: POST" in text
