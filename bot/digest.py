"""Pure: pending claims -> a Digest -> Slack messages (Block Kit) or plain text.

Everything that came from a feed is escaped (&, <, >) and stripped of control
characters, so no article can ping @channel or smuggle a link; only http(s)
URLs become links. Messages are split to stay inside Slack's limits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from .models import Digest, DigestItem, DigestStats, DigestTopic

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_MESSAGE_CHARS = 40_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class DigestOptions:
    timezone: tzinfo
    layout: str = "thread"          # "thread" or "single"
    claim_chars: int = 400


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


def escape(text: str | None) -> str:
    """Slack mrkdwn escaping for feed-derived text: it can then mention no one and link nowhere."""
    text = _CONTROL.sub("", text or "")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: str | None) -> str | None:
    """Only http(s), nothing that could close Slack's <url|label>, and short enough for a section."""
    if not url or len(url) > 1000 or not re.match(r"^https?://[^\s<>|]+$", url):
        return None
    return url.replace("&", "&amp;")


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


def _footer(stats: DigestStats) -> str:
    text = (f"feeds polled {stats.feeds_polled} · articles read {stats.articles_read} · claims seen {stats.claims_seen}"
            f" · repeats folded {stats.repeats_folded} · feeds in error {len(stats.feeds_in_error)}")
    if stats.feeds_in_error:
        text += " (" + ", ".join(escape(f) for f in stats.feeds_in_error[:5]) + ")"
    return text


def item_mrkdwn(item: DigestItem, options: DigestOptions) -> str:
    source = escape(item.outlet or "source")
    url = safe_url(item.url)
    line = f"• {escape(trim(item.text, options.claim_chars))}\n    {f'<{url}|{source}>' if url else source}"
    line += f" · {_when(item.published, options.timezone)}"
    if item.outlets_since:
        line += f" · +{item.outlets_since} outlet{'s' if item.outlets_since != 1 else ''}"
        if item.repeat_why:
            line += f" _({escape(trim(_shared_part(item.repeat_why), 160))})_"
    for _cluster, earlier, earlier_url in item.conflicts[:2]:
        link = safe_url(earlier_url)
        ref = f"<{link}|earlier report>" if link else "an earlier report"
        line += f"\n    ⚠ conflicts with {ref}: “{escape(trim(earlier, 160))}”"
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
    lines.append(_footer(digest.stats))
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
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": trim(text, MAX_HEADER_CHARS), "emoji": True}}


def _chunk(head: list[dict[str, Any]], body: list[Block], text: str, reply: bool) -> list[Message]:
    """Split blocks over as many messages as Slack's block and size limits need."""
    messages: list[Message] = []
    current, ids = list(head), []
    size = sum(len(str(b)) for b in current)
    for block, block_ids in body:
        if len(current) + 1 > MAX_BLOCKS or size + len(str(block)) > MAX_MESSAGE_CHARS - 2000:
            messages.append(Message(text, tuple(current), reply, tuple(ids)))
            current, ids, size = [], [], 0
        current.append(block)
        ids.extend(block_ids)
        size += len(str(block))
    if current:
        messages.append(Message(text, tuple(current), reply, tuple(ids)))
    return messages


def render_messages(digest: Digest, options: DigestOptions, *, layout: str | None = None) -> list[Message]:
    """Block Kit messages: a summary, then either one reply per topic (thread) or everything inline."""
    layout = layout or options.layout
    title = f"claimbot digest · {_counts(digest)}"
    summary_head = [
        _header("claimbot digest"),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{_period(digest, options.timezone)} · "
                                                                   f"{_counts(digest)}"}]},
    ]
    footer = {"type": "context", "elements": [{"type": "mrkdwn", "text": _footer(digest.stats)}]}
    if digest.is_empty:
        return [Message(f"{title}: nothing new", tuple(summary_head + [_section("Nothing new."), footer]))]
    if layout == "thread":
        overview = "\n".join(f"• *{escape(t.name)}*: {len(t.items)} new" for t in digest.topics)
        messages = [Message(title, tuple(summary_head + [_section(overview), footer]))]
        for topic in digest.topics:
            head = [_header(f"{topic.name} · {len(topic.items)} new")]
            messages += _chunk(head, _sections(topic, options), f"{topic.name}: {len(topic.items)} new claims",
                               reply=True)
        return messages
    body: list[Block] = []
    for topic in digest.topics:
        body.append((_header(f"{topic.name} · {len(topic.items)} new"), ()))
        body.extend(_sections(topic, options))
    body.append((footer, ()))
    return _chunk(summary_head, body, title, reply=False)
