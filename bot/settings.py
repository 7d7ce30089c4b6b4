"""Process settings from the environment (and a `.env` file), loaded once into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.domain.errors import ConfigError
from bot.validation_errors import error_message

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./warroom.db"
DEFAULT_PUBLIC_URL = "https://warroom.example.com"

# env var -> (field, description, default shown in docs); the README table is checked against this.
ENV_VARS: dict[str, tuple[str, str]] = {
    "SLACK_BOT_TOKEN": ("slack_bot_token", "Bot token (xoxb-...). Required."),
    "SLACK_SIGNING_SECRET": ("slack_signing_secret", "Signing secret used to verify Slack's requests. Required."),
    "SLACK_APP_TOKEN": ("slack_app_token", "App-level token (xapp-...); when set Warroom uses Socket Mode."),
    "SLACK_API_URL": ("slack_api_url", "Slack Web API base URL; point it at a Slack-compatible test server."),
    "DATABASE_URL": ("database_url", "SQLAlchemy URL; SQLite file by default, postgresql://... in production."),
    "HOST": ("host", "Interface the HTTP server listens on."),
    "PORT": ("port", "Port the HTTP server listens on."),
    "PUBLIC_URL": ("public_url", "Public base URL of this bot: the Slack manifest's request URLs and App Home's chart images."),
    "LOG_LEVEL": ("log_level", "debug, info, warning or error."),
    "LOG_FORMAT": ("log_format", "json (one event per line) or console (readable)."),
    "WARROOM_CONFIG": ("warroom_config", "Path of the incident policy file; built-in defaults when missing."),
    "WARROOM_AUTO_MIGRATE": ("auto_migrate", "Apply migrations at start (default: on for SQLite, off otherwise)."),
    "WARROOM_RUNBOOKS": ("runbooks", "Your runbook directories, separated by ':', added to the shipped library."),
    "WARROOM_SHIPPED_RUNBOOKS": ("shipped_runbooks", "Load the shipped runbook library too (true or false)."),
    "WARROOM_TIMER_POLL_SECONDS": ("timer_poll_seconds", "How often due reminders are looked for; 0 turns the timers off."),
    "WARROOM_LIST_CACHE_SECONDS": ("list_cache_seconds", "How long another replica's change may take to show in /incident list."),
    "WARROOM_CHANNEL_RATE": ("channel_rate", "Messages a second Warroom sends to one channel, on average (Slack: about 1)."),
    "WARROOM_SLACK_TIMEOUT_SECONDS": ("slack_timeout_seconds", "How long a Slack call may take before it is retried (messages are looked up first, never posted twice)."),
    "WARROOM_SLACK_RETRY_SECONDS": ("slack_retry_seconds", "Wait before retrying a failed Slack call; it doubles each time, up to 60 s."),
    "WARROOM_CHANNEL_BURST": ("channel_burst", "Messages Warroom may send to one channel at once before that pace applies."),
    "WARROOM_HEALTH_TOKEN": ("health_token", "Bearer token that shows /health's details to a caller that is not local."),
    "WARROOM_ALERTS_TOKEN": ("alerts_token", "Bearer token Alertmanager and Grafana send to POST /alerts/...; unset: those answer 404."),
}


def normalise_database_url(url: str) -> str:
    """Pick the async driver for the URL's database (asyncpg for PostgreSQL, aiosqlite for SQLite)."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    return url


class Settings(BaseModel):
    """Warroom's process settings; secrets are SecretStr so they never print."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)  # 0: any free port
    public_url: str = DEFAULT_PUBLIC_URL
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
    warroom_config: Path = Path("warroom.yaml")
    auto_migrate: bool | None = None
    runbooks: str = ""
    shipped_runbooks: bool = True
    list_cache_seconds: float = Field(default=2.0, ge=0, le=60)
    timer_poll_seconds: float = Field(default=0.1, ge=0, le=60)
    channel_rate: float = Field(default=1.0, gt=0, le=100)
    channel_burst: int = Field(default=4, ge=1, le=100)
    slack_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    slack_retry_seconds: float = Field(default=1.0, gt=0, le=60)
    health_token: SecretStr | None = None
    alerts_token: SecretStr | None = None

    @property
    def runbook_dirs(self) -> list[Path]:
        """The team's runbook directories (WARROOM_RUNBOOKS), loaded after the shipped library."""
        return [Path(p) for p in self.runbooks.split(os.pathsep) if p]

    @property
    def runbook_library(self) -> Path | None:
        """The shipped library, unless WARROOM_SHIPPED_RUNBOOKS turns it off."""
        from runbooks.loader import LIBRARY

        return LIBRARY if self.shipped_runbooks else None

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        url = normalise_database_url(value)
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("expected a sqlite:///path or postgresql://user@host/db URL")
        return url

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is configured."""
        return self.slack_app_token is not None

    @property
    def public_url_set(self) -> bool:
        """True when PUBLIC_URL names this bot (not the placeholder the manifest falls back to)."""
        return self.public_url != DEFAULT_PUBLIC_URL

    @property
    def is_sqlite(self) -> bool:
        """True when the database is a SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def migrate_on_start(self) -> bool:
        """Whether to apply migrations at start (SQLite by default; PostgreSQL must run `warroom migrate`)."""
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate

    def require_slack(self) -> None:
        """Raise ConfigError naming each missing Slack credential (no signing secret needed in Socket Mode)."""
        needed = ("slack_bot_token",) if self.socket_mode else ("slack_bot_token", "slack_signing_secret")
        missing = [name for name, (field, _) in ENV_VARS.items() if field in needed and getattr(self, field) is None]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} must be set (from your Slack app's settings: "
                "OAuth & Permissions for the bot token, Basic Information for the signing secret)."
            )


def load_settings(environ: Mapping[str, str], env_file: Path | None = Path(".env")) -> Settings:
    """Build Settings from `environ`, falling back to `env_file`; errors name the variable."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(environ)
    data = {field: values[name] for name, (field, _) in ENV_VARS.items() if values.get(name, "") != ""}
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        by_field = {field: name for name, (field, _) in ENV_VARS.items()}
        problems = [
            f"{by_field.get(str(err['loc'][0]), err['loc'][0])}: {error_message(err)}" for err in exc.errors()
        ]
        raise ConfigError("Invalid settings:\n  " + "\n  ".join(problems)) from None
