"""The retrieval-key index carries the claim id, so candidate lookups never visit the table.

On PostgreSQL this rebuilds the index inside the migration's transaction: writes to claim_keys wait
until it is built. Run it (`claimbot check-config` migrates) before starting the workers on a
large database; CREATE INDEX CONCURRENTLY would need the migration outside the advisory-locked
transaction that keeps several starting workers from migrating at once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_claim_keys_lookup", table_name="claim_keys")
    op.create_index("ix_claim_keys_lookup", "claim_keys", ["topic", "key", "created_at", "claim_id"])


def downgrade() -> None:
    op.drop_index("ix_claim_keys_lookup", table_name="claim_keys")
    op.create_index("ix_claim_keys_lookup", "claim_keys", ["topic", "key", "created_at"])
