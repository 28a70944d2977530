"""Claims found by their sentence: a wire story copied word for word onto other sites is recognised
with one indexed lookup, before any retrieval by key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_claims_topic_text", "claims", ["topic", "text_key", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_claims_topic_text", table_name="claims")
