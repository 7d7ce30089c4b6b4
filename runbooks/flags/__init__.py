"""Feature-flag providers: where the kill switches that runbook steps flip actually live.

Each provider implements `bot.domain.ports.FlagProvider`. They are configured by name in
warroom.yaml under `flag_providers`, one mapping per provider with a `type`:

    flag_providers:
      app-config: {type: file, path: ../app/config/feature-flags.yaml}   # format: yaml|json (else by extension)
      flagd:      {type: flagd, path: /etc/flagd/flags.json}
      unleash:    {type: unleash, url: https://unleash.example.com, token_env: UNLEASH_ADMIN_TOKEN,
                   project: default, environment: production}
      billing:    {type: webhook, url: https://billing.internal/flags, secret_env: BILLING_FLAGS_SECRET}

Relative paths are resolved against the directory of warroom.yaml. Secrets are never written in
the file: the config names the environment variables that hold them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.domain.errors import ConfigError
from bot.domain.ports import FlagProvider
from runbooks.flags.file import FileFlagProvider
from runbooks.flags.flagd import FlagdFileProvider
from runbooks.flags.unleash import UnleashProvider
from runbooks.flags.webhook import WebhookFlagProvider

__all__ = [
    "FileFlagProvider",
    "FileProviderConfig",
    "FlagdFileProvider",
    "FlagdProviderConfig",
    "ProviderConfig",
    "UnleashProvider",
    "UnleashProviderConfig",
    "WebhookFlagProvider",
    "WebhookProviderConfig",
    "build_providers",
    "close_providers",
]

_HTTP_URL = r"^https?://[^\s/]+\S*$"
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileProviderConfig(_Config):
    """A YAML or JSON file of `FLAG: value` pairs."""

    type: Literal["file"]
    path: Path
    format: Literal["yaml", "json"] | None = None


class FlagdProviderConfig(_Config):
    """A flagd flag-definition file."""

    type: Literal["flagd"]
    path: Path


class UnleashProviderConfig(_Config):
    """Toggles of one Unleash project, on/off in one environment; the admin token comes from `token_env`."""

    type: Literal["unleash"]
    url: Annotated[str, Field(pattern=_HTTP_URL)]
    token_env: Annotated[str, Field(pattern=_ENV_NAME)]
    project: str = "default"
    environment: str = "development"


class WebhookProviderConfig(_Config):
    """A team's own endpoint implementing the webhook contract; requests signed when `secret_env` is set."""

    type: Literal["webhook"]
    url: Annotated[str, Field(pattern=_HTTP_URL)]
    secret_env: Annotated[str, Field(pattern=_ENV_NAME)] | None = None


ProviderConfig = Annotated[
    FileProviderConfig | FlagdProviderConfig | UnleashProviderConfig | WebhookProviderConfig,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[ProviderConfig] = TypeAdapter(ProviderConfig)
_TYPES = ("file", "flagd", "unleash", "webhook")


def parse_config(name: str, raw: Any) -> ProviderConfig:
    """Validate one provider's settings; a ConfigError names each bad key and what it expects."""
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            if loc and loc[0] in _TYPES:  # pydantic's union tag, not a key of the file
                loc = loc[1:]
            key = ".".join(["flag_providers", name, *loc])
            problems.append(f"{key}: {_explain(error['type'], loc, error['msg'])}")
        raise ConfigError("; ".join(problems)) from None


def _explain(kind: str, loc: list[str], message: str) -> str:
    """Pydantic's message, or a plainer one where it would show a regex."""
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        return f"`type` must be one of {', '.join(_TYPES)}"
    if kind == "string_pattern_mismatch" and loc and loc[-1] == "url":
        return "expected an http:// or https:// URL"
    if kind == "string_pattern_mismatch":
        return "expected the name of an environment variable (letters, digits, _)"
    return message


def _secret(name: str, key: str, variable: str, environ: Mapping[str, str]) -> str:
    value = environ.get(variable, "")
    if not value:
        raise ConfigError(
            f"flag_providers.{name}.{key}: the environment variable {variable} is not set; "
            "set it to the secret this provider needs"
        )
    return value


def build_provider(name: str, config: ProviderConfig, environ: Mapping[str, str], base_dir: Path) -> FlagProvider:
    """One provider from its validated settings."""
    match config:
        case FileProviderConfig():
            try:
                return FileFlagProvider(name, base_dir / config.path.expanduser(), config.format)
            except ConfigError as exc:
                raise ConfigError(f"flag_providers.{name}.path: {exc}") from None
        case FlagdProviderConfig():
            return FlagdFileProvider(name, base_dir / config.path.expanduser())
        case UnleashProviderConfig():
            token = _secret(name, "token_env", config.token_env, environ)
            return UnleashProvider(name, config.url, token, config.project, config.environment)
        case WebhookProviderConfig():
            secret = _secret(name, "secret_env", config.secret_env, environ) if config.secret_env else None
            return WebhookFlagProvider(name, config.url, secret)
    raise AssertionError(f"unhandled provider config {config!r}")


def build_providers(
    configs: Mapping[str, Mapping[str, Any]], environ: Mapping[str, str], base_dir: Path
) -> dict[str, FlagProvider]:
    """Every configured provider by name; relative paths are resolved against `base_dir`."""
    return {
        name: build_provider(name, parse_config(name, raw), environ, base_dir) for name, raw in configs.items()
    }


async def close_providers(providers: Mapping[str, FlagProvider]) -> None:
    """Release what the providers hold (HTTP sessions); providers without `close` are skipped."""
    for provider in providers.values():
        close = getattr(provider, "close", None)
        if close is not None:
            await close()
