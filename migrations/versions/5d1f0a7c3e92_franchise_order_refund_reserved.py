"""franchise: refund reservation on orders

``orders.refund_reserved_fen`` is Σ refunds requested or done; a refund request takes
its amount with one conditional UPDATE (``paid_fen - refund_reserved_fen >= amount``),
so parallel full refunds of one order accept exactly one on SQLite as on PostgreSQL.
Backfilled from the refunds that are requested or succeeded.

Revision ID: 5d1f0a7c3e92
Revises: a3c9e1f4b7d2
Create Date: 2026-11-27 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5d1f0a7c3e92"
down_revision = "a3c9e1f4b7d2"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE orders SET refund_reserved_fen = COALESCE((
    SELECT SUM(refunds.amount_fen) FROM refunds
    WHERE refunds.order_id = orders.id AND refunds.status IN ('requested', 'succeeded')
), 0)
"""


def upgrade():
    # a plain ADD COLUMN (no batch): SQLite would otherwise rebuild the orders table
    op.add_column(
        "orders",
        sa.Column(
            "refund_reserved_fen",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default="0",
            nullable=False,
        ),
    )
    op.execute(BACKFILL)


def downgrade():
    op.drop_column("orders", "refund_reserved_fen")  # SQLite ≥ 3.35 drops it in place
