"""wechat_bill_lines: WeChat Pay's trade and fund-flow bill lines (APIv3 reconciliation)

Revision ID: a7c2e9d41b63
Revises: faf448d091dc
Create Date: 2026-12-07 05:30:00

"""

from alembic import op
import sqlalchemy as sa

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = "a7c2e9d41b63"
down_revision = "faf448d091dc"
branch_labels = None
depends_on = None

MONEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "wechat_bill_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("franchisee_id", sa.Integer(), nullable=True),
        sa.Column("sub_mch_id", sa.String(length=32), nullable=False),
        sa.Column("transaction_id", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("business", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", MONEY, nullable=False),
        sa.Column("fee_fen", MONEY, nullable=True),
        sa.Column("booked_at", sa.String(length=19), nullable=False),
        sa.Column("fetched_at", app.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["franchisee_id"],
            ["franchisees.id"],
            name=op.f("fk_wechat_bill_lines_franchisee_id_franchisees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_bill_lines")),
    )
    with op.batch_alter_table("wechat_bill_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wechat_bill_lines_day_kind_sub", ["bill_date", "kind", "sub_mch_id"], unique=False
        )
        batch_op.create_index(
            "ix_wechat_bill_lines_transaction", ["transaction_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_wechat_bill_lines_franchisee_id"), ["franchisee_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("wechat_bill_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_bill_lines_franchisee_id"))
        batch_op.drop_index("ix_wechat_bill_lines_transaction")
        batch_op.drop_index("ix_wechat_bill_lines_day_kind_sub")
    op.drop_table("wechat_bill_lines")
