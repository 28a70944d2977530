"""The tables. Alembic migrations in ``migrations/versions`` create and evolve them;
this metadata is what the repository queries against and what tests compare the
migrated database with.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware in, timezone-aware out, stored as UTC.

    SQLite keeps no zone, so without this a Seoul time read back as naive
    would be shifted by nine hours when shown.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass timezone-aware values")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

feeds = Table(
    "feeds", metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2000), nullable=False, unique=True),
    Column("name", String(300)),
    Column("etag", String(500)),
    Column("last_modified", String(100)),
    Column("seeded", Boolean, nullable=False, default=False),
    Column("next_poll_at", UTCDateTime()),
    Column("last_polled_at", UTCDateTime()),
    Column("last_success_at", UTCDateTime()),
    Column("error_count", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("error_since", UTCDateTime()),
    Column("lease_owner", String(100)),
    Column("lease_until", UTCDateTime()),
)

articles = Table(
    "articles", metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("canonical_url", String(2000), nullable=False, unique=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="SET NULL")),
    Column("title", Text),
    Column("outlet", String(300)),
    Column("author", String(300)),
    Column("published_at", UTCDateTime()),
    Column("fetched_at", UTCDateTime(), nullable=False),
    Column("topics", JSON, nullable=False, default=list),
    Column("spam", Boolean, nullable=False, default=False),
    Column("spam_reason", Text),
    Column("text_chars", Integer, nullable=False, default=0),
)

clusters = Table(
    "clusters", metadata,
    Column("id", String(64), primary_key=True),
    Column("topic", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
)

claims = Table(
    "claims", metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("cluster_id", String(64), ForeignKey("clusters.id", ondelete="CASCADE"), nullable=False),
    Column("topic", String(100), nullable=False),
    Column("text", Text, nullable=False),
    Column("text_key", String(64), nullable=False),
    Column("status", String(10), nullable=False),
    Column("conflicts_with", JSON, nullable=False, default=list),
    Column("why", Text, nullable=False, default=""),
    Column("score", Float, nullable=False, default=0.0),
    Column("figures", JSON, nullable=False, default=list),
    Column("entities", JSON, nullable=False, default=list),
    Column("tokens", JSON, nullable=False, default=list),
    Column("fingerprint", JSON),           # the novelty slots (migration 0004); NULL for older claims
    Column("vector", LargeBinary),         # the sentence embedding, int8
    Column("rank", Integer, nullable=False, default=0, server_default="0"),
    Column("key", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("suppressed", Boolean, nullable=False, default=False),
    Column("digest_id", Integer, ForeignKey("digests.id", ondelete="SET NULL")),
    # The Slack thread the claim's message sits in (a corroboration update is replied there), and how many
    # outlets that message or its latest update named.
    Column("slack_thread", String(300)),   # "C123:1700000000.000100"
    Column("sources_shown", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("article_id", "topic", "text_key", name="uq_claims_article_topic_text"),
    Index("ix_claims_pending", "status", "digest_id", "suppressed"),
    Index("ix_claims_cluster", "cluster_id"),
    Index("ix_claims_topic_text", "topic", "text_key", "created_at"),  # copies word for word: migration 0007
    Index("ix_claims_thread", "slack_thread"),
)

claim_keys = Table(
    "claim_keys", metadata,
    Column("claim_id", Integer, ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("topic", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_claim_keys_lookup", "topic", "key", "created_at", "claim_id"),  # covering: see migration 0003
)

cluster_sources = Table(
    "cluster_sources", metadata,
    Column("cluster_id", String(64), ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True),
    Column("url", String(2000), primary_key=True),
    Column("outlet", String(300)),
    Column("claim_id", Integer, ForeignKey("claims.id", ondelete="CASCADE")),
    Column("seen_at", UTCDateTime(), nullable=False),
)

feed_entries = Table(
    "feed_entries", metadata,
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True),
    Column("guid_key", String(64), primary_key=True),   # sha1 of the entry's guid
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("error", Text),
    Column("seen_at", UTCDateTime(), nullable=False),
)

digests = Table(
    "digests", metadata,
    Column("id", Integer, primary_key=True),
    Column("state", String(10), nullable=False),  # pending -> sending -> sent | failed
    Column("period_start", UTCDateTime()),
    Column("period_end", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("channel", String(200)),
    Column("message_ts", String(100)),
    Column("error", Text),
    Column("claim_ids", JSON, nullable=False, default=list),
    # Corroboration updates this digest carries: [{"claim_id", "sources", "thread"}].
    Column("updates", JSON, nullable=False, default=list, server_default="[]"),
)

# Analysts' reactions on the bot's messages, stored once per message, reaction and person.
feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(200), nullable=False),
    Column("message_ts", String(100), nullable=False),
    Column("reaction", String(100), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("kind", String(20), nullable=False),      # mute | not_relevant
    Column("claim_ids", JSON, nullable=False),
    Column("clusters", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("channel", "message_ts", "reaction", "user_id", name="uq_feedback_once"),
)
