"""Log lines: local time with its offset, as text or as JSON lines (MAILBOT_LOG_FORMAT=json).

Times are in the campaign's time zone, like every other time mailbot shows, and carry
their offset (2020-08-14T16:30:00.123+07:00), so a line read in a journal or shipped
to a log store is never ambiguous.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import datetime, tzinfo

LOG_FORMAT_VARIABLE = "MAILBOT_LOG_FORMAT"
FORMATS = ("text", "json")


class LocalFormatter(logging.Formatter):
    """`2020-08-14T16:30:00.123+07:00 INFO mailbot.schedule: message`, or one JSON object per line."""

    def __init__(self, tz: tzinfo | None, as_json: bool) -> None:
        super().__init__()
        self.tz = tz
        self.as_json = as_json

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        moment = datetime.fromtimestamp(record.created, self.tz) if self.tz else datetime.fromtimestamp(record.created)
        return moment.astimezone(self.tz).isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message = f"{message}\n{self.formatException(record.exc_info)}"
        if self.as_json:
            return json.dumps(
                {"time": self.formatTime(record), "level": record.levelname, "logger": record.name, "message": message},
                ensure_ascii=False,
            )
        return f"{self.formatTime(record)} {record.levelname} {record.name}: {message}"


def configure(tz: tzinfo | None, level: int = logging.WARNING, env: Mapping[str, str] | None = None) -> None:
    """Send mailbot's log to stderr in the format MAILBOT_LOG_FORMAT names (text by default)."""
    env = os.environ if env is None else env
    chosen = (env.get(LOG_FORMAT_VARIABLE) or "text").strip().lower()
    handler = logging.StreamHandler()
    handler.setFormatter(LocalFormatter(tz, as_json=chosen == "json"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
