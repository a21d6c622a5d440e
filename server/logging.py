"""Structured logs (JSON lines by default) through structlog.

An exception's traceback goes inside its record (`exception`, by format_exc_info), never
as loose text between the JSON lines.
"""

from __future__ import annotations

import logging
from typing import TextIO

import structlog


def configure_logging(level: str = "INFO", json: bool = True, stream: TextIO | None = None) -> None:
    renderer = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream),
        # Not cached: a reconfiguration (another app in the process, a test) takes effect
        # for loggers already used; a few lines a request make the lookup negligible.
        cache_logger_on_first_use=False,
    )


log = structlog.get_logger("rolodex")
