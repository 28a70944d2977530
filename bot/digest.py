"""Pure: pending claims -> a Digest -> Slack messages (Block Kit) or plain text.

Everything that came from a feed reaches Slack inert: escaped (&, <, >), stripped
of control and invisible format characters, its mrkdwn markers (* _ ~ `) swapped
for look-alikes and its URLs defanged, in sections marked ``verbatim`` so Slack
links no bare URL, #channel or @name. Only our own http(s) links are live.
Every limit is checked on the escaped text: an item, the footer and a message
are each capped, so one hostile article cannot make Slack refuse a digest.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from .models import Digest, DigestItem, DigestStats, DigestTopic

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_MESSAGE_CHARS = 40_000
MAX_URL_CHARS = 1000   # a link's length after escaping; a longer one is shown as plain outlet text
# Invisible letters and symbols that are not format characters (category Cf) but hide text all the same.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f")
# Slack mrkdwn markers in article text become look-alikes, so a claim never turns bold, struck or code.
_MARKERS = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_SCHEME = re.compile(r"(?i)\b(https?|ftp|mailto|slack)(:/*)")


@dataclass(frozen=True, slots=True)
class DigestOptions:
    timezone: tzinfo
    layout: str = "thread"          # "thread" or "single"
    claim_chars: int = 400
    item_chars: int = 2000          # one item's mrkdwn after escaping, at most (a section holds 3,000)
    message_chars: int = 38_000     # one message's JSON, at most (Slack refuses 40,000)
    footer_feeds: int = 5           # failing feeds named in the footer; the rest are counted


@dataclass(frozen=True, slots=True)
class Message:
    """One Slack message: fallback text plus blocks; ``reply`` messages go in the summary's thread."""

    text: str
    blocks: tuple[dict[str, Any], ...]
    reply: bool = False
    claim_ids: tuple[int, ...] = ()   # the claims this message carries: marked posted once it is accepted


def build_digest(items: Sequence[DigestItem], topic_names: dict[str, str], *, period_start: datetime | None,
                 period_end: datetime, stats: DigestStats = DigestStats()) -> Digest:
    by_topic: dict[str, list[DigestItem]] = {}
    for item in items:
        by_topic.setdefault(item.topic, []).append(item)
    order = [t for t in topic_names if t in by_topic] + sorted(t for t in by_topic if t not in topic_names)
    topics = tuple(DigestTopic(t, topic_names.get(t, t), tuple(by_topic[t])) for t in order)
    return Digest(period_start=period_start, period_end=period_end, topics=topics, stats=stats)


def visible(text: str | None) -> str:
    """Text without control, format (U+2060, U+061C, U+180E, bidi, tags …) or filler characters."""
    return "".join(ch for ch in text or "" if ch == "\n" or (
        ch not in _FILLERS and unicodedata.category(ch) not in ("Cc", "Cf", "Cs")))


def escape(text: str | None) -> str:
    """Slack mrkdwn escaping for feed-derived text: it can then mention no one and link nowhere."""
    return visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inert(text: str | None) -> str:
    """Feed text as Slack shows it: escaped, no formatting markers, no URL Slack could link."""
    return _SCHEME.sub(r"\1[:]", escape(text).translate(_MARKERS))


def safe_url(url: str | None) -> str | None:
    """Only http(s), nothing that could close Slack's <url|label>, and short enough once escaped."""
    if not url or not re.match(r"^https?://[^\s<>|]+$", url):
        return None
    escaped = url.replace("&", "&amp;")
    return escaped if len(escaped) <= MAX_URL_CHARS else None


def trim(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.6 else cut).rstrip(",;:") + "…"


def _when(dt: datetime | None, tz: tzinfo) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "date unknown"


def _period(digest: Digest, tz: tzinfo) -> str:
    end = _when(digest.period_end, tz)
    return f"{_when(digest.period_start, tz)} – {end}" if digest.period_start else f"until {end}"


def _counts(digest: Digest) -> str:
    n = sum(len(t.items) for t in digest.topics)
    return f"{n} new claim{'s' if n != 1 else ''} in {len(digest.topics)} topic{'s' if len(digest.topics) != 1 else ''}"


def _footer(stats: DigestStats, options: DigestOptions, *, slack: bool = True) -> str:
    show = inert if slack else (lambda x: x)
    text = (f"feeds polled {stats.feeds_polled} · articles read {stats.articles_read} · claims seen {stats.claims_seen}"
            f" · repeats folded {stats.repeats_folded} · feeds in error {len(stats.feeds_in_error)}")
    if stats.feeds_in_error:
        named = stats.feeds_in_error[:options.footer_feeds]
        text += " (" + ", ".join(show(trim(f, 120)) for f in named)
        more = len(stats.feeds_in_error) - len(named)
        text += f" +{more} more)" if more else ")"
    return _cap(text, MAX_SECTION_CHARS) if slack else text


def _cap(mrkdwn: str, limit: int) -> str:
    """A last guard on already-escaped text: cut at a space, never inside an &entity; or a <link>."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - 1]
    cut = re.sub(r"&[a-z]{0,4}$|<[^>]*$", "", cut)
    return cut + "…"


def item_mrkdwn(item: DigestItem, options: DigestOptions) -> str:
    """One item, at most ``options.item_chars`` once escaped: a text full of & grows five-fold when
    escaped, so the claim is trimmed harder until the escaped line fits; an over-long link is dropped."""
    chars = options.claim_chars
    while True:
        line = _item_mrkdwn(item, options, chars)
        if len(line) <= options.item_chars or chars <= 20:
            return _cap(line, options.item_chars)
        chars = max(20, chars // 2)


def _item_mrkdwn(item: DigestItem, options: DigestOptions, chars: int) -> str:
    source = inert(trim(item.outlet or "source", 80))
    url = safe_url(item.url)
    line = f"• {inert(trim(item.text, chars))}\n    {f'<{url}|{source}>' if url else source}"
    line += f" · {_when(item.published, options.timezone)}"
    if item.outlets_since:
        line += f" · +{item.outlets_since} outlet{'s' if item.outlets_since != 1 else ''}"
        if item.repeat_why:
            line += f" ({inert(trim(_shared_part(item.repeat_why), min(160, chars)))})"
    for _cluster, earlier, earlier_url in item.conflicts[:2]:
        link = safe_url(earlier_url)
        ref = f"<{link}|earlier report>" if link else "an earlier report"
        line += f"\n    ⚠ conflicts with {ref}: “{inert(trim(earlier, min(160, chars)))}”"
    return line


def item_text(item: DigestItem, options: DigestOptions) -> str:
    line = f"  • {trim(item.text, options.claim_chars)}\n    {item.outlet or 'source'} {item.url} · "
    line += _when(item.published, options.timezone)
    if item.outlets_since:
        line += f" · +{item.outlets_since} outlets"
        if item.repeat_why:
            line += f" ({trim(_shared_part(item.repeat_why), 160)})"
    for _cluster, earlier, earlier_url in item.conflicts[:2]:
        line += f"\n    ⚠ conflicts with an earlier report ({earlier_url or 'unknown'}): “{trim(earlier, 160)}”"
    return line


def _shared_part(why: str) -> str:
    """From a repeat's reason, the part an analyst checks: the shared figures and entities."""
    parts = [p for p in why.split("; ") if p.startswith(("same figures", "same entities"))]
    return "; ".join(parts) or why


def render_text(digest: Digest, options: DigestOptions) -> str:
    lines = [f"claimbot digest · {_period(digest, options.timezone)} · {_counts(digest)}", ""]
    if digest.is_empty:
        lines.append("Nothing new.")
    for topic in digest.topics:
        lines.append(f"== {topic.name} ({len(topic.items)}) ==")
        lines.extend(item_text(item, options) for item in topic.items)
        lines.append("")
    lines.append(_footer(digest.stats, options, slack=False))
    return "\n".join(lines)


Block = tuple[dict[str, Any], tuple[int, ...]]   # a block and the claim ids it shows


def _sections(topic: DigestTopic, options: DigestOptions) -> list[Block]:
    """Pack a topic's items into section blocks of at most MAX_SECTION_CHARS characters each."""
    blocks: list[Block] = []
    current, ids = "", []
    for item in topic.items:
        line = item_mrkdwn(item, options)  # claim text and quotes are trimmed inside; links are capped
        if current and len(current) + 1 + len(line) > MAX_SECTION_CHARS:
            blocks.append((_section(current), tuple(ids)))
            current, ids = "", []
        current = f"{current}\n{line}" if current else line
        ids.append(item.claim_id)
    if current:
        blocks.append((_section(current), tuple(ids)))
    return blocks


def _section(text: str) -> dict[str, Any]:
    # verbatim: Slack links no bare URL, #channel or @name in it; our own <url|label> links still work.
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cap(text, MAX_SECTION_CHARS), "verbatim": True}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cap(text, MAX_SECTION_CHARS),
                                             "verbatim": True}]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": trim(text, MAX_HEADER_CHARS), "emoji": True}}


def _size(block: dict[str, Any]) -> int:
    return len(json.dumps(block, ensure_ascii=False)) + 1


def _chunk(head: list[dict[str, Any]], body: list[Block], text: str, reply: bool,
           options: DigestOptions) -> list[Message]:
    """Split blocks over as many messages as Slack's block and size limits need."""
    messages: list[Message] = []
    current, ids = list(head), []
    budget = min(options.message_chars, MAX_MESSAGE_CHARS) - 500 - len(text)  # metadata and fallback text
    size = sum(_size(b) for b in current)
    for block, block_ids in body:
        if current and (len(current) + 1 > MAX_BLOCKS or size + _size(block) > budget):
            messages.append(Message(text, tuple(current), reply, tuple(ids)))
            current, ids, size = [], [], 0
        current.append(block)
        ids.extend(block_ids)
        size += _size(block)
    if current:
        messages.append(Message(text, tuple(current), reply, tuple(ids)))
    return messages


def render_messages(digest: Digest, options: DigestOptions, *, layout: str | None = None,
                    continued: bool = False) -> list[Message]:
    """Block Kit messages: a summary, then either one reply per topic (thread) or everything inline.

    ``continued``: the rest of a digest cut short by a crash, in the single layout; it opens with a
    one-line note instead of a second summary.
    """
    layout = layout or options.layout
    title = f"claimbot digest · {_counts(digest)}"
    summary_head = [
        _header("claimbot digest"),
        _context(f"{_period(digest, options.timezone)} · {_counts(digest)}"),
    ]
    if continued:
        summary_head = [_context(f"claimbot digest, continued · {_counts(digest)}")]
    footer = _context(_footer(digest.stats, options))
    if digest.is_empty:
        return [Message(f"{title}: nothing new", tuple(summary_head + [_section("Nothing new."), footer]))]
    if layout == "thread":
        overview = "\n".join(f"• *{escape(t.name)}*: {len(t.items)} new" for t in digest.topics)
        messages = [Message(title, tuple(summary_head + [_section(overview), footer]))]
        for topic in digest.topics:
            head = [_header(f"{topic.name} · {len(topic.items)} new")]
            messages += _chunk(head, _sections(topic, options), f"{topic.name}: {len(topic.items)} new claims",
                               reply=True, options=options)
        return messages
    body: list[Block] = []
    for topic in digest.topics:
        body.append((_header(f"{topic.name} · {len(topic.items)} new"), ()))
        body.extend(_sections(topic, options))
    body.append((footer, ()))
    return _chunk(summary_head, body, title, reply=False, options=options)


def item_message(topic: DigestTopic, item: DigestItem, options: DigestOptions, *, reply: bool) -> Message:
    """One item alone: what is posted when Slack refused the message it was in, so the rest goes out."""
    return Message(f"{topic.name}: 1 claim", (_header(topic.name), _section(item_mrkdwn(item, options))),
                   reply, (item.claim_id,))


def item_fallback(item: DigestItem, options: DigestOptions, *, reply: bool) -> Message:
    """The plainest form of an item, when Slack refused even its own message: short text, no blocks."""
    return Message(inert(trim(item.text, 300)) or "1 claim", (), reply, (item.claim_id,))
