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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import Corroboration, Digest, DigestItem, DigestStats, DigestTopic
from .inert import (
    MAX_BLOCKS,
    MAX_HEADER_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_CHARS,
    MAX_URL_CHARS,
    cap,
    escape,
    inert,
    safe_url,
    trim,
    visible,
)
from .stories import (
    DigestOptions,
    Story,
    _also,
    _conflicts,
    _period,
    conflict_line,
    plural,
    stories,
    story_mrkdwn,
    story_text,
    zoned,
)

__all__ = ["MAX_BLOCKS", "MAX_HEADER_CHARS", "MAX_MESSAGE_CHARS", "MAX_SECTION_CHARS", "MAX_URL_CHARS", "DigestOptions",
           "Message", "Story", "build_digest", "cap", "conflict_line", "escape", "inert", "plural", "render_messages",
           "render_text", "safe_url", "stories", "story_fallback", "story_message", "story_text", "trim",
           "update_message", "visible", "zoned"]


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



def _counts(digest: Digest) -> str:
    n = sum(len(t.items) for t in digest.topics)
    n_stories = sum(len(stories(t)) for t in digest.topics)
    return (f"{plural(n, 'new claim')} in {plural(n_stories, 'story', 'stories')} · "
            f"{plural(len(digest.topics), 'topic')}")


def _footer(stats: DigestStats, options: DigestOptions, *, slack: bool = True) -> str:
    show = inert if slack else (lambda x: x)
    parts = [plural(stats.feeds_polled, "feed") + " read", plural(stats.articles_read, "new article"),
             plural(stats.claims_seen, "claim") + " seen", plural(stats.repeats_folded, "repeat") + " folded"]
    if stats.feedback:
        parts.append(plural(stats.feedback, "reaction") + " taken as feedback")
    text = " · ".join(parts)
    if stats.feeds_in_error:
        named = stats.feeds_in_error[:options.footer_feeds]
        text += f" · {plural(len(stats.feeds_in_error), 'feed')} failed: " + ", ".join(show(trim(f, 120)) for f in named)
        more = len(stats.feeds_in_error) - len(named)
        text += f" +{more} more" if more else ""
    else:
        text += " · no feed failed"
    return cap(text, MAX_SECTION_CHARS) if slack else text


def render_text(digest: Digest, options: DigestOptions, *, explain: bool = False, every_claim: bool = False) -> str:
    """The digest as the console shows it; ``explain`` adds every claim with its score and why repeats joined,
    ``every_claim`` lists a story's claims beyond its key ones."""
    lines = [f"claimbot digest · {_period(digest, options.timezone)} · {_counts(digest)}", ""]
    if digest.is_empty:
        lines.append("Nothing new.")
    conflicts = _conflicts(digest)
    for item, name in conflicts:
        lines.append(conflict_line(item, name, options, slack=False))
    if conflicts:
        lines.append("")
    for topic in digest.topics:
        found = stories(topic)
        lines.append(f"== {topic.name}: {plural(len(found), 'story', 'stories')}, {plural(len(topic.items), 'claim')} ==")
        lines.extend(story_text(story, options, digest.period_end, explain=explain, every_claim=every_claim)
                     for story in found)
        lines.append("")
    lines.append(_footer(digest.stats, options, slack=False))
    return "\n".join(lines)


Block = tuple[dict[str, Any], tuple[int, ...]]   # a block and the claim ids it shows


def _sections(topic: DigestTopic, options: DigestOptions, today: datetime | None = None) -> list[Block]:
    """Pack a topic's stories into section blocks of at most MAX_SECTION_CHARS characters each."""
    blocks: list[Block] = []
    current, ids = "", []
    for story in stories(topic):
        text = story_mrkdwn(story, options, today)  # capped once escaped
        if current and len(current) + 2 + len(text) > MAX_SECTION_CHARS:
            blocks.append((_section(current), tuple(ids)))
            current, ids = "", []
        current = f"{current}\n\n{text}" if current else text
        ids.extend(story.claim_ids)
    if current:
        blocks.append((_section(current), tuple(ids)))
    return blocks


def _section(text: str) -> dict[str, Any]:
    # verbatim: Slack links no bare URL, #channel or @name in it; our own <url|label> links still work.
    return {"type": "section", "text": {"type": "mrkdwn", "text": cap(text, MAX_SECTION_CHARS), "verbatim": True}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cap(text, MAX_SECTION_CHARS),
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
    today = digest.period_end
    conflicts = _conflicts(digest)
    shown = conflicts[:options.conflict_lines]
    lines = [conflict_line(item, name, options) for item, name in shown]
    if len(conflicts) > len(shown):
        lines.append(f"+{plural(len(conflicts) - len(shown), 'more conflict')} in the stories below")
    alerts = [(_section(cap("\n".join(lines), MAX_SECTION_CHARS)), ())] if lines and not continued else []
    if layout == "thread":
        overview = "\n".join(f"• *{escape(t.name)}*: {plural(len(stories(t)), 'story', 'stories')}, "
                             f"{plural(len(t.items), 'claim')} (in the thread)" for t in digest.topics)
        summary = summary_head + [block for block, _ in alerts] + [_section(overview), footer]
        messages = [Message(title, tuple(summary))]
        # One reply per story, so an analyst's reaction (🔇, ❌) names exactly one story.
        for topic in digest.topics:
            found = stories(topic)
            for n, story in enumerate(found):
                head = [_header(f"{topic.name} · {plural(len(found), 'story', 'stories')}")] if n == 0 else []
                headline = inert(trim(story.lead.title or story.lead.text, 120))
                messages.append(Message(f"{topic.name}: {headline}",
                                        tuple(head + [_section(story_mrkdwn(story, options, today))]),
                                        True, story.claim_ids))
        return messages
    body: list[Block] = list(alerts)
    for topic in digest.topics:
        body.append((_header(f"{topic.name} · {plural(len(stories(topic)), 'story', 'stories')}"), ()))
        body.extend(_sections(topic, options, today))
    if not continued:
        body.append((footer, ()))
    return _chunk(summary_head, body, title, reply=False, options=options)


def story_message(story: Story, topic_name: str, options: DigestOptions, *, reply: bool) -> Message:
    """One story alone: what is posted when Slack refused the message it was in, so the rest goes out."""
    return Message(f"{topic_name}: {plural(len(story.items), 'claim')}",
                   (_header(topic_name), _section(story_mrkdwn(story, options))), reply, story.claim_ids)


def story_fallback(story: Story, options: DigestOptions, *, reply: bool) -> Message:
    """The plainest form of a story, when Slack refused even its own message: short text, no blocks."""
    lead = story.lead
    lines = [inert(trim(lead.title or lead.text, 200))]
    lines += [f"• {inert(trim(item.text, 300))}" for item in story.items[:options.key_claims]]
    return Message("\n".join(lines), (), reply, story.claim_ids)


def update_message(update: Corroboration, options: DigestOptions) -> Message:
    """A thread reply under a story already posted: who restated it since. A reply rather than an edit:
    Slack tells the thread's readers about a reply but not about an edit, and a reply carries its own
    metadata, so after a crash the thread shows whether it went out."""
    headline = inert(trim(update.title or update.outlet or "the story", 150))
    url = safe_url(update.url)
    link = f"<{url}|{headline}>" if url else headline
    also = _also([inert(trim(o, 40)) for o in update.also], shown=3)
    text = cap(f"↻ {link}: {also or 'restated again'}", MAX_SECTION_CHARS)
    return Message(f"update: {inert(trim(update.title or '', 80))} restated by more outlets",
                   (_section(text),), reply=True)
