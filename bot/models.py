"""Plain, frozen data passed between the pipeline stages.

Nothing here does I/O or knows about another module: every stage takes these
in and gives these out, which is what keeps the stages swappable and testable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Status = Literal["new", "repeat"]
FigureKind = Literal["money", "percent", "multiple", "count", "rank", "date", "duration", "number"]


@dataclass(frozen=True, slots=True)
class Fetched:
    """Bytes from a URL or file, with what the transport said about them."""

    url: str
    final_url: str
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    max_age: float | None = None


@dataclass(frozen=True, slots=True)
class FeedItem:
    feed_url: str
    guid: str
    url: str
    title: str | None
    published: datetime | None
    content_html: str | None = None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    items: tuple[FeedItem, ...]
    ttl_minutes: int | None = None
    reused_guids: tuple[str, ...] = ()   # guids the feed gives to several links (its entries are keyed by both)


@dataclass(frozen=True, slots=True)
class Document:
    """One article as it arrives: raw HTML or text, plus what the feed or caller knew."""

    url: str
    html: str | None = None
    text: str | None = None
    title: str | None = None
    published: datetime | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """Clean main text: paragraphs separated by newlines, boilerplate gone."""

    url: str
    title: str | None
    published: datetime | None
    outlet: str | None
    author: str | None
    text: str
    removed: tuple[str, ...] = ()
    canonical: str | None = None   # the page's own <link rel=canonical>, when it names the same site


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    index: int
    passage: int
    section: int


@dataclass(frozen=True, slots=True)
class Figure:
    value: float
    unit: str
    kind: FigureKind
    text: str
    context: tuple[str, ...] = ()  # content words around the figure: what it measures

    @property
    def key(self) -> str:
        """Bucket for candidate retrieval: two significant digits, so near-equal values meet."""
        return f"{self.kind}:{self.unit}:{self.value:.2g}"

    @property
    def strong(self) -> bool:
        return self.kind not in ("date", "duration", "number")


@dataclass(frozen=True, slots=True)
class TopicHit:
    """Why a sentence belongs to a topic: the alias that fired, or the passage it inherits from."""

    topic: str
    sentence: int
    how: Literal["alias", "passage"]
    why: str
    terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicResult:
    hits: tuple[TopicHit, ...]
    topics: tuple[str, ...]
    spam: bool
    spam_reason: str | None
    rejected: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Claim:
    """A checkable sentence on a topic, as the claims stage found and ranked it."""

    topic: str
    text: str
    sentence: int
    score: float
    figures: tuple[Figure, ...]
    reasons: tuple[str, ...] = ()
    rank: int = 0                       # 0 is the article's most check-worthy claim on this topic
    key: bool = False                   # one of the article's key claims: the digest shows these first
    names_topic: bool = False           # the sentence names its topic itself
    topic_terms: tuple[str, ...] = ()   # the aliases it names the topic by
    before: str = ""                    # the sentence before it in its paragraph: who "the company" is


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the novelty decision compares of a claim: its facts as typed slots.

    Ids are language-neutral where the lexicon knows them (``italy`` for
    이탈리아/Italy/意大利), names as written where it does not.
    """

    topic: str
    script: str                          # hangul, cjk, latin ...: words only compare within one
    names_topic: bool
    figures: tuple[Figure, ...]          # each with the words and concepts around it: what it measures
    actors: tuple[str, ...] = ()         # who, as lexicon entities (openai for 오픈AI/OpenAI/开放人工智能)
    names: tuple[str, ...] = ()          # other names, as written: Latin and quoted names the lexicon lacks
    implied: tuple[str, ...] = ()        # who "the company" is: actors and names of the sentence before
    places: tuple[str, ...] = ()         # where: lexicon places
    concepts: tuple[str, ...] = ()       # what happens: lexicon concepts (block, invest)
    words: tuple[str, ...] = ()          # content words
    polarity: tuple[str, ...] = ()       # stance classes: ban, allow, confirm, deny, rise, fall, not
    versions: tuple[str, ...] = ()       # model and part codes as written (h800, r1, 910c): which thing it is
    vector: bytes = b""                  # the sentence's embedding (int8); empty without an encoder

    @property
    def dates(self) -> tuple[Figure, ...]:
        return tuple(f for f in self.figures if f.kind == "date")


@dataclass(frozen=True, slots=True)
class RetrievalKey:
    """A key the store indexes a claim under, opaque to the store, and how many of the newest
    claims under it a lookup reads."""

    text: str
    fanout: int


@dataclass(frozen=True, slots=True)
class KnownClaim:
    """A stored claim offered to the novelty decision as a possible match."""

    claim_id: int
    cluster: str
    topic: str
    text: str
    figures: tuple[Figure, ...]
    url: str
    outlet: str | None
    fingerprint: Fingerprint | None = None   # None for claims stored before fingerprints were kept
    article_id: int | None = None
    status: str = "new"   # "repeat" rows joined a cluster; only its founding "new" claim anchors weak matches


@dataclass(frozen=True, slots=True)
class Decision:
    status: Status
    cluster: str | None
    conflicts_with: tuple[str, ...] = ()
    why: str = ""
    shared_figures: tuple[str, ...] = ()
    shared_entities: tuple[str, ...] = ()
    verbatim: bool = False     # a repeat word for word: its retrieval keys are the stored copy's already


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    claim: Claim
    decision: Decision


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """What the pipeline made of one document; the replay contract is built from this."""

    url: str
    title: str | None
    published: datetime | None
    outlet: str | None
    topics: tuple[str, ...]
    outcomes: tuple[ClaimOutcome, ...]
    spam: bool = False
    stored: bool = True
    article_id: int | None = None


@dataclass(frozen=True, slots=True)
class EarlierReport:
    """The report a new claim's figure conflicts with: one side of the digest's ⚠ comparison."""

    cluster: str
    text: str
    url: str | None
    outlet: str | None = None
    published: datetime | None = None
    figure: str | None = None   # the earlier figure as written, e.g. "$5.6M"
    new_figure: str | None = None   # the new claim's figure it conflicts with, e.g. "$1.6B"


@dataclass(frozen=True, slots=True)
class DigestItem:
    claim_id: int
    cluster: str
    topic: str
    text: str
    url: str
    outlet: str | None
    published: datetime | None
    outlets_since: int
    conflicts: tuple[tuple[str, str, str | None], ...] = ()  # (cluster, earlier text, earlier url)
    repeat_why: str | None = None   # why the latest repeat joined: shared figures and entities
    title: str | None = None        # the article's headline: the story's link
    article_id: int | None = None   # the story: the article that founded the claim
    score: float = 0.0              # the claims stage's score; with rank, orders a story's key claims
    rank: int | None = None         # 0 = the article's best claim, when the claims stage ranks them
    key: bool = False               # one of the article's key claims (the claims stage): shown first
    also: tuple[str, ...] = ()      # outlets that restated the claim since, newest first
    figure: str | None = None       # the claim's first figure as written
    earlier: tuple[EarlierReport, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestTopic:
    topic: str
    name: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class DigestStats:
    feeds_polled: int = 0           # distinct feeds read in the period, not polls
    articles_read: int = 0
    claims_seen: int = 0
    repeats_folded: int = 0
    feeds_in_error: tuple[str, ...] = ()   # feeds that failed at least once in the period, by name
    feedback: int = 0               # analysts' reactions stored as feedback in the period


@dataclass(frozen=True, slots=True)
class Corroboration:
    """A story already in Slack that more outlets have restated since: replied to in its thread."""

    thread: str                     # "C123:1700000000.000100": the channel and the thread it sits in
    claim_ids: tuple[int, ...]      # the story's claims that gained outlets
    sources: tuple[int, ...]        # for each, the outlets counted now (stored once the reply is posted)
    title: str | None
    url: str
    outlet: str | None
    also: tuple[str, ...]           # every outlet that restated the story, newest first
    new: int = 0                    # how many of them arrived since the story was posted or last updated


@dataclass(frozen=True, slots=True)
class Reaction:
    """An analyst's reaction on one of the bot's story messages, with the claims that message showed."""

    channel: str
    message_ts: str
    name: str                       # Slack's emoji name: "mute" (🔇), "x" (❌)
    users: tuple[str, ...]
    claim_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    period_start: datetime | None
    period_end: datetime
    topics: tuple[DigestTopic, ...]
    stats: DigestStats = DigestStats()
    digest_id: int | None = None
    updates: tuple[Corroboration, ...] = ()

    @property
    def claim_ids(self) -> tuple[int, ...]:
        return tuple(item.claim_id for topic in self.topics for item in topic.items)

    @property
    def is_empty(self) -> bool:
        return not any(topic.items for topic in self.topics)
