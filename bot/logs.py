"""Logging for the service: one JSON object per line on stdout, with stable keys.

configure_logging() is the one place that decides levels. claimbot's own events
are INFO (and failed polls and errors WARNING or above); the libraries' INFO
chatter (an httpx line per request, Alembic's migration notes, trafilatura's
per-page notes, APScheduler's job lines) is raised to WARNING unless verbose.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from .errors import one_line

log = logging.getLogger("claimbot")

# The libraries whose INFO lines are one per request, page or job: noise to an operator.
CHATTY = ("httpx", "httpcore", "alembic", "trafilatura", "htmldate", "courlan", "justext", "apscheduler",
          "slack_sdk", "urllib3", "charset_normalizer")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(), "level": record.levelname.lower(),
                "event": getattr(record, "event", record.getMessage())}
        if not hasattr(record, "event") and record.name != "claimbot":
            data["logger"] = record.name
        data.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[1] is not None:
            # The exception's own lines, not the traceback's last one (which for a database error
            # is SQLAlchemy's link to its docs).
            data["error"] = f"{type(record.exc_info[1]).__name__}: {one_line(record.exc_info[1])}"
        return json.dumps(data, ensure_ascii=False, default=str)


def configure_logging(*, verbose: bool = False, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)


def event(name: str, *, level: int = logging.INFO, **fields: object) -> None:
    """One structured line: ``{"event": name, **fields}``."""
    log.log(level, name, extra={"event": name, "fields": fields})
