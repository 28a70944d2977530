"""Publication dates from Korean, Chinese and Western datelines, always timezone-aware."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from dateutil import parser as dateparser

_PATTERNS = (
    # 입력 2024.04.01 05:46 / 2024-08-26 16:31:05 / 2024년 4월 1일 / 2024/04/01
    re.compile(r"(?P<y>(?:19|20)\d{2})\s*[.\-/년]\s*(?P<m>\d{1,2})\s*[.\-/월]\s*(?P<d>\d{1,2})\s*일?"
               r"(?:\.?\s*(?:\(\S\)\s*)?(?:(?P<ampm>오전|오후|AM|PM)\s*)?(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"),
    # forum style 작성일25-05-18 16:47: two-digit year first (YY-MM-DD), never inside a longer number
    re.compile(r"(?<!\d)(?P<y2>\d{2})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"),
    # 2024年4月1日
    re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:\s*(?P<H>\d{1,2}):(?P<M>\d{2}))?"),
)


def parse_dateline(text: str, tz: tzinfo) -> datetime | None:
    """The first plausible date in a dateline; naive times are read in ``tz``."""
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            parts = m.groupdict()
            year = int(parts["y"]) if parts.get("y") else 2000 + int(parts["y2"])
            hour = int(parts.get("H") or 0)
            if parts.get("ampm") in ("오후", "PM") and hour < 12:
                hour += 12
            elif parts.get("ampm") in ("오전", "AM") and hour == 12:
                hour = 0
            try:
                return datetime(year, int(parts["m"]), int(parts["d"]), hour, int(parts.get("M") or 0),
                                int(parts.get("S") or 0), tzinfo=tz)
            except ValueError:
                continue
    return None


def parse_date(value: str | None, tz: tzinfo) -> datetime | None:
    """ISO-8601 or anything dateutil reads; a date without a zone is taken to be in ``tz``."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = parse_dateline(value, tz)
        if parsed is None:
            try:
                parsed = dateparser.parse(value)
            except (ValueError, OverflowError):
                return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
