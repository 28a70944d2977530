"""Claims keep their novelty fingerprint (typed slots, as JSON), their sentence embedding, and their
rank in the article.

Claims stored before this have no fingerprint: the pipeline rebuilds their slots from the text when
they are offered as candidates (without an embedding), and they age out with the retention period.
Their retrieval keys are rewritten to the new forms (the same buckets, ids and word bands, spelled
f|, m|, a|, p|, w0|), so stories already running are still found after the upgrade.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("fingerprint", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("vector", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("rank", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("key", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE claim_keys SET key = CASE"
        " WHEN key LIKE 'f:%' THEN 'f|' || replace(substr(key, 3), ':', '|')"
        " WHEN key LIKE 'm:%' THEN 'm|' || replace(replace(substr(key, 3), ':', '|'), '~', '')"
        " WHEN key LIKE 'e:@%' THEN 'p|' || substr(key, 4)"
        " WHEN key LIKE 'e:%' THEN 'a|' || substr(key, 3)"
        " WHEN key LIKE 'b_:%' THEN 'w' || substr(key, 2, 1) || '|' || substr(key, 4)"
        " ELSE key END"
        " WHERE key LIKE 'f:%' OR key LIKE 'm:%' OR key LIKE 'e:%' OR key LIKE 'b_:%'")


def downgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("key")
        batch.drop_column("rank")
        batch.drop_column("vector")
        batch.drop_column("fingerprint")
