"""structlog configuration, in one function, with a redaction processor for secrets and restricted values."""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable, Mapping, MutableMapping
from types import TracebackType
from typing import Any, TextIO

import structlog

from bot.domain.redaction import Redactor

# Keys ProcessorFormatter keeps in the event for itself; they hold objects, not text, and are removed before rendering.
_META = ("_record", "_from_structlog")
_PLAIN = (int, float, bool, type(None))


class LogRedactor:
    """The redaction processor: scrubs every field of every log event (nested, and objects by their text)."""

    def __init__(self, redactor: Redactor) -> None:
        self.scrub = redactor.scrub

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, _PLAIN):
            return value
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._value(v) for v in value]
        # Exceptions, URLs, dataclasses...: the renderer would print their repr, so scrub that instead.
        return self.scrub(repr(value))

    def __call__(self, _logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        return {k: v if k in _META else self._value(v) for k, v in event_dict.items()}


def _log_uncaught(kind: str) -> Any:
    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        structlog.get_logger("warroom").critical(kind, exc_info=(exc_type, exc, tb))

    return hook


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _log_uncaught("uncaught_thread_exception")(args.exc_type, args.exc_value, args.exc_traceback)


def configure_logging(
    level: str = "info", fmt: str = "json", secrets: Iterable[str] = (), stream: TextIO | None = None,
    *, patterns: Mapping[str, str | re.Pattern[str]] | None = None, redactor: Redactor | None = None,
) -> None:
    """Route structlog, stdlib logging (Bolt, aiohttp, SQLAlchemy), warnings and uncaught exceptions
    through one pipeline that redacts every line, tracebacks included, after they are rendered to text."""
    # A composed redactor (bot.redactor.build_redactor) brings the settings' secrets and the configured patterns.
    scrubber = LogRedactor(redactor or Redactor(secrets, patterns))
    pre_chain: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*pre_chain, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[
            # Tracebacks become text first (the `exception` key), so the redactor sees them too.
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            scrubber,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.captureWarnings(True)  # warnings.warn(...) goes through the same handler, redacted
    sys.excepthook = _log_uncaught("uncaught_exception")
    threading.excepthook = _log_thread_exception
    # Per-request chatter from libraries stays out of the log unless it is a warning.
    for noisy in ("aiohttp.access", "sqlalchemy.engine", "slack_sdk.web", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # The timer poll runs every 0.1 s with one instance at a time; a poll skipped because the last one
    # is still sending is expected, not a warning worth a log line ten times a second.
    logging.getLogger("apscheduler.scheduler").setLevel(max(logging.ERROR, root.level))
    # The executor logs "Running job" and "executed successfully" for every poll (about 20 lines a
    # second, 1.7 million a day); a job that raises is still logged, at ERROR.
    logging.getLogger("apscheduler.executors").setLevel(max(logging.WARNING, root.level))
