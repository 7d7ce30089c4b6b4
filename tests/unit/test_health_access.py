"""Who may see /health's details: loopback callers not behind a proxy, and holders of WARROOM_HEALTH_TOKEN."""

from __future__ import annotations

import pytest

from bot.health import may_see_details, public_view
from bot.settings import load_settings


@pytest.mark.parametrize(("remote", "headers", "token", "allowed"), [
    ("127.0.0.1", {}, None, True),
    ("::1", {}, None, True),
    ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}, None, False),
    ("127.0.0.1", {"Forwarded": "for=203.0.113.7"}, None, False),
    ("203.0.113.7", {}, None, False),
    ("203.0.113.7", {"Authorization": "Bearer s3cret"}, None, False),
    ("203.0.113.7", {"Authorization": "Bearer s3cret"}, "s3cret", True),
    ("203.0.113.7", {"Authorization": "Bearer s3cre"}, "s3cret", False),
    ("203.0.113.7", {"Authorization": "s3cret"}, "s3cret", False),
    ("203.0.113.7", {"Authorization": "Bearer sécret"}, "s3cret", False),
    (None, {}, None, False),
    ("not-an-address", {}, None, False),
])
def test_who_may_see_health_details(remote: str | None, headers: dict[str, str], token: str | None,
                                    allowed: bool) -> None:
    assert may_see_details(remote, headers, token) is allowed


def test_the_public_view_keeps_each_checks_status_only() -> None:
    body = {"status": "degraded", "checks": {
        "database": {"status": "fail", "detail": "unreachable (postgresql+asyncpg://warroom@db.internal:5432/prod)"},
        "slack": {"status": "ok", "detail": "authenticated as warroom in Acme", "team_id": "T123"}}}
    assert public_view(body) == {"status": "degraded", "checks": {"database": {"status": "fail"},
                                                                  "slack": {"status": "ok"}}}


def test_the_health_token_is_a_secret_setting() -> None:
    settings = load_settings({"WARROOM_HEALTH_TOKEN": "s3cret"}, env_file=None)
    assert settings.health_token is not None and settings.health_token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
