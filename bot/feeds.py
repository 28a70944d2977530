"""Feed bytes in, FeedItems out, through feedparser; a broken feed is a FeedError, never a crash."""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import feedparser

from .errors import FeedError
from .models import FeedItem, Fetched, ParsedFeed

# A publication date further ahead than this is a typo or a trap (year 9999): unknown instead.
_FUTURE = timedelta(days=2)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_EPOCH = re.compile(r"\s*(\d{9,10}|\d{12,13})(?:\.\d+)?\s*")


def parse_feed(fetched: Fetched, now: datetime | None = None) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0 or Atom. The HTTP headers go along: without them feedparser
    guesses the charset of undeclared EUC-KR feeds wrong.

    Entries are keyed by guid; a feed that gives several links one guid (some CMSs give every
    item the same one) has those entries keyed by guid and link, and names the guid in
    ``reused_guids``. With ``now``, dates more than two days ahead are dropped as unknown."""
    base = fetched.final_url or fetched.url
    headers = {k.lower(): v for k, v in fetched.headers.items()}
    headers.setdefault("content-location", base)
    try:
        parsed = feedparser.parse(fetched.content, response_headers=headers)
    except Exception as exc:  # feedparser raises assorted errors on corrupted input
        raise FeedError(fetched.url, f"unreadable feed ({type(exc).__name__})",
                        "check that the URL serves RSS or Atom") from None
    if not parsed.get("version") and not parsed.entries:
        problem = "not an RSS or Atom feed"
        if fetched.content.lstrip()[:200].lower().find(b"<html") >= 0:
            problem = "an HTML page, not a feed"
        elif not fetched.content.strip():
            problem = "empty response"
        raise FeedError(fetched.url, problem, "check the feed URL; the site may have moved its feed")
    entries = []
    links_of: dict[str, set[str]] = defaultdict(set)
    for entry in parsed.entries:
        link = _lower_scheme(entry.get("link") or "")
        link = urljoin(base, link) if link else ""
        guid = entry.get("id") or link
        if guid:
            entries.append((entry, guid, link))
            links_of[guid].add(link)
    reused = tuple(sorted(g for g, links in links_of.items() if len(links) > 1))
    items = []
    for entry, guid, link in entries:
        content = entry.get("content") or []
        html = next((c.get("value") for c in content if c.get("value")), None)
        items.append(FeedItem(
            feed_url=fetched.url,
            guid=f"{guid} {link}" if guid in reused else guid,
            url=link or guid,
            title=_no_nul(entry.get("title")),
            published=_published(entry, now),
            content_html=_no_nul(html),
            summary=_no_nul(entry.get("summary")),
        ))
    ttl = parsed.feed.get("ttl")
    return ParsedFeed(title=parsed.feed.get("title"), items=tuple(items),
                      ttl_minutes=int(ttl) if isinstance(ttl, str) and ttl.strip().isdigit() else None,
                      reused_guids=reused)


def _published(entry, now: datetime | None) -> datetime | None:  # type: ignore[no-untyped-def]
    raw = entry.get("published") or entry.get("updated")
    m = _EPOCH.fullmatch(raw) if isinstance(raw, str) else None
    if m:  # feedparser reads Unix time 1700000000 as a date in the year 1699
        seconds = int(m.group(1)) / (1000 if len(m.group(1)) > 10 else 1)
        when = datetime.fromtimestamp(seconds, tz=UTC)
    else:
        when = _when(entry.get("published_parsed") or entry.get("updated_parsed"))
    if when is not None and now is not None and when > now + _FUTURE:
        return None
    return when


def _when(struct) -> datetime | None:  # type: ignore[no-untyped-def]
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _lower_scheme(link: str) -> str:
    """HTTP://x is http://x; urljoin keeps a foreign scheme's case, so file feeds kept capitals."""
    m = _SCHEME.match(link)
    return m.group(0).lower() + link[m.end():] if m else link


def _no_nul(value: str | None) -> str | None:
    """NUL carries no meaning in feed text, and PostgreSQL cannot store it."""
    return value.replace("\x00", "") if value else value
