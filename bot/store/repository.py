"""The repository: one transaction's view of the store, with methods that say what they mean."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Integer, Text, bindparam, cast, func, insert, select, tuple_, union_all, update

from ..errors import StoreError
from ..models import (
    Article,
    Claim,
    Corroboration,
    Decision,
    DigestItem,
    EarlierReport,
    Figure,
    Fingerprint,
    KnownClaim,
    RetrievalKey,
)
from . import schema as t
from .history import ClaimHistory


@dataclass(frozen=True, slots=True)
class FeedState:
    id: int
    url: str
    name: str | None
    etag: str | None
    last_modified: str | None
    seeded: bool
    next_poll_at: datetime | None
    last_success_at: datetime | None
    error_count: int
    last_error: str | None
    error_since: datetime | None


class UnfinishedDigest(NamedTuple):
    id: int
    claim_ids: list[int]
    channel: str | None   # where it went; None while 'pending'
    state: str
    created_at: datetime
    updates: tuple[Corroboration, ...] = ()


def _corroboration(raw: dict) -> Corroboration:  # type: ignore[type-arg]
    return Corroboration(**{**raw, "claim_ids": tuple(raw["claim_ids"]), "sources": tuple(raw["sources"]),
                            "also": tuple(raw["also"])})


def _feed_state(r) -> FeedState:  # type: ignore[no-untyped-def]
    return FeedState(id=r.id, url=r.url, name=r.name, etag=r.etag, last_modified=r.last_modified, seeded=r.seeded,
                     next_poll_at=r.next_poll_at, last_success_at=r.last_success_at, error_count=r.error_count,
                     last_error=r.last_error, error_since=r.error_since)


def _cut(value: str | None, size: int) -> str | None:
    """Columns have lengths PostgreSQL enforces (SQLite does not): feed-derived values are cut."""
    return value[:size] if value else value


def text_key(text: str) -> str:
    return hashlib.sha1(re.sub(r"\s+", "", text).encode()).hexdigest()


_FIGURE_FIELDS = tuple(f.name for f in fields(Figure))


def _figures_to_json(figs: Sequence[Figure]) -> list[dict[str, object]]:
    # Field by field: asdict() deep-copies, 7 µs a figure, and every claim stores its figures twice.
    return [{name: getattr(f, name) for name in _FIGURE_FIELDS} for f in figs]


@lru_cache(maxsize=8192)
def _decoded(raw: str) -> tuple[object, ...]:
    """A stored JSON list, decoded once per distinct text: the same candidates return for every
    article of a story, and keyed by content the cache can never go stale."""
    value = json.loads(raw)
    if value and isinstance(value[0], dict):
        return _figures_from_json(value)
    return tuple(value)


def _fingerprint_to_json(fp: Fingerprint) -> dict[str, object]:
    return {"topic": fp.topic, "script": fp.script, "names_topic": fp.names_topic,
            "figures": _figures_to_json(fp.figures), "actors": list(fp.actors), "names": list(fp.names),
            "implied": list(fp.implied), "places": list(fp.places),
            "concepts": list(fp.concepts), "words": list(fp.words), "polarity": list(fp.polarity),
            "versions": list(fp.versions)}


@lru_cache(maxsize=8192)  # a story's claims are candidates for every article that follows it
def _fingerprint_from_json(raw: str | None, vector: bytes | None) -> Fingerprint | None:
    if not raw:
        return None
    try:
        d = json.loads(raw)
        return _fingerprint_of(d, vector)
    except (ValueError, KeyError, TypeError):
        return None  # a row this version cannot read is fingerprinted again from its text


def _fingerprint_of(d: dict[str, Any], vector: bytes | None) -> Fingerprint:
    return Fingerprint(topic=d["topic"], script=d["script"], names_topic=bool(d["names_topic"]),
                       figures=_figures_from_json(d["figures"]), actors=tuple(d["actors"]), names=tuple(d["names"]),
                       implied=tuple(d["implied"]), places=tuple(d["places"]),
                       concepts=tuple(d["concepts"]), words=tuple(d["words"]), polarity=tuple(d["polarity"]),
                       versions=tuple(d.get("versions", ())), vector=bytes(vector or b""))


def _conflicting_pair(new_raw: str | None, old_raw: str | None) -> tuple[str | None, str | None]:
    """The two figures a conflict is about, as written: the same kind and unit, different values
    (the new one first); none when no such pair exists (the digest then quotes the sentences)."""
    new = [f for f in (_decoded(new_raw) if new_raw else ()) if isinstance(f, Figure) and f.strong]
    old = [f for f in (_decoded(old_raw) if old_raw else ()) if isinstance(f, Figure) and f.strong]
    for n in new:
        for o in old:
            if (n.kind, n.unit) == (o.kind, o.unit) and abs(n.value - o.value) > 0.05 * max(abs(n.value), abs(o.value)):
                return n.text, o.text
    return None, None


def _first_figure(raw: str | None) -> str | None:
    """The first strong figure (money, percent, count …) of a stored claim, as written."""
    figures = _decoded(raw) if raw else ()
    strong = [f for f in figures if isinstance(f, Figure) and f.strong] or \
        [f for f in figures if isinstance(f, Figure)]
    return strong[0].text if strong else None


def _host(url: str) -> str:
    return re.sub(r"^https?://(www\.)?", "", url).split("/")[0]


def _figures_from_json(rows: Sequence[dict[str, object]]) -> tuple[Figure, ...]:
    return tuple(Figure(value=float(r["value"]), unit=str(r["unit"]), kind=r["kind"], text=str(r["text"]),  # type: ignore[arg-type]
                        context=tuple(r.get("context") or ())) for r in rows)


SIZES = (32, 128)  # distinct keys per statement: all of a document's claims are looked up together
MAX_FANOUT = 200   # newest claims read under one key, whatever the key asks for
# Candidates per claim, the most shared keys first. The novelty stage caps its own keys; a claim
# now also meets its topic's recent founders and its embedding's neighbours, so 32 rather than the
# 24 that figures, names and words alone needed.
CANDIDATES = 32


def _key_hits_query(slots: int):  # type: ignore[no-untyped-def]
    """The newest claims under each of ``slots`` keys, in one statement compiled once.

    Slot i asks for topic ``t{i}`` and key ``k{i}``; unused slots carry the
    empty key, which matches nothing. Ranking by shared keys happens in
    Python, where each key is fetched once however many claims share it.
    """
    k = t.claim_keys
    since = bindparam("since", type_=t.UTCDateTime())
    per = [select(cast(bindparam(f"s{i}", type_=Integer), Integer).label("slot"), k.c.claim_id)
           .where(k.c.topic == bindparam(f"t{i}"), k.c.key == bindparam(f"k{i}"), k.c.created_at >= since)
           .order_by(k.c.created_at.desc()).limit(bindparam(f"n{i}")).subquery() for i in range(slots)]
    return union_all(*(select(sq.c.slot, sq.c.claim_id) for sq in per))


_KEY_HITS = {n: _key_hits_query(n) for n in SIZES}
# The candidates' rows, built once: a statement built per call is traversed again for its cache key.
_KNOWN = (select(t.claims.c.id, t.claims.c.cluster_id, t.claims.c.topic, t.claims.c.text,
                 cast(t.claims.c.figures, Text).label("figures"),
                 cast(t.claims.c.fingerprint, Text).label("fingerprint"), t.claims.c.vector, t.articles.c.url,
                 t.articles.c.outlet, t.claims.c.article_id, t.claims.c.status)
          .join(t.articles, t.articles.c.id == t.claims.c.article_id)
          .where(t.claims.c.id.in_(bindparam("ids", expanding=True))))


@lru_cache(maxsize=64)
def _insert_ignore(dialect: str, table: str, conflict: tuple[str, ...],  # type: ignore[no-untyped-def]
                   returning: bool):
    """INSERT … ON CONFLICT DO NOTHING for ``dialect``, built once per table."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(t.metadata.tables[table]).on_conflict_do_nothing(index_elements=list(conflict))
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(t.metadata.tables[table]).on_conflict_do_nothing(index_elements=list(conflict))
    else:
        raise StoreError(dialect, "unsupported database", "use SQLite or PostgreSQL")
    return stmt.returning(t.metadata.tables[table].c.id) if returning else stmt


class Repository(ClaimHistory):
    """One transaction's view of the store. Every method says what it means."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- articles -------------------------------------------------------------

    def save_article(self, article: Article, canonical_url: str, *, topics: Sequence[str], spam: bool,
                     spam_reason: str | None, now: datetime, feed_id: int | None = None) -> tuple[int, bool]:
        """Store an article once per canonical URL; returns (id, whether it is new).

        The unique canonical URL makes this idempotent across workers: a
        concurrent insert of the same article is ignored, not an error.
        """
        canonical_url = canonical_url[:2000]
        new_id = self.conn.execute(self._insert_ignore(t.articles, ["canonical_url"], returning=True), dict(
            url=article.url[:2000], canonical_url=canonical_url, feed_id=feed_id, title=article.title,
            outlet=_cut(article.outlet, 300), author=_cut(article.author, 300), published_at=article.published,
            fetched_at=now,
            topics=list(topics), spam=spam, spam_reason=spam_reason, text_chars=len(article.text),
        )).scalar()
        if new_id is not None:
            return new_id, True
        existing = self.conn.execute(select(t.articles.c.id).where(t.articles.c.canonical_url == canonical_url))
        return existing.scalar_one(), False

    def _insert_ignore(self, table, conflict: list[str], *, returning: bool = False):  # type: ignore[no-untyped-def]
        """INSERT … ON CONFLICT DO NOTHING in the connection's dialect (with RETURNING id), built once:
        every document inserts with these, and a statement built per call is traversed for its cache key."""
        return _insert_ignore(self.conn.dialect.name, table.name, tuple(conflict), returning)

    def seen_entries(self, feed_id: int, guids: Sequence[str]) -> set[str]:
        """Which of a feed's entries were handled before (stored, or failed for good)."""
        keys = {text_key(g): g for g in guids}
        rows = self.conn.execute(select(t.feed_entries.c.guid_key).where(
            t.feed_entries.c.feed_id == feed_id, t.feed_entries.c.guid_key.in_(list(keys))))
        return {keys[r[0]] for r in rows}

    def mark_entry(self, feed_id: int, guid: str, now: datetime, *, article_id: int | None = None,
                   error: str | None = None) -> None:
        self.conn.execute(self._insert_ignore(t.feed_entries, ["feed_id", "guid_key"]).values(
            feed_id=feed_id, guid_key=text_key(guid), article_id=article_id, error=_cut(error, 2000), seen_at=now))

    def has_article(self, canonical_url: str) -> bool:
        return self.conn.execute(
            select(t.articles.c.id).where(t.articles.c.canonical_url == canonical_url)).first() is not None

    # --- claims and clusters -----------------------------------------------------

    def serialize_topic(self, topic: str) -> None:
        """Hold a per-topic lock until this transaction ends, so two workers deciding claims of one
        topic at once cannot both miss each other's new claim (PostgreSQL; SQLite has one writer)."""
        if self.conn.dialect.name == "postgresql":
            key = int(hashlib.sha1(f"claimbot-topic:{topic}".encode()).hexdigest()[:15], 16)
            self.conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")

    def similar_claims(self, topic: str, keys: Sequence[RetrievalKey], since: datetime, *,
                       limit: int = CANDIDATES) -> list[KnownClaim]:
        """Stored claims of a topic sharing retrieval keys, the most keys first."""
        return self.similar_claims_many([(topic, keys)], since, limit=limit)[0]

    def similar_claims_many(self, lookups: Sequence[tuple[str, Sequence[RetrievalKey]]], since: datetime, *,
                            limit: int = CANDIDATES) -> list[list[KnownClaim]]:
        """For each (topic, keys), the stored claims sharing the most keys, in a few statements for all.

        Each key's fan-out is capped (newest first, through the index), so a
        popular entity costs the same at a million claims as at ten thousand.
        A document's claims share many candidates; each is read and decoded once.
        """
        fanout = {k.text: min(k.fanout, MAX_FANOUT) for _, keys in lookups for k in keys}
        wanted = [[(topic, k.text) for k in keys] for topic, keys in lookups]
        distinct = list(dict.fromkeys(pair for pairs in wanted for pair in pairs))
        hits: dict[tuple[str, str], list[int]] = {}
        for start in range(0, len(distinct), SIZES[-1]):
            chunk = distinct[start:start + SIZES[-1]]
            size = next(n for n in SIZES if n >= len(chunk))  # a small statement when a few keys will do
            params: dict[str, object] = {"since": since}
            for i in range(size):
                topic, key = chunk[i] if i < len(chunk) else ("", "")
                params.update({f"s{i}": i, f"t{i}": topic, f"k{i}": key, f"n{i}": fanout.get(key, 0)})
            for slot, claim_id in self.conn.execute(_KEY_HITS[size], params).all():
                hits.setdefault(chunk[slot], []).append(claim_id)
        ranked = []
        for pairs in wanted:
            shared = Counter(cid for pair in pairs for cid in hits.get(pair, ()))
            ranked.append(sorted(shared, key=lambda cid: (-shared[cid], -cid))[:limit])
        known = self._known_claims({cid for ids in ranked for cid in ids})
        return [[known[cid] for cid in ids if cid in known] for ids in ranked]

    def copies_of(self, sentences: Sequence[tuple[str, str]], since: datetime) -> dict[tuple[str, str], KnownClaim]:
        """For (topic, sentence) pairs, the stored claim with that sentence word for word (whitespace
        aside), the founder of its cluster where there is one: one indexed statement for a page."""
        wanted = {(topic, text_key(text)): (topic, text) for topic, text in sentences}
        if not wanted:
            return {}
        rows = self.conn.execute(
            select(t.claims.c.id, t.claims.c.topic, t.claims.c.text_key, t.claims.c.status)
            .where(tuple_(t.claims.c.topic, t.claims.c.text_key).in_(list(wanted)), t.claims.c.created_at >= since)
            .order_by(t.claims.c.id)).all()
        best: dict[tuple[str, str], tuple[int, str]] = {}
        for cid, topic, key, status in rows:  # oldest first: the founder, else the first copy
            if (topic, key) not in best or (status == "new" and best[(topic, key)][1] != "new"):
                best[(topic, key)] = (cid, status)
        known = self._known_claims({cid for cid, _ in best.values()})
        return {wanted[pair]: known[cid] for pair, (cid, _) in best.items() if cid in known}

    def _known_claims(self, ids: set[int]) -> dict[int, KnownClaim]:
        if not ids:
            return {}
        # Unpacked by position: a hundred candidates a page, and named access cost as much as the query.
        return {cid: KnownClaim(claim_id=cid, cluster=cluster, topic=topic, text=text,
                                figures=_decoded(figures), url=url, outlet=outlet,  # type: ignore[arg-type]
                                fingerprint=_fingerprint_from_json(fp, bytes(vector or b"")),
                                article_id=article_id, status=status)
                for cid, cluster, topic, text, figures, fp, vector, url, outlet, article_id, status
                in self.conn.execute(_KNOWN, {"ids": sorted(ids)})}

    def save_claims(self, article_id: int,
                    decided: Sequence[tuple[Claim, Decision, Fingerprint, Sequence[RetrievalKey]]], *, url: str,
                    outlet: str | None, now: datetime, suppressed: bool = False) -> list[int]:
        """Store a new article's claims with their clusters, retrieval keys and sources, in a few statements.

        Every insert is idempotent (unique per article, topic and text; per
        claim and key; per cluster and URL), so a replay or a retry after a
        crash stores nothing twice. Returns the claims' ids in input order.
        """
        new = [{"id": d.cluster, "topic": c.topic, "created_at": now, "last_seen_at": now}
               for c, d, _, _ in decided if d.status == "new"]
        if new:
            self.conn.execute(self._insert_ignore(t.clusters, ["id"]), new)
        seen = sorted({d.cluster for _, d, _, _ in decided if d.status == "repeat" and d.cluster})
        if seen:
            self.conn.execute(update(t.clusters).where(t.clusters.c.id.in_(seen)).values(last_seen_at=now))
        self.conn.execute(self._insert_ignore(t.claims, ["article_id", "topic", "text_key"]), [{
            "article_id": article_id, "cluster_id": d.cluster, "topic": c.topic, "text": c.text,
            "text_key": text_key(c.text), "status": d.status, "conflicts_with": list(d.conflicts_with),
            "why": d.why, "score": c.score, "figures": _figures_to_json(c.figures),
            # entities and tokens are the columns of claims stored before migration 0004: the
            # fingerprint holds them now, once.
            "entities": [], "tokens": [], "fingerprint": _fingerprint_to_json(fp), "vector": fp.vector or None,
            "rank": c.rank, "key": c.key, "created_at": now, "suppressed": suppressed,
        } for c, d, fp, _ in decided])
        ids = {(r.topic, r.text_key): r.id for r in self.conn.execute(
            select(t.claims.c.id, t.claims.c.topic, t.claims.c.text_key).where(t.claims.c.article_id == article_id))}
        claim_ids = [ids[(c.topic, text_key(c.text))] for c, _, _, _ in decided]
        keys = [{"claim_id": cid, "key": k, "topic": c.topic, "created_at": now}
                for cid, (c, _, _, ks) in zip(claim_ids, decided, strict=True)
                for k in dict.fromkeys(k.text for k in ks)]
        if keys:
            self.conn.execute(self._insert_ignore(t.claim_keys, ["claim_id", "key"]), keys)
        self.conn.execute(self._insert_ignore(t.cluster_sources, ["cluster_id", "url"]), [
            {"cluster_id": d.cluster, "url": url[:2000], "outlet": _cut(outlet, 300), "claim_id": cid, "seen_at": now}
            for cid, (_, d, _, _) in zip(claim_ids, decided, strict=True)])
        return claim_ids

    # --- digests --------------------------------------------------------------

    def pending_claims(self, limit: int = 2000, *, only: Sequence[int] | None = None) -> list[DigestItem]:
        """New, unsuppressed claims not yet in a sent digest, oldest first (``only``: of these ids)."""
        c, a = t.claims, t.articles
        query = (select(c.c.id, c.c.cluster_id, c.c.topic, c.c.text, c.c.conflicts_with, a.c.url, a.c.outlet,
                        a.c.published_at, a.c.title, c.c.article_id, c.c.score, c.c.rank, c.c.key,
                        cast(c.c.figures, Text).label("figures"))
                 .join(a, a.c.id == c.c.article_id)
                 .where(c.c.status == "new", c.c.suppressed.is_(False), c.c.digest_id.is_(None)))
        if only is not None:
            query = query.where(c.c.id.in_(list(only)))
        rows = self.conn.execute(query.order_by(c.c.id).limit(limit if only is None else None)).all()
        if not rows:
            return []
        clusters = {r.cluster_id for r in rows} | {x for r in rows for x in r.conflicts_with}
        s = t.cluster_sources
        sources: dict[str, list[tuple[str, str | None]]] = {}
        for r in self.conn.execute(select(s.c.cluster_id, s.c.url, s.c.outlet).where(s.c.cluster_id.in_(clusters))
                                   .order_by(s.c.seen_at.desc(), s.c.url)):
            sources.setdefault(r.cluster_id, []).append((r.url, r.outlet))
        first = {r.cluster_id: r for r in self.conn.execute(
            select(c.c.cluster_id, c.c.text, a.c.url, a.c.outlet, a.c.published_at,
                   cast(c.c.figures, Text).label("figures")).join(a, a.c.id == c.c.article_id)
            .where(c.c.cluster_id.in_(clusters), c.c.status == "new"))}
        # Why the latest repeat joined each cluster: for --explain, never for Slack.
        joined = {r.cluster_id: r.why for r in self.conn.execute(
            select(c.c.cluster_id, c.c.why).where(c.c.cluster_id.in_(clusters), c.c.status == "repeat")
            .order_by(c.c.id))}

        def also(cluster: str, url: str, outlet: str | None) -> tuple[str, ...]:
            names = [o or _host(u) for u, o in sources.get(cluster, []) if u != url]
            return tuple(n for n in dict.fromkeys(names) if n and n != outlet)

        def earlier(cluster: str, figures: str | None) -> EarlierReport:
            f = first.get(cluster)
            if f is None:
                return EarlierReport(cluster, "", None)
            now_figure, then_figure = _conflicting_pair(figures, f.figures)
            return EarlierReport(cluster, f.text, f.url, f.outlet, f.published_at, then_figure, now_figure)

        return [DigestItem(
            claim_id=r.id, cluster=r.cluster_id, topic=r.topic, text=r.text, url=r.url, outlet=r.outlet,
            published=r.published_at, outlets_since=max(0, len(sources.get(r.cluster_id, [None])) - 1),
            conflicts=tuple((x, first[x].text if x in first else "", first[x].url if x in first else None)
                            for x in r.conflicts_with),
            repeat_why=joined.get(r.cluster_id), title=r.title, article_id=r.article_id, score=r.score or 0.0,
            rank=r.rank, key=bool(r.key),
            also=also(r.cluster_id, r.url, r.outlet), figure=_first_figure(r.figures),
            earlier=tuple(earlier(x, r.figures) for x in r.conflicts_with),
        ) for r in rows]

    def start_digest(self, claim_ids: Sequence[int], period_start: datetime | None, period_end: datetime,
                     channel: str | None, now: datetime, updates: Sequence[Corroboration] = ()) -> int:
        return self.conn.execute(insert(t.digests).values(
            state="pending", period_start=period_start, period_end=period_end, created_at=now, channel=channel,
            claim_ids=list(claim_ids), updates=[asdict(u) for u in updates])).inserted_primary_key[0]

    def mark_sending(self, digest_id: int) -> None:
        self.conn.execute(update(t.digests).where(t.digests.c.id == digest_id).values(state="sending"))

    def record_first_message(self, digest_id: int, channel: str | None, message_ts: str | None) -> None:
        values: dict[str, str] = {"message_ts": message_ts or ""}
        if channel:
            values["channel"] = channel
        self.conn.execute(update(t.digests).where(t.digests.c.id == digest_id).values(**values))

    def mark_posted(self, digest_id: int, claim_ids: Sequence[int], message_ts: str | None, now: datetime, *,
                    placed: Sequence[tuple[int, str]] = (), updates: Sequence[Corroboration] = ()) -> None:
        """The digest went out: its claims are posted; where each was shown and the outlets its message
        named are kept, and each corroboration update posted raises what its story has shown."""
        self.conn.execute(update(t.digests).where(t.digests.c.id == digest_id)
                          .values(state="sent", sent_at=now, message_ts=message_ts))
        if claim_ids:
            self.conn.execute(update(t.claims).where(t.claims.c.id.in_(list(claim_ids))).values(digest_id=digest_id))
        c, s = t.claims, t.cluster_sources
        sources = select(func.count()).where(s.c.cluster_id == c.c.cluster_id).scalar_subquery()
        for claim_id, thread in placed:
            self.conn.execute(update(c).where(c.c.id == claim_id).values(slack_thread=thread[:300],
                                                                         sources_shown=sources))
        for u in updates:
            for claim_id, count in zip(u.claim_ids, u.sources, strict=True):
                self.conn.execute(update(c).where(c.c.id == claim_id, c.c.sources_shown < count)
                                  .values(sources_shown=count))

    def corroborations(self, since: datetime, limit: int = 20) -> list[Corroboration]:
        """Stories already in Slack whose claims more outlets restated since they were shown, muted
        stories left out, one per story (article and thread), the most new outlets first."""
        c, a, s = t.claims, t.articles, t.cluster_sources
        count = select(func.count()).where(s.c.cluster_id == c.c.cluster_id).scalar_subquery().label("n")
        rows = self.conn.execute(
            select(c.c.id, c.c.cluster_id, c.c.article_id, c.c.slack_thread, c.c.sources_shown, count, a.c.title,
                   a.c.url, a.c.outlet)
            .join(a, a.c.id == c.c.article_id)
            .where(c.c.slack_thread.is_not(None), c.c.created_at >= since, c.c.digest_id.is_not(None))
            .order_by(c.c.id)).all()
        rows = [r for r in rows if r.n > max(r.sources_shown, 1)]
        if not rows:
            return []
        muted = self.muted_clusters(since)  # 🔇 or ❌: no more updates for that story
        by_story: dict[tuple[int, str], list] = {}  # type: ignore[type-arg]
        for r in rows:
            if r.cluster_id not in muted:
                by_story.setdefault((r.article_id, r.slack_thread), []).append(r)
        clusters = {r.cluster_id for group in by_story.values() for r in group}
        outlets: dict[str, list[tuple[str, str | None]]] = {}
        for r in self.conn.execute(select(s.c.cluster_id, s.c.url, s.c.outlet).where(s.c.cluster_id.in_(clusters))
                                   .order_by(s.c.seen_at.desc(), s.c.url)):
            outlets.setdefault(r.cluster_id, []).append((r.url, r.outlet))
        found = []
        for (_article, thread), group in by_story.items():
            lead = group[0]
            names = [o or _host(u) for g in group for u, o in outlets.get(g.cluster_id, []) if u != lead.url]
            also = tuple(n for n in dict.fromkeys(names) if n and n != lead.outlet)
            new = sum(g.n - max(g.sources_shown, 1) for g in group)
            found.append(Corroboration(thread=thread, claim_ids=tuple(g.id for g in group),
                                       sources=tuple(g.n for g in group), title=lead.title, url=lead.url,
                                       outlet=lead.outlet, also=also, new=new))
        return sorted(found, key=lambda u: (-u.new, u.claim_ids))[:limit]

    # --- feedback ---------------------------------------------------------------

    def posted_messages(self, since: datetime) -> dict[str, tuple[list[int], list[str]]]:
        """The Slack threads the bot showed claims in since then: "C:ts" -> (claim ids, clusters)."""
        c = t.claims
        found: dict[str, tuple[list[int], list[str]]] = {}
        for r in self.conn.execute(select(c.c.id, c.c.cluster_id, c.c.slack_thread)
                                   .where(c.c.slack_thread.is_not(None), c.c.created_at >= since).order_by(c.c.id)):
            ids, clusters = found.setdefault(r.slack_thread, ([], []))
            ids.append(r.id)
            clusters.append(r.cluster_id)
        return found

    def save_feedback(self, channel: str, message_ts: str, reaction: str, user: str, kind: str,
                      claim_ids: Sequence[int], clusters: Sequence[str], now: datetime) -> bool:
        """Store one person's reaction once; returns whether it is new (a second read changes nothing)."""
        new = self.conn.execute(self._insert_ignore(t.feedback, ["channel", "message_ts", "reaction", "user_id"])
                                .values(channel=channel[:200], message_ts=message_ts[:100], reaction=reaction[:100],
                                        user_id=user[:100], kind=kind, claim_ids=list(claim_ids),
                                        clusters=list(clusters), created_at=now)
                                .returning(t.feedback.c.id)).scalar()
        return new is not None

    def feedback(self, since: datetime | None = None) -> list[dict[str, object]]:
        f = t.feedback
        query = select(f).order_by(f.c.id)
        if since is not None:
            query = query.where(f.c.created_at >= since)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def story_claims(self, url: str) -> list[tuple[str, str, str, float]]:
        """Every claim stored for the article at this URL (its page or canonical URL): (topic, status,
        text, score), in the article's order; what a digest's "+N more" stands for."""
        c, a = t.claims, t.articles
        rows = self.conn.execute(select(c.c.topic, c.c.status, c.c.text, c.c.score).join(a, a.c.id == c.c.article_id)
                                 .where((a.c.url == url) | (a.c.canonical_url == url)).order_by(c.c.id))
        return [(r.topic, r.status, r.text, r.score) for r in rows]

    def claim_texts(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        return dict(self.conn.execute(select(t.claims.c.id, t.claims.c.text).where(t.claims.c.id.in_(list(ids)))).all())

    def muted_clusters(self, since: datetime) -> set[str]:
        return {x for r in self.conn.execute(select(t.feedback.c.clusters)) for x in r.clusters}

    def mark_failed(self, digest_id: int, error: str, posted: Sequence[int] = ()) -> None:
        """The digest failed; claims whose messages Slack had already accepted count as posted."""
        self.conn.execute(update(t.digests).where(t.digests.c.id == digest_id).values(state="failed", error=error))
        if posted:
            self.conn.execute(update(t.claims).where(t.claims.c.id.in_(list(posted))).values(digest_id=digest_id))

    def last_digest_end(self) -> datetime | None:
        return self.conn.execute(select(func.max(t.digests.c.period_end)).where(t.digests.c.state == "sent")).scalar()

    def unfinished_digests(self) -> list[UnfinishedDigest]:
        """Digests a crash (or a Slack that never answered) left behind, oldest first.

        A 'pending' one never reached Slack; a 'sending' one may have.
        """
        d = t.digests
        rows = self.conn.execute(select(d.c.id, d.c.claim_ids, d.c.channel, d.c.state, d.c.created_at, d.c.updates)
                                 .where(d.c.state.in_(["pending", "sending"])).order_by(d.c.id))
        return [UnfinishedDigest(r.id, list(r.claim_ids), r.channel if r.state == "sending" else None, r.state,
                                 r.created_at, tuple(_corroboration(u) for u in r.updates or ())) for r in rows]

    # --- feeds ----------------------------------------------------------------

    def sync_feeds(self, feeds: Sequence[tuple[str, str | None]], now: datetime, *,
                   remove_missing: bool = False) -> list[str]:
        """Make the feeds table hold the configured feeds; new ones are due at once.

        With ``remove_missing`` (a config reload) feeds no longer configured are
        removed; their articles and claims stay. Returns the removed URLs.
        """
        if feeds:
            self.conn.execute(self._insert_ignore(t.feeds, ["url"]),
                              [{"url": url, "name": name, "next_poll_at": now, "error_count": 0, "seeded": False}
                               for url, name in feeds])
            # A feed renamed in bot.toml: alerts and the digest's failing-feeds line use the new name.
            stored = dict(self.conn.execute(select(t.feeds.c.url, t.feeds.c.name)
                                            .where(t.feeds.c.url.in_([url for url, _ in feeds]))).all())
            for url, name in feeds:
                if url in stored and stored[url] != name:
                    self.conn.execute(update(t.feeds).where(t.feeds.c.url == url).values(name=name))
        if not remove_missing:
            return []
        keep = [url for url, _ in feeds]
        gone = [r[0] for r in self.conn.execute(select(t.feeds.c.url).where(t.feeds.c.url.not_in(keep)))]
        if gone:
            self.conn.execute(t.feeds.delete().where(t.feeds.c.url.in_(gone)))
        return gone

    def lease_due_feeds(self, now: datetime, owner: str, limit: int, lease_for: timedelta) -> list[FeedState]:
        """Claim up to ``limit`` due feeds for one worker until the lease expires.

        On PostgreSQL the rows are locked with SKIP LOCKED, so workers never
        take the same feed; a killed worker's lease simply runs out.
        """
        f = t.feeds
        query = (select(f).where((f.c.next_poll_at.is_(None)) | (f.c.next_poll_at <= now),
                                 (f.c.lease_until.is_(None)) | (f.c.lease_until < now))
                 .order_by(f.c.next_poll_at.nulls_first() if self.conn.dialect.name == "postgresql" else f.c.next_poll_at)
                 .limit(limit))
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = self.conn.execute(query).all()
        if rows:
            self.conn.execute(update(f).where(f.c.id.in_([r.id for r in rows]))
                              .values(lease_owner=owner, lease_until=now + lease_for))
        return [_feed_state(r) for r in rows]

    def record_poll(self, feed_id: int, *, now: datetime, ok: bool, error: str | None, etag: str | None,
                    last_modified: str | None, next_poll_at: datetime, owner: str | None = None) -> None:
        """Store a poll's outcome and release the lease; errors are counted, never dropped.

        With ``owner``, only while this worker still holds the lease: a worker whose lease ran
        out (and the feed went to another) does not overwrite the newer result.
        """
        f = t.feeds
        if owner is not None:
            holder = self.conn.execute(select(f.c.lease_owner).where(f.c.id == feed_id)).scalar()
            if holder not in (owner, None):
                return
        values: dict[str, object] = {"last_polled_at": now, "next_poll_at": next_poll_at, "lease_owner": None,
                                     "lease_until": None}
        if ok:
            values.update(error_count=0, last_error=None, error_since=None, last_success_at=now, seeded=True)
            if etag is not None or last_modified is not None:
                values.update(etag=etag, last_modified=last_modified)
        else:
            current = self.conn.execute(select(f.c.error_count, f.c.error_since).where(f.c.id == feed_id)).one()
            values.update(error_count=current.error_count + 1, last_error=(error or "")[:2000],
                          error_since=current.error_since or now)
        self.conn.execute(update(f).where(f.c.id == feed_id).values(**values))

    def release_lease(self, feed_id: int, owner: str) -> None:
        """Give a feed back unpolled (the worker is stopping): still due, its counters untouched."""
        f = t.feeds
        self.conn.execute(update(f).where(f.c.id == feed_id, f.c.lease_owner == owner)
                          .values(lease_owner=None, lease_until=None))

    def recent_digest(self, since: datetime) -> bool:
        """Was a digest sent since then? Workers woken by the same cron tick post it once."""
        return self.conn.execute(select(t.digests.c.id).where(t.digests.c.state == "sent",
                                                              t.digests.c.created_at >= since)).first() is not None

    def feed_states(self) -> list[FeedState]:
        return [_feed_state(r) for r in self.conn.execute(select(t.feeds).order_by(t.feeds.c.url))]

    # --- housekeeping -----------------------------------------------------------

    def prune(self, now: datetime, retention_days: int) -> int:
        """Forget clusters not seen within the retention window, with their claims, then the old
        articles left without claims (their feed entries stay, so they are not fetched again)."""
        cutoff = now - timedelta(days=retention_days)
        old = [r[0] for r in self.conn.execute(select(t.clusters.c.id).where(t.clusters.c.last_seen_at < cutoff))]
        for chunk in (old[i:i + 500] for i in range(0, len(old), 500)):
            ids = select(t.claims.c.id).where(t.claims.c.cluster_id.in_(chunk))
            self.conn.execute(t.claim_keys.delete().where(t.claim_keys.c.claim_id.in_(ids)))
            self.conn.execute(t.cluster_sources.delete().where(t.cluster_sources.c.cluster_id.in_(chunk)))
            self.conn.execute(t.claims.delete().where(t.claims.c.cluster_id.in_(chunk)))
            self.conn.execute(t.clusters.delete().where(t.clusters.c.id.in_(chunk)))
        orphans = select(t.articles.c.id).where(t.articles.c.fetched_at < cutoff,
                                                ~t.articles.c.id.in_(select(t.claims.c.article_id)))
        self.conn.execute(update(t.feed_entries).where(t.feed_entries.c.article_id.in_(orphans)).values(article_id=None))
        self.conn.execute(t.articles.delete().where(t.articles.c.id.in_(orphans)))
        return len(old)
