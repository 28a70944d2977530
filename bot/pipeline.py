"""The orchestrator: the only module that knows every stage, and the order they run in.

    poll a feed:
        feed URL --fetch (conditional GET)--> bytes --fetch.feed_as_utf8--> UTF-8 --feeds.parse_feed--> items
        each entry not seen before (by guid; by guid and link when the feed reuses guids),
            at most max_items_per_poll, stopping between items on shutdown
            --fetch--> page HTML (the feed's <content:encoded> when the page fails) --> process

    process a document:
        html | text --topics.may_mention_any--> no alias anywhere, and no related term in the title
                        (topics.related_topics): store the bare article, done
                    --extract--> Article (clean text, title, date, outlet, canonical link)
                    --text.sentences--> sentences with their passages
                    --topics.match_topics--> which sentence is on which topic, spam flag
                    no topic named, a related title: the page's claims as if on the topic
                        --novelty.figure_keys--> store --novelty.continues_story--> known figures
                        restated: topics.continued_story (the whole page on the topic)
                    --claims.find_claims--> ranked claims with their figures, key claims marked
        each claim  --novelty.fingerprint--> typed slots --novelty.keys--> retrieval keys
        all claims  --store.copies_of--> a stored copy word for word, else
                    --store.similar_claims_many--> candidates (one lookup per document)
        each claim  --novelty.decide--> new | repeat | new with a changed fact
        new claims  --encoder.encode--> sentence embeddings (one batch) --> more candidates --> decide again
        all claims  --store.save_claims--> rows (the article once per canonical URL)

    send a digest (under a lock: one process posts at a time):
        reactions on the bot's recent story messages --store.save_feedback--> mutes, "not about the topic"
        unfinished digests --notifier.already_sent--> the claims the channel shows; the rest posted
            after them (sent), or none there (failed: the claims go again), or cannot tell (stop here)
        store.pending_claims --digest.build_digest--> Digest --notifier.send--> Slack | console
        store.corroborations --> stories already posted that more outlets restated: a reply in their thread
        --store.mark_posted (only after Slack said ok; on failure, what Slack accepted; where each claim
          was shown and how many outlets its message named)

Every function takes ``now``; none reads the clock. A feed's failure is caught
here and recorded; unexpected exceptions propagate.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from .claims import ClaimOptions, find_claims
from .delivery import Notifier, Receipt
from .digest import build_digest
from .errors import ClaimbotError, DeliveryError, FetchError, one_line
from .extract import ExtractOptions, canonical_url, extract
from .feeds import parse_feed
from .fetch import Fetcher, decode, feed_as_utf8
from .models import (
    Article,
    Claim,
    ClaimOutcome,
    Decision,
    Digest,
    DigestItem,
    DigestStats,
    Document,
    DocumentResult,
    FeedItem,
    Fingerprint,
    KnownClaim,
    RetrievalKey,
    Sentence,
    TopicResult,
)
from .novelty import (
    RECENT,
    Encoder,
    NoEncoder,
    NoveltyOptions,
    continues_story,
    decide,
    figure_keys,
    fingerprint,
    keys,
    new_cluster_id,
)
from .store import Repository, Store
from .text import sentences
from .topics import TopicOptions, continued_story, match_topics, may_mention_any, page_title, related_topics


@dataclass(frozen=True, slots=True)
class Context:
    """Every stage's options, built once at the edge (config.py) and passed down."""

    extract: ExtractOptions
    topics: TopicOptions
    claims: ClaimOptions
    novelty: NoveltyOptions = NoveltyOptions()
    encoder: Encoder = field(default_factory=NoEncoder)
    retention_days: int = 365
    max_items_per_poll: int = 200


def process_document(doc: Document, repo: Repository, ctx: Context, now: datetime, *,
                     feed_id: int | None = None, seed: bool = False) -> DocumentResult:
    """Run one document through extraction, topics, claims and novelty, and store the outcome."""
    since = now - timedelta(days=ctx.retention_days)
    named = may_mention_any((doc.html or doc.text or "") + "\n" + (doc.title or ""), ctx.topics)
    related = related_topics(page_title(doc.html, doc.text, doc.title), ctx.topics)
    if named or related:
        article = extract(doc, ctx.extract)
        sents = sentences(article.text)
        topics = match_topics(sents, ctx.topics, article.title)
        if not topics.topics and not topics.spam and related:
            topics = _continued_story(sents, related, repo, ctx, since) or topics
        claims = find_claims(sents, topics, ctx.claims)
    else:
        # No topic is named anywhere on the page: nothing to extract a claim from. The article is
        # still stored, so the next poll does not fetch it again.
        article = Article(url=doc.url, title=doc.title, published=doc.published, outlet=doc.source, author=None,
                          text="")
        topics, claims = TopicResult(hits=(), topics=(), spam=False, spam_reason=None), []

    key = canonical_url(doc.url, article.canonical)
    article_id, is_new = repo.save_article(article, key, topics=topics.topics, spam=topics.spam,
                                           spam_reason=topics.spam_reason, now=now, feed_id=feed_id)
    if is_new:
        for topic in sorted({c.topic for c in claims}):  # sorted: workers take the locks in one order
            repo.serialize_topic(topic)
    prints = [fingerprint(claim, ctx.novelty) for claim in claims]
    # A sentence stored word for word (the wire story on another site) needs no retrieval by key.
    copies = repo.copies_of([(c.topic, c.text) for c in claims], since) if claims else {}
    looked = [() if (c.topic, c.text) in copies else keys(fp, ctx.novelty)
              for c, fp in zip(claims, prints, strict=True)]
    # A claim's own keys (with the recent founders'), computed once per fingerprint: both passes use them.
    lookups = [keys(fp, ctx.novelty, founder=True) for fp in prints]
    stored = repo.similar_claims_many([(c.topic, k) for c, k in zip(claims, looked, strict=True)], since)
    stored = [[copies[(c.topic, c.text)]] if (c.topic, c.text) in copies else found
              for c, found in zip(claims, stored, strict=True)]
    decided = _decide_in_order(claims, prints, lookups, stored, article, ctx, cheap=True)
    # Meaning is the costly signal: claims the figures and words already fold skip the encoder; the
    # rest are embedded in one batch, meet their neighbours in meaning, and are decided again in full.
    fresh = [i for i, (_, d, _, _) in enumerate(decided) if d.status == "new"]
    vectors = ctx.encoder.encode([claims[i].text for i in fresh])
    if any(vectors):
        for i, vector in zip(fresh, vectors, strict=True):
            prints[i] = replace(prints[i], vector=vector)
            lookups[i] = keys(prints[i], ctx.novelty, founder=True)
        # Only the keys the embedding adds are looked up again (its bands, and the topic's recent founders).
        more = repo.similar_claims_many(
            [(claims[i].topic, [k for k in lookups[i] if k not in looked[i]]) for i in fresh], since)
        for i, extra in zip(fresh, more, strict=True):
            seen = {k.claim_id for k in stored[i]}
            stored[i] = stored[i] + [k for k in extra if k.claim_id not in seen]
    if fresh:  # the claims before the first one left new stand as decided
        decided = _decide_in_order(claims, prints, lookups, stored, article, ctx, settled=decided[:fresh[0]])
    outcomes = [ClaimOutcome(claim, decision) for claim, decision, _, _ in decided]
    if is_new and decided:
        repo.save_claims(article_id, decided, url=article.url, outlet=article.outlet, now=now, suppressed=seed)
    return DocumentResult(url=doc.url, title=article.title, published=article.published, outlet=article.outlet,
                          topics=topics.topics, outcomes=tuple(outcomes), spam=topics.spam, stored=is_new,
                          article_id=article_id)


def _continued_story(sents: list[Sentence], related: Sequence[str], repo: Repository, ctx: Context,
                     since: datetime) -> TopicResult | None:
    """The first of ``related`` topics whose story this page continues (novelty.continues_story),
    judged on the page's claims as if they were on the topic."""
    for topic in related:
        claims = find_claims(sents, continued_story(sents, topic, ""), ctx.claims)
        if not claims:
            continue
        prints = [fingerprint(c, ctx.novelty) for c in claims]
        stored = repo.similar_claims_many(
            [(topic, list(figure_keys(fp, ctx.novelty))) for fp in prints], since)
        known = [[(k, k.fingerprint or _refingerprint(k, ctx)) for k in found] for found in stored]
        why = continues_story(prints, known, ctx.novelty)
        if why:
            return continued_story(sents, topic, why)
    return None


def _decide_in_order(claims: list[Claim], prints: list[Fingerprint], lookups: list[tuple[RetrievalKey, ...]],
                     stored: list[list[KnownClaim]], article: Article, ctx: Context, *, cheap: bool = False,
                     settled: Sequence[tuple[Claim, Decision, Fingerprint, tuple[RetrievalKey, ...]]] = ()
                     ) -> list[tuple[Claim, Decision, Fingerprint, tuple[RetrievalKey, ...]]]:
    """Each claim against its stored candidates and the article's own earlier claims, in order.
    ``lookups``: each claim's keys with the recent founders'; ``settled``: decisions of the first
    claims that stand as they are (a second pass starts after them)."""
    decided: list[tuple[Claim, Decision, Fingerprint, tuple[RetrievalKey, ...]]] = []
    # This article's own earlier claims count too (a sentence restated further down is a repeat),
    # found by key like stored ones: a page of a thousand claims is not a million comparisons.
    own: dict[tuple[str, str], list[int]] = {}
    for claim, decision, fp, saved in settled:
        for k in saved:
            own.setdefault((claim.topic, k.text), []).append(len(decided))
        decided.append((claim, decision, fp, saved))
    start = len(settled)
    for claim, fp, lookup, candidates in zip(claims[start:], prints[start:], lookups[start:], stored[start:],
                                             strict=True):
        known = [(k, k.fingerprint or _refingerprint(k, ctx)) for k in candidates]
        # Not by the recent-founders key: every claim of the page shares it.
        earlier = sorted({i for k in lookup if k.text != RECENT for i in own.get((claim.topic, k.text), ())})
        known += [(as_known(decided[i][0], decided[i][1], article.url, article.outlet), decided[i][2])
                  for i in earlier[-ctx.novelty.own_candidates:]]
        decision = decide(fp, known, ctx.novelty, cheap=cheap, text=claim.text)
        if decision.status == "new":
            decision = replace(decision, cluster=new_cluster_id(claim, article.url))
        for k in lookup:
            own.setdefault((claim.topic, k.text), []).append(len(decided))
        # Only a claim that founds a cluster is filed among its topic's recent founders; a copy word
        # for word is found through the claim it copies.
        saved = lookup if decision.status == "new" else () if decision.verbatim else \
            tuple(k for k in lookup if k.text != RECENT)
        decided.append((claim, decision, fp, saved))
    return decided


def as_known(claim: Claim, decision: Decision, url: str, outlet: str | None) -> KnownClaim:
    return KnownClaim(claim_id=0, cluster=decision.cluster or "", topic=claim.topic, text=claim.text,
                      figures=claim.figures, url=url, outlet=outlet, status=decision.status)


def _refingerprint(known: KnownClaim, ctx: Context) -> Fingerprint:
    """Claims stored before fingerprints were kept: their slots again from the text (no embedding)."""
    return fingerprint(Claim(topic=known.topic, text=known.text, sentence=0, score=0.0, figures=known.figures),
                       ctx.novelty)


@dataclass(slots=True)
class PollResult:
    feed_url: str
    status: str = "ok"               # ok | not_modified | error | interrupted (shutdown between items)
    error: str | None = None
    items: int = 0
    new_articles: int = 0
    new_claims: int = 0
    repeats: int = 0
    item_errors: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None   # seconds the site asked us to wait
    max_age: float | None = None       # Cache-Control: max-age, seconds
    ttl_minutes: int | None = None     # the feed's own <ttl>
    ms: int = 0
    more: bool = False                 # items left for the next poll (max_items_per_poll reached)
    warnings: list[str] = field(default_factory=list)


def poll_feed(url: str, fetcher: Fetcher, store: Store, ctx: Context, now: datetime, *, feed_id: int | None = None,
              etag: str | None = None, last_modified: str | None = None, seed: bool = False,
              should_stop: Callable[[], bool] = lambda: False,
              progress: Callable[[int, int], None] | None = None) -> PollResult:
    """Fetch one feed and process its new items; every failure becomes part of the result.

    ``should_stop`` is asked between items (SIGTERM must not wait for a 2,000-item feed);
    ``progress(done, total)`` is told after each item. Items beyond ``ctx.max_items_per_poll``
    wait for the next poll, and the feed's validators are then not kept, so that poll is not a 304.
    """
    started = time.monotonic()
    result = PollResult(url)
    try:
        fetched = fetcher.get(url, etag=etag, last_modified=last_modified)
        result.etag, result.last_modified, result.max_age = fetched.etag, fetched.last_modified, fetched.max_age
        if fetched.not_modified:
            result.status = "not_modified"
            return result
        parsed = parse_feed(feed_as_utf8(fetched), now)
        result.ttl_minutes = parsed.ttl_minutes
    except ClaimbotError as exc:
        result.status, result.error = "error", str(exc)
        result.retry_after = getattr(exc, "retry_after", None)
        return result
    finally:
        result.ms = int((time.monotonic() - started) * 1000)
    result.items = len(parsed.items)
    if parsed.reused_guids:
        result.warnings.append(f"feed: {url}: gives one guid to several links ({parsed.reused_guids[0][:100]!r}"
                               f"{f' and {len(parsed.reused_guids) - 1} more' if len(parsed.reused_guids) > 1 else ''}"
                               "); its entries are told apart by guid and link")
    seen: set[str] = set()
    if feed_id is not None:
        with store.transaction() as repo:
            seen = repo.seen_entries(feed_id, [item.guid for item in parsed.items])
    todo = [item for item in parsed.items if item.guid not in seen]
    cap = ctx.max_items_per_poll
    if len(todo) > cap and seed and feed_id is not None:
        # A first poll only records history: the entries past the cap are remembered unread
        # rather than posted as new on the next poll.
        with store.transaction() as repo:
            for item in todo[cap:]:
                repo.mark_entry(feed_id, item.guid, now)
    elif len(todo) > cap:
        result.more = True
    todo = todo[:cap]
    for done, item in enumerate(todo):
        if should_stop():
            result.status = "interrupted"
            break
        with store.transaction() as repo:
            if repo.has_article(canonical_url(item.url)):
                if feed_id is not None:
                    repo.mark_entry(feed_id, item.guid, now)
                continue
        article_id, error = None, None
        try:
            doc = fetch_item(item, fetcher)
            with store.transaction() as repo:
                outcome = process_document(doc, repo, ctx, now, feed_id=feed_id, seed=seed)
            article_id = outcome.article_id
        except ClaimbotError as exc:
            error = str(exc)
        except SQLAlchemyError as exc:  # e.g. a value PostgreSQL refuses: this article, not the feed
            error = f"store: {item.url[:200]}: {type(exc).__name__}: {one_line(exc)}"
        if error is not None:
            result.item_errors.append(error)
        elif outcome.stored:
            result.new_articles += 1
            result.new_claims += sum(o.decision.status == "new" for o in outcome.outcomes)
            result.repeats += sum(o.decision.status == "repeat" for o in outcome.outcomes)
        if feed_id is not None and (error is None or _permanent(error)):
            with store.transaction() as repo:
                repo.mark_entry(feed_id, item.guid, now, article_id=article_id, error=error)
        if progress is not None:
            progress(done + 1, len(todo))
    if result.more or result.status == "interrupted":
        result.etag = result.last_modified = None
    result.ms = int((time.monotonic() - started) * 1000)
    return result


@dataclass(frozen=True, slots=True)
class FeedProbe:
    """One feed fetched and parsed once, as `check-config --feeds` shows it."""

    url: str
    ok: bool
    items: int = 0
    title: str | None = None
    error: str | None = None
    ms: int = 0


def probe_feed(url: str, fetcher: Fetcher) -> FeedProbe:
    """Fetch and parse a feed once, storing nothing: does this feed work with these settings?"""
    started = time.monotonic()
    try:
        parsed = parse_feed(fetcher.get(url))
    except ClaimbotError as exc:
        return FeedProbe(url, False, error=str(exc), ms=int((time.monotonic() - started) * 1000))
    return FeedProbe(url, True, items=len(parsed.items), title=parsed.title, ms=int((time.monotonic() - started) * 1000))


def _permanent(error: str) -> bool:
    """Errors not worth retrying on the next poll: gone, refused, not a page, empty."""
    return any(mark in error for mark in ("HTTP 404", "HTTP 410", "not an http(s) link", "malformed URL",
                                          "no text could be extracted", "the page is empty", "too large"))


def fetch_item(item: FeedItem, fetcher: Fetcher) -> Document:
    """The article page; the feed's own full text when the page cannot be fetched.

    Item links come from the feed, which is untrusted: only http(s) is fetched, never a
    local file, and the fetcher's SSRF guard applies to every hop.
    """
    try:
        if not item.url.lower().startswith(("http://", "https://")):
            raise FetchError(item.url[:200], "not an http(s) link", "only web pages are fetched for feed items")
        page = fetcher.get(item.url)
        html = decode(page.content, page.headers.get("content-type"))
        url = page.final_url if page.final_url.lower().startswith("http") else item.url
    except ClaimbotError:
        if not (item.content_html or item.summary):
            raise
        html, url = item.content_html or item.summary or "", item.url
    return Document(url=url, html=html, title=item.title, published=item.published)


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    digest: Digest
    receipt: Receipt | None
    error: str | None = None


def send_digest(store: Store, notifier: Notifier, topic_names: dict[str, str], now: datetime, *,
                stats: DigestStats = DigestStats(), post_empty: bool = False,
                channel: str | None = None, update_days: int = 7,
                topic_channels: dict[str, str] | None = None,
                stuffing: dict[str, re.Pattern[str]] | None = None) -> DigestOutcome:
    """Post what is pending; claims are marked posted only once the notifier says it went out.

    The digest row moves pending -> sending -> sent (or failed). A row left in
    'sending' by a crash is first looked up in the channel's history (every
    message carries the digest id as metadata), so a digest Slack already has
    is never posted twice; otherwise its claims simply go out in this digest,
    whose period then starts where the last sent one ended.
    """
    with store.exclusive("claimbot-digest") as mine:
        if not mine:  # another worker, or `claimbot digest --send`, is posting right now
            return DigestOutcome(build_digest([], topic_names, period_start=None, period_end=now), None,
                                 "another process is posting a digest")
        return _send_digest(store, notifier, topic_names, now, stats=stats, post_empty=post_empty, channel=channel,
                            update_days=update_days, topic_channels=topic_channels, stuffing=stuffing)


def _settle_unfinished(store: Store, notifier: Notifier, topic_names: dict[str, str], now: datetime,
                       channel: str | None) -> str | None:
    """Digests a crash or a silent Slack left behind are settled before anything new is sent.

    'pending' never reached Slack: its claims go again. 'sending' may have: the channel is asked
    which of its claims it shows, and the missing ones are posted after them, in either layout.
    When the channel cannot be asked, or Slack again does not answer, the digest stays 'sending'
    and the error is returned: nothing is sent until it can be checked.
    """
    with store.transaction() as repo:
        unfinished = repo.unfinished_digests()
    for d in unfinished:  # Slack is asked outside any transaction
        if d.state == "pending":
            with store.transaction() as repo:
                repo.mark_failed(d.id, "interrupted before anything was sent; its claims go out again")
            continue
        try:
            receipt = notifier.already_sent(d.id, d.channel or channel, since=d.created_at)
            done = notifier.updates_sent(d.id, tuple(u.thread for u in d.updates)) if d.updates else ()
        except DeliveryError as exc:
            return f"digest {d.id} is unconfirmed, so nothing is sent until the channel can be checked: {exc}"
        if receipt is None and d.claim_ids:  # updates go out after the claims: none of it is there
            with store.transaction() as repo:
                repo.mark_failed(d.id, "interrupted before Slack took it; its claims go out again")
            continue
        receipt = replace(receipt or Receipt(channel=d.channel, claim_ids=()), updates=tuple(done))
        shown = set(d.claim_ids) if receipt.claim_ids is None else set(receipt.claim_ids) & set(d.claim_ids)
        missing = [cid for cid in d.claim_ids if cid not in shown]
        with store.transaction() as repo:
            items = repo.pending_claims(only=missing) if missing else []
        rest = replace(build_digest(items, topic_names, period_start=None, period_end=now), digest_id=d.id,
                       updates=tuple(u for u in d.updates if u.claim_ids[0] not in done))
        try:
            more = notifier.send(rest, resume=receipt) if not rest.is_empty or rest.updates else Receipt()
        except DeliveryError as exc:
            if exc.unknown:
                return f"digest {d.id} is unconfirmed: {exc}"
            with store.transaction() as repo:
                repo.mark_failed(d.id, str(exc), posted=sorted(shown) + list(exc.delivered))
            continue
        posted = set(done) | set(more.updates)
        with store.transaction() as repo:
            repo.mark_posted(d.id, d.claim_ids, receipt.message_ts, now, placed=receipt.placed + more.placed,
                             updates=[u for u in d.updates if u.claim_ids[0] in posted])
    return None


def stuffing_patterns(options: TopicOptions) -> dict[str, re.Pattern[str]]:
    """Per topic: a bare Korean alias of another topic, standing alone between spaces (no particle), as
    keyword stuffing plants it ("필요 없어 딥시크 24시간 …"), or one of its own doubled ("딥시크 딥시크를")."""
    bare = {rule.id: [re.escape(a.text) for a in rule.aliases if a.hangul] for rule in options.rules}
    found = {}
    for topic in bare:
        others = [a for other, aliases in bare.items() if other != topic for a in aliases]
        own = bare[topic]
        parts = [f"(?:^|(?<=\\s))(?:{'|'.join(others)})\\s+(?=\\S)"] if others else []
        parts += [f"(?:^|(?<=\\s))({'|'.join(own)})\\s+(?=\\1)"] if own else []
        if parts:
            found[topic] = re.compile("|".join(parts))
    return found


def displayed(items: list[DigestItem], patterns: dict[str, re.Pattern[str]]) -> list[DigestItem]:
    """Claims as the digest shows them: stuffed tokens dropped. The stored sentence stays as it was."""
    shown = []
    for item in items:
        pattern = patterns.get(item.topic)
        text = pattern.sub("", item.text) if pattern else item.text
        shown.append(replace(item, text=text) if text != item.text and text.strip() else item)
    return shown


FEEDBACK = {"mute": "mute", "x": "not_relevant"}   # 🔇 mutes a story; ❌ marks it off-topic or not a claim


def collect_feedback(store: Store, notifier: Notifier, now: datetime, *, days: int = 7) -> int:
    """Read the reactions on the bot's story messages of the last ``days`` and store each person's once.

    Returns how many are new. Reading is repeatable: a reaction stored before a crash is not stored
    again. A channel that cannot be read leaves feedback for the next digest; it never blocks one.
    """
    with store.transaction() as repo:
        posted = repo.posted_messages(now - timedelta(days=days))
    if not posted:
        return 0
    try:
        reactions = notifier.reactions(tuple(posted))
    except DeliveryError:
        return 0
    clusters: dict[int, str] = {cid: cl for ids, cls in posted.values() for cid, cl in zip(ids, cls, strict=True)}
    new = 0
    with store.transaction() as repo:
        for r in reactions:
            kind = FEEDBACK.get(r.name)
            if kind is None:
                continue
            about = sorted({clusters[c] for c in r.claim_ids if c in clusters})
            for user in r.users:
                new += repo.save_feedback(r.channel, r.message_ts, r.name, user, kind, r.claim_ids, about, now)
    return new


def _send_digest(store: Store, notifier: Notifier, topic_names: dict[str, str], now: datetime, *,
                 stats: DigestStats, post_empty: bool, channel: str | None, update_days: int = 7,
                 topic_channels: dict[str, str] | None = None,
                 stuffing: dict[str, re.Pattern[str]] | None = None) -> DigestOutcome:
    blocked = _settle_unfinished(store, notifier, topic_names, now, channel)
    if blocked is not None:
        return DigestOutcome(build_digest([], topic_names, period_start=None, period_end=now), None, blocked)
    stats = replace(stats, feedback=stats.feedback + collect_feedback(store, notifier, now, days=update_days))
    with store.transaction() as repo:
        items = displayed(repo.pending_claims(), stuffing or {})
        period_start = repo.last_digest_end()
        # Stories already posted that more outlets restated since: a reply in each one's thread.
        updates = tuple(repo.corroborations(now - timedelta(days=update_days)))
    # A topic with its own channel gets its own digest there; the rest, and every update (each
    # replies in its own story's thread), go with the default channel's digest.
    routes = topic_channels or {}
    groups: dict[str | None, list[DigestItem]] = {None: []}
    for item in items:
        groups.setdefault(routes.get(item.topic), []).append(item)
    outcomes = []
    for target, group in groups.items():
        digest = build_digest(group, topic_names, period_start=period_start, period_end=now, stats=stats)
        if target is None:
            digest = replace(digest, updates=updates)
        if digest.is_empty and not digest.updates and (target is not None or not post_empty):
            if target is None:
                outcomes.append(DigestOutcome(digest, None))
            continue
        outcomes.append(_post_digest(store, notifier.for_channel(target) if target else notifier, digest,
                                     period_start, now, target or channel))
    if len(outcomes) == 1:
        return outcomes[0]
    first = next((o for o in outcomes if o.receipt is not None), outcomes[0])
    merged = build_digest(items, topic_names, period_start=period_start, period_end=now, stats=stats)
    errors = [o.error for o in outcomes if o.error]
    return DigestOutcome(replace(merged, digest_id=first.digest.digest_id, updates=updates), first.receipt,
                         "; ".join(errors) if errors else None)


def _post_digest(store: Store, notifier: Notifier, digest: Digest, period_start: datetime | None, now: datetime,
                 channel: str | None) -> DigestOutcome:
    updates = digest.updates
    with store.transaction() as repo:
        digest_id = repo.start_digest(digest.claim_ids, period_start, now, channel, now, updates=updates)
    digest = replace(digest, digest_id=digest_id)
    with store.transaction() as repo:
        repo.mark_sending(digest_id)

    def first_message_posted(receipt: Receipt) -> None:
        # Slack answers with the channel's id; history lookups after a crash need the id, not the name.
        with store.transaction() as repo:
            repo.record_first_message(digest_id, receipt.channel, receipt.message_ts)

    try:
        receipt = notifier.send(digest, on_first_message=first_message_posted)
    except DeliveryError as exc:
        if not exc.unknown:
            with store.transaction() as repo:
                repo.mark_failed(digest_id, str(exc), posted=exc.delivered)
        # Unknown: Slack may have it. The row stays 'sending'; the next run asks the channel first.
        return DigestOutcome(digest, None, str(exc))
    with store.transaction() as repo:
        repo.mark_posted(digest_id, digest.claim_ids, receipt.message_ts, now, placed=receipt.placed,
                         updates=[u for u in updates if u.claim_ids[0] in receipt.updates])
    return DigestOutcome(digest, receipt)
