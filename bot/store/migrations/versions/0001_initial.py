"""Initial tables: feeds, articles, clusters, claims and their retrieval keys, digests.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False, unique=True),
        sa.Column("name", sa.String(300)),
        sa.Column("etag", sa.String(500)),
        sa.Column("last_modified", sa.String(100)),
        sa.Column("seeded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("next_poll_at", TZ),
        sa.Column("last_polled_at", TZ),
        sa.Column("last_success_at", TZ),
        sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("error_since", TZ),
        sa.Column("lease_owner", sa.String(100)),
        sa.Column("lease_until", TZ),
    )
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("period_start", TZ),
        sa.Column("period_end", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("channel", sa.String(200)),
        sa.Column("message_ts", sa.String(100)),
        sa.Column("error", sa.Text),
        sa.Column("claim_ids", sa.JSON, nullable=False),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("canonical_url", sa.String(2000), nullable=False, unique=True),
        sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="SET NULL")),
        sa.Column("title", sa.Text),
        sa.Column("outlet", sa.String(300)),
        sa.Column("author", sa.String(300)),
        sa.Column("published_at", TZ),
        sa.Column("fetched_at", TZ, nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("spam", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("spam_reason", sa.Text),
        sa.Column("text_chars", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "clusters",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("cluster_id", sa.String(64), sa.ForeignKey("clusters.id", ondelete="CASCADE"), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("text_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("conflicts_with", sa.JSON, nullable=False),
        sa.Column("why", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("tokens", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("suppressed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", ondelete="SET NULL")),
        sa.UniqueConstraint("article_id", "topic", "text_key", name="uq_claims_article_topic_text"),
    )
    op.create_index("ix_claims_pending", "claims", ["status", "digest_id", "suppressed"])
    op.create_index("ix_claims_cluster", "claims", ["cluster_id"])
    op.create_table(
        "claim_keys",
        sa.Column("claim_id", sa.Integer, sa.ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_claim_keys_lookup", "claim_keys", ["topic", "key", "created_at"])
    op.create_table(
        "cluster_sources",
        sa.Column("cluster_id", sa.String(64), sa.ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("url", sa.String(2000), primary_key=True),
        sa.Column("outlet", sa.String(300)),
        sa.Column("claim_id", sa.Integer, sa.ForeignKey("claims.id", ondelete="CASCADE")),
        sa.Column("seen_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("cluster_sources", "claim_keys", "claims", "clusters", "articles", "digests", "feeds"):
        op.drop_table(table)
