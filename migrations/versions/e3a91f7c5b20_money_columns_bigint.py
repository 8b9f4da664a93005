"""money columns (*_fen) are BIGINT

Sums and large orders pass 2**31 fen (¥21,474,836.47): a day's reconciliation and
statements, a customer's 12-month spend, campaign figures, a ¥100 million product. On
PostgreSQL every ``*_fen`` column becomes ``bigint`` (an in-place widening, no rewrite of
the values). SQLite's INTEGER already holds 64 bits and the models keep INTEGER there
(``app.extensions.Money``), so nothing is done on SQLite (no table rebuild).

Revision ID: e3a91f7c5b20
Revises: 5d1f0a7c3e92
Create Date: 2026-12-07 02:50:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e3a91f7c5b20"
down_revision = "5d1f0a7c3e92"
branch_labels = None
depends_on = None

# (table, column, nullable)
MONEY_COLUMNS = (
    ("coupon_templates", "amount_off_fen", False),
    ("coupon_templates", "threshold_fen", False),
    ("products", "price_fen", False),
    ("reconciliation_runs", "bill_total_fen", False),
    ("reconciliation_runs", "ledger_total_fen", False),
    ("reconciliation_items", "bill_amount_fen", True),
    ("reconciliation_items", "ledger_amount_fen", True),
    ("settlement_statements", "gross_fen", False),
    ("settlement_statements", "fee_fen", False),
    ("settlement_statements", "hq_share_fen", False),
    ("settlement_statements", "refund_fen", False),
    ("settlement_statements", "net_fen", False),
    ("customers", "monetary_fen", False),
    ("live_lineup_items", "live_price_fen", False),
    ("live_reward_rules", "amount_fen", False),
    ("orders", "total_fen", False),
    ("orders", "discount_fen", False),
    ("orders", "payable_fen", False),
    ("orders", "paid_fen", False),
    ("orders", "refunded_fen", False),
    ("order_lines", "unit_price_fen", False),
    ("order_lines", "line_total_fen", False),
    ("payments", "amount_fen", False),
    ("payments", "fee_fen", False),
    ("profit_shares", "amount_fen", False),
    ("refunds", "amount_fen", False),
    ("ledger_transactions", "amount_fen", False),
    ("ledger_entries", "debit_fen", False),
    ("ledger_entries", "credit_fen", False),
)


def _alter(from_type, to_type):
    if op.get_bind().dialect.name == "sqlite":
        return  # INTEGER is already 64-bit there; the models keep INTEGER on SQLite
    for table, column, nullable in MONEY_COLUMNS:
        op.alter_column(
            table, column, type_=to_type, existing_type=from_type, existing_nullable=nullable
        )


def upgrade():
    _alter(sa.Integer(), sa.BigInteger())


def downgrade():
    _alter(sa.BigInteger(), sa.Integer())
