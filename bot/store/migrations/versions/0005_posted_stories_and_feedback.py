"""Where each claim was posted and how many outlets its message named; the corroboration updates a
digest carries; analysts' reactions stored as feedback, once per message, reaction and person.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("slack_thread", sa.String(300)))
        batch.add_column(sa.Column("sources_shown", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("digests") as batch:
        batch.add_column(sa.Column("updates", sa.JSON, nullable=False, server_default="[]"))
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("message_ts", sa.String(100), nullable=False),
        sa.Column("reaction", sa.String(100), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("claim_ids", sa.JSON, nullable=False),
        sa.Column("clusters", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("channel", "message_ts", "reaction", "user_id", name="uq_feedback_once"),
    )
    op.create_index("ix_claims_thread", "claims", ["slack_thread"])


def downgrade() -> None:
    op.drop_index("ix_claims_thread", table_name="claims")
    op.drop_table("feedback")
    with op.batch_alter_table("digests") as batch:
        batch.drop_column("updates")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("sources_shown")
        batch.drop_column("slack_thread")
