"""The redactor the composition root builds: every secret Warroom holds plus warroom.yaml's restricted patterns."""

from __future__ import annotations

import contextlib

from sqlalchemy.engine import make_url

from bot.config import Config
from bot.domain.redaction import Redactor
from bot.settings import Settings
from runbooks.executors import SENSITIVE


def slack_secrets(settings: Settings) -> tuple[str, ...]:
    """The credentials the settings hold: Slack's, the health token and the alert receivers' token."""
    return tuple(s.get_secret_value() for s in (settings.slack_bot_token, settings.slack_signing_secret,
                                                settings.slack_app_token, settings.health_token,
                                                settings.alerts_token) if s is not None)


def known_secrets(config: Config) -> tuple[str, ...]:
    """Every secret value Warroom holds: Slack credentials, the database password, flag-provider tokens."""
    environ = config.environ
    values = [*slack_secrets(config.settings), *(v for k, v in environ.items() if SENSITIVE.search(k))]
    with contextlib.suppress(ValueError, TypeError):
        values.append(make_url(config.settings.database_url).password or "")
    for provider in config.flags.providers.values():
        for key, value in (provider or {}).items():
            if isinstance(value, str) and key.endswith("_env"):  # token_env, secret_env: the variable's value
                values.append(environ.get(value, ""))
            elif isinstance(value, str) and SENSITIVE.search(key.upper()):  # a secret written inline
                values.append(value)
    return tuple(v for v in values if v)


def build_redactor(config: Config) -> Redactor:
    """The redactor for logs and command output: known secrets plus warroom.yaml's restricted patterns."""
    return Redactor(known_secrets(config), config.restricted_patterns)
