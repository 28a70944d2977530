"""Reading back what was seen: claims by topic, time and word, and one story's whole history.

Kept beside repository.py (which writes) as the read side of the same tables;
``Repository`` inherits these methods, so callers still hold one repository per
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Text, cast, func, select

from . import schema as t


@dataclass(frozen=True, slots=True)
class SeenClaim:
    claim_id: int
    cluster: str
    topic: str
    text: str
    status: str                      # new | repeat
    state: str                       # posted | pending | history (seeded, never posted) | folded (a repeat)
    seen_at: datetime
    url: str
    outlet: str | None
    published: datetime | None
    outlets: int                     # outlets (distinct URLs) in the cluster so far
    conflicts_with: tuple[str, ...]
    why: str
    figures: tuple[str, ...]         # each figure as written, e.g. "600만 달러"


@dataclass(frozen=True, slots=True)
class StoryHistory:
    cluster: str
    topic: str
    first_seen: datetime
    last_seen: datetime
    claims: tuple[SeenClaim, ...]    # oldest first: every outlet, every figure, over time
    conflicting: tuple[str, ...]     # other clusters whose figures disagree with this one


def _state(status: str, suppressed: bool, digest_id: int | None) -> str:
    if status != "new":
        return "folded"
    if digest_id is not None:
        return "posted"
    return "history" if suppressed else "pending"


class ClaimHistory:
    conn: Connection

    def _seen(self, where: list, limit: int | None, newest_first: bool) -> list[SeenClaim]:  # type: ignore[type-arg]
        c, a = t.claims, t.articles
        order = (c.c.created_at.desc(), c.c.id.desc()) if newest_first else (c.c.created_at, c.c.id)
        query = (select(c.c.id, c.c.cluster_id, c.c.topic, c.c.text, c.c.status, c.c.suppressed, c.c.digest_id,
                        c.c.created_at, c.c.conflicts_with, c.c.why, c.c.figures, a.c.url, a.c.outlet,
                        a.c.published_at)
                 .join(a, a.c.id == c.c.article_id).where(*where).order_by(*order))
        rows = self.conn.execute(query.limit(limit) if limit else query).all()
        clusters = sorted({r.cluster_id for r in rows})
        outlets: dict[str, int] = {}
        for start in range(0, len(clusters), 500):
            outlets.update(self.conn.execute(
                select(t.cluster_sources.c.cluster_id, func.count())
                .where(t.cluster_sources.c.cluster_id.in_(clusters[start:start + 500]))
                .group_by(t.cluster_sources.c.cluster_id)).all())
        return [SeenClaim(
            claim_id=r.id, cluster=r.cluster_id, topic=r.topic, text=r.text, status=r.status,
            state=_state(r.status, r.suppressed, r.digest_id), seen_at=r.created_at, url=r.url, outlet=r.outlet,
            published=r.published_at, outlets=outlets.get(r.cluster_id, 1), conflicts_with=tuple(r.conflicts_with or ()),
            why=r.why or "", figures=tuple(str(f.get("text", "")) for f in (r.figures or ()) if isinstance(f, dict)),
        ) for r in rows]

    def search_claims(self, *, topic: str | None = None, since: datetime | None = None, grep: str | None = None,
                      limit: int = 200) -> list[SeenClaim]:
        """Claims seen, newest first, narrowed by topic, by when they were seen and by a word in the text."""
        c = t.claims
        where = []
        if topic:
            where.append(c.c.topic == topic)
        if since is not None:
            where.append(c.c.created_at >= since)
        if grep:
            where.append(func.lower(c.c.text).contains(grep.lower(), autoescape=True))
        return self._seen(where, limit, newest_first=True)

    def story_history(self, cluster: str) -> StoryHistory | None:
        """One story (cluster) from its first claim on: every outlet and figure, oldest first.

        A unique prefix of the cluster id is enough, as with git commits.
        """
        exact = self._story(cluster)
        if exact is not None:
            return exact
        ids = self.clusters_matching(cluster, 2)
        return self._story(ids[0]) if len(ids) == 1 else None

    def clusters_matching(self, prefix: str, limit: int = 5) -> list[str]:
        k = t.clusters
        return [r[0] for r in self.conn.execute(
            select(k.c.id).where(k.c.id.startswith(prefix, autoescape=True)).order_by(k.c.id).limit(limit))]

    def _story(self, cluster: str) -> StoryHistory | None:
        k = t.clusters
        row = self.conn.execute(select(k).where(k.c.id == cluster)).first()
        if row is None:
            return None
        claims = self._seen([t.claims.c.cluster_id == cluster], None, newest_first=False)
        conflicting = sorted({x for claim in claims for x in claim.conflicts_with})
        # Later clusters that named this one as the figure they contradict.
        c = t.claims
        for other in self.conn.execute(select(c.c.cluster_id, c.c.conflicts_with).where(
                c.c.topic == row.topic, c.c.status == "new", cast(c.c.conflicts_with, Text).contains(cluster))):
            if cluster in (other.conflicts_with or ()) and other.cluster_id not in conflicting:
                conflicting.append(other.cluster_id)
        return StoryHistory(cluster=cluster, topic=row.topic, first_seen=row.created_at, last_seen=row.last_seen_at,
                            claims=tuple(claims), conflicting=tuple(conflicting))
