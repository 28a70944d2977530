"""Pure: a topic's claims grouped into stories, and a story rendered for Slack or the console."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from ..models import Digest, DigestItem, DigestTopic
from .inert import cap, inert, safe_url, trim


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


def story_mrkdwn(story: Story, options: DigestOptions, today: datetime | None = None) -> str:
    """One story, at most ``options.item_chars`` once escaped: a text full of & grows five-fold when
    escaped, so the claims are trimmed harder until the escaped story fits; an over-long link is dropped."""
    chars = options.claim_chars
    while True:
        text = _story_mrkdwn(story, options, chars, today)
        if len(text) <= options.item_chars or chars <= 20:
            return cap(text, options.item_chars)
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


