"""Storage behind intention-revealing methods.

``Store`` owns the engine and runs Alembic migrations; ``Store.transaction()``
hands out a ``Repository`` bound to one connection and transaction, so the
caller decides what is committed together.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, event, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from ..errors import StoreError
from ..models import Article, Claim, Decision, DigestItem, Figure, KnownClaim
from . import schema as t

MIGRATIONS = Path(__file__).parent / "migrations"


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url)


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            engine = create_engine(url, future=True, pool_pre_ping=True)
        except (SQLAlchemyError, ValueError, ImportError) as exc:
            raise StoreError(_redact(url), f"not a usable database URL ({exc})",
                             "use e.g. sqlite:///data/claimbot.db or postgresql+psycopg://user@host/db") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # Several workers may start at once: one migrates, the others wait.
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242001)")
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise StoreError(_redact(str(self.engine.url)), f"cannot reach the database ({exc.orig})",
                             "check DATABASE_URL and that the server is running") from None

    @contextmanager
    def transaction(self) -> Iterator[Repository]:
        try:
            with self.engine.begin() as conn:
                yield Repository(conn)
        except OperationalError as exc:
            raise StoreError(_redact(str(self.engine.url)), f"database error ({exc.orig})",
                             "check that the database is reachable and not locked by another process") from None

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def text_key(text: str) -> str:
    return hashlib.sha1(re.sub(r"\s+", "", text).encode()).hexdigest()


def _figures_to_json(figs: Sequence[Figure]) -> list[dict[str, object]]:
    return [asdict(f) for f in figs]


def _figures_from_json(rows: Sequence[dict[str, object]]) -> tuple[Figure, ...]:
    return tuple(Figure(value=float(r["value"]), unit=str(r["unit"]), kind=r["kind"], text=str(r["text"]),  # type: ignore[arg-type]
                        context=tuple(r.get("context") or ())) for r in rows)


class Repository:
    """One transaction's view of the store. Every method says what it means."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- articles -------------------------------------------------------------

    def save_article(self, article: Article, canonical_url: str, *, topics: Sequence[str], spam: bool,
                     spam_reason: str | None, now: datetime, feed_id: int | None = None) -> tuple[int, bool]:
        """Store an article once per canonical URL; returns (id, whether it is new)."""
        existing = self.conn.execute(select(t.articles.c.id).where(t.articles.c.canonical_url == canonical_url)).scalar()
        if existing is not None:
            return existing, False
        try:
            with self.conn.begin_nested():
                new_id = self.conn.execute(insert(t.articles).values(
                    url=article.url, canonical_url=canonical_url, feed_id=feed_id, title=article.title,
                    outlet=article.outlet, author=article.author, published_at=article.published, fetched_at=now,
                    topics=list(topics), spam=spam, spam_reason=spam_reason, text_chars=len(article.text),
                )).inserted_primary_key[0]
        except IntegrityError:  # another worker stored it first
            existing = self.conn.execute(
                select(t.articles.c.id).where(t.articles.c.canonical_url == canonical_url)).scalar_one()
            return existing, False
        return new_id, True

    def has_article(self, canonical_url: str) -> bool:
        return self.conn.execute(
            select(t.articles.c.id).where(t.articles.c.canonical_url == canonical_url)).first() is not None

    # --- claims and clusters -----------------------------------------------------

    def similar_claims(self, topic: str, keys: Sequence[str], since: datetime, *, per_key: int = 50,
                       limit: int = 200) -> list[KnownClaim]:
        """Stored claims of a topic sharing a retrieval key, newest first per key.

        Each key's fan-out is capped, so a popular entity costs the same at a
        million claims as at ten thousand.
        """
        ids: dict[int, int] = {}
        for key in keys:
            rows = self.conn.execute(
                select(t.claim_keys.c.claim_id)
                .where(t.claim_keys.c.topic == topic, t.claim_keys.c.key == key, t.claim_keys.c.created_at >= since)
                .order_by(t.claim_keys.c.created_at.desc()).limit(per_key))
            for (claim_id,) in rows:
                ids[claim_id] = ids.get(claim_id, 0) + 1
        best = sorted(ids, key=lambda i: ids[i], reverse=True)[:limit]
        if not best:
            return []
        c, a = t.claims, t.articles
        rows = self.conn.execute(
            select(c.c.id, c.c.cluster_id, c.c.topic, c.c.text, c.c.figures, c.c.entities, c.c.tokens, a.c.url,
                   a.c.outlet, c.c.article_id)
            .join(a, a.c.id == c.c.article_id).where(c.c.id.in_(best)))
        return [KnownClaim(claim_id=r.id, cluster=r.cluster_id, topic=r.topic, text=r.text,
                           figures=_figures_from_json(r.figures), entities=tuple(r.entities), tokens=tuple(r.tokens),
                           url=r.url, outlet=r.outlet, article_id=r.article_id) for r in rows]

    def save_claim(self, article_id: int, claim: Claim, decision: Decision, cluster: str, keys: Sequence[str], *,
                   url: str, outlet: str | None, now: datetime, suppressed: bool = False) -> int | None:
        """Store a claim (and its cluster when new). None when this article already holds it."""
        if decision.status == "new":
            exists = self.conn.execute(select(t.clusters.c.id).where(t.clusters.c.id == cluster)).scalar()
            if exists is None:
                self.conn.execute(insert(t.clusters).values(id=cluster, topic=claim.topic, created_at=now,
                                                            last_seen_at=now))
        try:
            with self.conn.begin_nested():
                claim_id = self.conn.execute(insert(t.claims).values(
                    article_id=article_id, cluster_id=cluster, topic=claim.topic, text=claim.text,
                    text_key=text_key(claim.text), status=decision.status, conflicts_with=list(decision.conflicts_with),
                    why=decision.why, score=claim.score, figures=_figures_to_json(claim.figures),
                    entities=list(claim.entities), tokens=list(claim.tokens), created_at=now,
                    suppressed=suppressed,
                )).inserted_primary_key[0]
        except IntegrityError:
            return None
        if keys:
            self.conn.execute(insert(t.claim_keys), [
                {"claim_id": claim_id, "key": k, "topic": claim.topic, "created_at": now} for k in keys])
        if decision.status == "new":
            self.conn.execute(update(t.clusters).where(t.clusters.c.id == cluster, t.clusters.c.first_claim_id.is_(None))
                              .values(first_claim_id=claim_id))
        self._add_source(cluster, url, outlet, claim_id, now)
        return claim_id

    def _add_source(self, cluster: str, url: str, outlet: str | None, claim_id: int, now: datetime) -> None:
        exists = self.conn.execute(select(t.cluster_sources.c.url).where(
            t.cluster_sources.c.cluster_id == cluster, t.cluster_sources.c.url == url)).first()
        if exists is None:
            self.conn.execute(insert(t.cluster_sources).values(cluster_id=cluster, url=url, outlet=outlet,
                                                               claim_id=claim_id, seen_at=now))
        self.conn.execute(update(t.clusters).where(t.clusters.c.id == cluster).values(last_seen_at=now))

    # --- digests --------------------------------------------------------------

    def pending_claims(self, limit: int = 2000) -> list[DigestItem]:
        """New, unsuppressed claims not yet in a sent digest, oldest first."""
        c, a = t.claims, t.articles
        rows = self.conn.execute(
            select(c.c.id, c.c.cluster_id, c.c.topic, c.c.text, c.c.conflicts_with, a.c.url, a.c.outlet,
                   a.c.published_at)
            .join(a, a.c.id == c.c.article_id)
            .where(c.c.status == "new", c.c.suppressed.is_(False), c.c.digest_id.is_(None))
            .order_by(c.c.id).limit(limit)).all()
        if not rows:
            return []
        clusters = {r.cluster_id for r in rows} | {x for r in rows for x in r.conflicts_with}
        outlets = dict(self.conn.execute(
            select(t.cluster_sources.c.cluster_id, func.count())
            .where(t.cluster_sources.c.cluster_id.in_(clusters)).group_by(t.cluster_sources.c.cluster_id)).all())
        first = {r.id: (r.text, r.url) for r in self.conn.execute(
            select(t.clusters.c.id, c.c.text, a.c.url).join(c, c.c.id == t.clusters.c.first_claim_id)
            .join(a, a.c.id == c.c.article_id).where(t.clusters.c.id.in_(clusters)))}
        return [DigestItem(
            claim_id=r.id, cluster=r.cluster_id, topic=r.topic, text=r.text, url=r.url, outlet=r.outlet,
            published=r.published_at, outlets_since=max(0, outlets.get(r.cluster_id, 1) - 1),
            conflicts=tuple((x, *first.get(x, ("", None))) for x in r.conflicts_with),
        ) for r in rows]

    def start_digest(self, claim_ids: Sequence[int], period_start: datetime | None, period_end: datetime,
                     channel: str | None, now: datetime) -> int:
        return self.conn.execute(insert(t.digests).values(
            state="sending", period_start=period_start, period_end=period_end, created_at=now, channel=channel,
            claim_ids=list(claim_ids))).inserted_primary_key[0]

    def mark_posted(self, digest_id: int, claim_ids: Sequence[int], message_ts: str | None, now: datetime) -> None:
        self.conn.execute(update(t.digests).where(t.digests.c.id == digest_id)
                          .values(state="sent", sent_at=now, message_ts=message_ts))
        if claim_ids:
            self.conn.execute(update(t.claims).where(t.claims.c.id.in_(list(claim_ids))).values(digest_id=digest_id))

    def mark_failed(self, digest_id: int, error: str) -> None:
        self.conn.execute(update(t.digests).where(t.digests.c.id == digest_id).values(state="failed", error=error))

    def last_digest_end(self) -> datetime | None:
        return self.conn.execute(select(func.max(t.digests.c.period_end)).where(t.digests.c.state == "sent")).scalar()

    def unfinished_digests(self) -> list[tuple[int, list[int]]]:
        rows = self.conn.execute(select(t.digests.c.id, t.digests.c.claim_ids).where(t.digests.c.state == "sending"))
        return [(r.id, list(r.claim_ids)) for r in rows]

    # --- housekeeping -----------------------------------------------------------

    def prune(self, now: datetime, retention_days: int) -> int:
        """Forget clusters not seen within the retention window, with their claims."""
        cutoff = now - timedelta(days=retention_days)
        old = [r[0] for r in self.conn.execute(select(t.clusters.c.id).where(t.clusters.c.last_seen_at < cutoff))]
        for chunk in (old[i:i + 500] for i in range(0, len(old), 500)):
            ids = select(t.claims.c.id).where(t.claims.c.cluster_id.in_(chunk))
            self.conn.execute(t.claim_keys.delete().where(t.claim_keys.c.claim_id.in_(ids)))
            self.conn.execute(t.cluster_sources.delete().where(t.cluster_sources.c.cluster_id.in_(chunk)))
            self.conn.execute(t.claims.delete().where(t.claims.c.cluster_id.in_(chunk)))
            self.conn.execute(t.clusters.delete().where(t.clusters.c.id.in_(chunk)))
        return len(old)
