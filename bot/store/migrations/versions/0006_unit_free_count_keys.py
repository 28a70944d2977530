"""Counts are found by value alone: "10 million smartphones" meets "1000만대" (the same_count_unit rule
decides whether the things counted agree). Each stored count key gains its unit-free form, so
stories already running are found after the upgrade; the old keys age out with retention.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.text.figures import MEASURES

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_KEYS = sa.table("claim_keys", sa.column("claim_id"), sa.column("key"), sa.column("topic"),
                 sa.column("created_at"))


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_KEYS).where(_KEYS.c.key.like("f|count|%"))).all()
    have = {(r.claim_id, r.key) for r in rows}
    added: dict[tuple[int, str], dict[str, object]] = {}
    for r in rows:
        _, _, unit, value = r.key.split("|", 3)
        new = f"f|count||{value}"
        if unit and unit not in MEASURES and (r.claim_id, new) not in have:
            added[(r.claim_id, new)] = {"claim_id": r.claim_id, "key": new, "topic": r.topic,
                                        "created_at": r.created_at}
    if added:
        bind.execute(_KEYS.insert(), list(added.values()))


def downgrade() -> None:
    op.execute("DELETE FROM claim_keys WHERE key LIKE 'f|count||%'")
