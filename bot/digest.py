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
from datetime import UTC, datetime, tzinfo
from typing import Any

from .models import Corroboration, Digest, DigestItem, DigestStats, DigestTopic

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
    key_claims: int = 3             # claims shown per story; the rest are "+N more"
    conflict_lines: int = 5         # conflicts compared at the top of the summary; the rest stay in their stories


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


def zoned(dt: datetime | None, tz: tzinfo, today: datetime | None = None) -> str:
    """`09:14 KST` on the digest's own day, `31 Jan 09:14 KST` before it."""
    if dt is None:
        return "time unknown"
    local = dt.astimezone(tz)
    same_day = today is not None and today.astimezone(tz).date() == local.date()
    return local.strftime("%H:%M %Z" if same_day else "%-d %b %H:%M %Z")


def _period(digest: Digest, tz: tzinfo) -> str:
    end = _when(digest.period_end, tz)
    return f"{_when(digest.period_start, tz)} – {end}" if digest.period_start else f"until {end}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


@dataclass(frozen=True, slots=True)
class Story:
    """One article's new claims in a topic: its headline, outlet and time, its key claims first."""

    topic: str
    items: tuple[DigestItem, ...]   # best first

    @property
    def lead(self) -> DigestItem:
        return self.items[0]

    @property
    def claim_ids(self) -> tuple[int, ...]:
        return tuple(i.claim_id for i in self.items)

    @property
    def also(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o for i in self.items for o in i.also))

    @property
    def conflicts(self) -> tuple[DigestItem, ...]:
        return tuple(i for i in self.items if i.earlier or i.conflicts)


def _best_first(item: DigestItem) -> tuple[bool, float, float, int]:
    # The claims stage's key claims, then its rank (0 = best), then its score; ties keep the article's order.
    return (not item.key, item.rank if item.rank is not None else 1e9, -item.score, item.claim_id)


def stories(topic: DigestTopic) -> list[Story]:
    """A topic's claims grouped by the article that founded them; conflicts first, then the stories
    more outlets confirmed, then the newest."""
    groups: dict[object, list[DigestItem]] = {}
    for item in topic.items:
        groups.setdefault(item.article_id if item.article_id is not None else item.url, []).append(item)
    found = [Story(topic.topic, tuple(sorted(items, key=_best_first))) for items in groups.values()]
    newest = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda s: (not s.conflicts, -len(s.also), -(s.lead.published or newest).timestamp(),
                                        s.lead.claim_id))


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
    return _cap(text, MAX_SECTION_CHARS) if slack else text


def _cap(mrkdwn: str, limit: int) -> str:
    """A last guard on already-escaped text: cut at a space, never inside an &entity; or a <link>."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - 1]
    cut = re.sub(r"&[a-z]{0,4}$|<[^>]*$", "", cut)
    return cut + "…"


def story_mrkdwn(story: Story, options: DigestOptions, today: datetime | None = None) -> str:
    """One story, at most ``options.item_chars`` once escaped: a text full of & grows five-fold when
    escaped, so the claims are trimmed harder until the escaped story fits; an over-long link is dropped."""
    chars = options.claim_chars
    while True:
        text = _story_mrkdwn(story, options, chars, today)
        if len(text) <= options.item_chars or chars <= 20:
            return _cap(text, options.item_chars)
        chars = max(20, chars // 2)


def _also(names: Sequence[str], shown: int = 2) -> str:
    if not names:
        return ""
    more = len(names) - shown
    return "also " + ", ".join(names[:shown]) + (f" +{more}" if more > 0 else "")


def _story_mrkdwn(story: Story, options: DigestOptions, chars: int, today: datetime | None) -> str:
    lead = story.lead
    headline = inert(trim(lead.title or lead.text, min(chars, 150)))
    url = safe_url(lead.url)
    line = f"*<{url}|{headline}>*" if url else f"*{headline}*"
    line += f" · {inert(trim(lead.outlet or 'source', 60))} · {zoned(lead.published, options.timezone, today)}"
    also = _also([inert(trim(o, 40)) for o in story.also])
    if also:
        line += f" · {also}"
    key = story.items[:options.key_claims]
    for item in key:
        line += f"\n• {inert(trim(item.text, chars))}"
    if len(story.items) > len(key):
        line += f"\n+{len(story.items) - len(key)} more"
    return line


def conflict_line(item: DigestItem, topic_name: str, options: DigestOptions, *, slack: bool = True) -> str:
    """⚠ DeepSeek: $5.6M (Reuters, 27 Jan) → $1.6B (SemiAnalysis, 31 Jan), each side linked."""
    show = inert if slack else (lambda x: x)

    def side(figure: str | None, text: str, outlet: str | None, url: str | None, when: datetime | None) -> str:
        what = show(trim(figure or text, 60 if figure else 90))
        where = show(trim(outlet or "source", 40))
        link = safe_url(url) if slack else None
        date = when.astimezone(options.timezone).strftime("%-d %b") if when else "undated"
        source = f"<{link}|{where}>" if link else (f"{where} {url}" if not slack and url else where)
        return f"{what} ({source}, {date})"

    earlier = item.earlier[0] if item.earlier else None
    before = side(earlier.figure, earlier.text, earlier.outlet, earlier.url, earlier.published) if earlier else \
        side(None, item.conflicts[0][1], None, item.conflicts[0][2], None)
    after = side(earlier.new_figure if earlier else None, item.text, item.outlet, item.url, item.published)
    return f"⚠ {'*' + topic_name + '*' if slack else topic_name}: {before} → {after}"


def _conflicts(digest: Digest) -> list[tuple[DigestItem, str]]:
    """Conflicts with another outlet's report, one per pair of reports; one article contradicting itself
    stays in its story."""
    found, seen = [], set()
    for topic in digest.topics:
        for story in stories(topic):
            for item in story.conflicts:
                earlier = item.earlier[0] if item.earlier else None
                pair = (earlier.url if earlier else item.conflicts[0][2], item.url)
                if pair[0] == pair[1] or pair in seen:
                    continue
                seen.add(pair)
                found.append((item, topic.name))
    return found


def story_text(story: Story, options: DigestOptions, today: datetime | None = None, *, explain: bool = False,
               every_claim: bool = False) -> str:
    lead = story.lead
    line = f"  {trim(lead.title or lead.text, 150)}\n    {lead.outlet or 'source'} · " \
           f"{zoned(lead.published, options.timezone, today)} · {lead.url}"
    also = _also(story.also)
    if also:
        line += f" · {also}"
    shown = story.items if explain or every_claim else story.items[:options.key_claims]
    for item in shown:
        line += f"\n    • {trim(item.text, options.claim_chars)}"
        if explain:
            line += f"\n      (score {item.score:.1f}" + (f"; rank {item.rank}" if item.rank is not None else "")
            line += (f"; repeats joined: {trim(item.repeat_why, 200)})" if item.repeat_why else ")")
    if len(story.items) > len(shown):
        line += f"\n    +{len(story.items) - len(shown)} more"
    return line


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
    today = digest.period_end
    conflicts = _conflicts(digest)
    shown = conflicts[:options.conflict_lines]
    lines = [conflict_line(item, name, options) for item, name in shown]
    if len(conflicts) > len(shown):
        lines.append(f"+{plural(len(conflicts) - len(shown), 'more conflict')} in the stories below")
    alerts = [(_section(_cap("\n".join(lines), MAX_SECTION_CHARS)), ())] if lines and not continued else []
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
    text = _cap(f"↻ {link}: {also or 'restated again'}", MAX_SECTION_CHARS)
    return Message(f"update: {inert(trim(update.title or '', 80))} restated by more outlets",
                   (_section(text),), reply=True)
