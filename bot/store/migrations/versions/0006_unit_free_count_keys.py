"""Counts are found by value alone: "10 million smartphones" meets "1000만대" (the same_count_unit rule
decides whether the things counted agree). Each stored count key gains its unit-free form, so
stories already running are found after the upgrade; the old keys age out with retention.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

from bot.text.figures import MEASURES

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

def upgrade() -> None:
    bind = op.get_bind()
    # The unit and the value of f|count|UNIT|VALUE, split in SQL: the table may hold millions of keys.
    if bind.dialect.name == "postgresql":
        unit, value, insert, tail = ("split_part(key, '|', 3)", "split_part(key, '|', 4)", "INSERT INTO",
                                     " ON CONFLICT DO NOTHING")
    else:
        rest = "substr(key, 9)"
        unit = f"substr({rest}, 1, instr({rest}, '|') - 1)"
        value = f"substr({rest}, instr({rest}, '|') + 1)"
        insert, tail = "INSERT OR IGNORE INTO", ""
    measures = ", ".join(f"'{m}'" for m in sorted(MEASURES))
    op.execute(
        f"{insert} claim_keys (claim_id, key, topic, created_at)"
        f" SELECT claim_id, 'f|count||' || {value}, topic, created_at FROM claim_keys"
        f" WHERE key LIKE 'f|count|%' AND key NOT LIKE 'f|count||%' AND {unit} NOT IN ({measures}){tail}")


def downgrade() -> None:
    # The unit-free keys stay: older code never looks them up, and claims stored since have no others.
    pass
