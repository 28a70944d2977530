"""Feed bytes in, FeedItems out, through feedparser; a broken feed is a FeedError, never a crash."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser

from .errors import FeedError
from .models import FeedItem, Fetched, ParsedFeed


def parse_feed(fetched: Fetched) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0 or Atom. The HTTP headers go along: without them feedparser
    guesses the charset of undeclared EUC-KR feeds wrong."""
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
    items = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        link = urljoin(base, link) if link else ""
        guid = entry.get("id") or link
        if not guid:
            continue
        content = entry.get("content") or []
        html = next((c.get("value") for c in content if c.get("value")), None)
        items.append(FeedItem(
            feed_url=fetched.url,
            guid=guid,
            url=link or guid,
            title=entry.get("title"),
            published=_when(entry.get("published_parsed") or entry.get("updated_parsed")),
            content_html=html,
            summary=entry.get("summary"),
        ))
    ttl = parsed.feed.get("ttl")
    return ParsedFeed(title=parsed.feed.get("title"), items=tuple(items),
                      ttl_minutes=int(ttl) if isinstance(ttl, str) and ttl.strip().isdigit() else None)


def _when(struct) -> datetime | None:  # type: ignore[no-untyped-def]
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None
