"""How pmosync's commands log: plain lines for people, JSON lines for log shippers.

Text: ordinary messages go to stdout and problems (warnings, errors) to stderr, so a cron mail or
a CI log shows what happened and a script can still tell trouble apart. JSON: every record is one
object on stderr with ``time``, ``level``, ``logger``, ``message`` and the record's structured
fields (``connector``, ``stream``, counts ...), which Loki, Elastic or CloudWatch index as is.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class LogFormat(StrEnum):
    """``--log-format``: plain lines for people, JSON lines for log shippers."""

    text = "text"
    json = "json"


FIELDS = "pmosync_fields"
"""``extra={FIELDS: {...}}`` on a log call: structured fields a JSON line carries."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, FIELDS, {}))
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class _Below(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < self.level


def configure_logging(
    fmt: LogFormat = LogFormat.text, *, timestamps: bool = False, quiet_info: bool = False
) -> None:
    """Route pmosync's log records (and the libraries' warnings) for a command.

    ``timestamps`` prefixes text lines with the time (the daemon); ``quiet_info`` drops
    informational text lines (a progress display is showing the same thing)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("pmosync").setLevel(logging.INFO)
    if fmt == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        return
    text = logging.Formatter(
        "%(asctime)s %(levelname)s %(message)s" if timestamps else "%(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )
    problems = logging.StreamHandler(sys.stderr)
    problems.setLevel(logging.WARNING)
    problems.setFormatter(text)
    root.addHandler(problems)
    if not quiet_info:
        info = logging.StreamHandler(sys.stdout)
        info.addFilter(_Below(logging.WARNING))
        info.setFormatter(text)
        root.addHandler(info)
