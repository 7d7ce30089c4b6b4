"""structlog configuration, in one function, with a redaction processor for secrets."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog

from bot.domain.redaction import Redactor


class LogRedactor(Redactor):
    """The redaction processor: scrubs every field of every log event."""

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._value(v) for v in value)
        return value

    def __call__(self, _logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        return {k: self._value(v) for k, v in event_dict.items()}


def configure_logging(
    level: str = "info", fmt: str = "json", secrets: Iterable[str] = (), stream: TextIO | None = None
) -> None:
    """Route structlog and stdlib logging (Bolt, aiohttp, SQLAlchemy) through one redacting pipeline."""
    redactor = LogRedactor(secrets)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redactor,
    ]
    renderer = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared[:-2], structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared[:-2],
        processors=[
            structlog.processors.format_exc_info,
            redactor,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Per-request chatter from libraries stays out of the log unless it is a warning.
    for noisy in ("aiohttp.access", "sqlalchemy.engine", "slack_sdk.web"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # The timer poll runs every 0.1 s with one instance at a time; a poll skipped because the last one
    # is still sending is expected, not a warning worth a log line ten times a second.
    logging.getLogger("apscheduler.scheduler").setLevel(max(logging.ERROR, root.level))
