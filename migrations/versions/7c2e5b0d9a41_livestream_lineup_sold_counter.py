"""livestream: sold counter on line-up items

The stock cap of a line-up item is checked against this counter instead of summing the
campaign's order lines under the row lock. Backfilled from the orders that still hold
their stock (not cancelled or closed).

Revision ID: 7c2e5b0d9a41
Revises: 1448cc45d427
Create Date: 2026-11-26 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c2e5b0d9a41'
down_revision = '1448cc45d427'
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE live_lineup_items SET sold = COALESCE((
    SELECT SUM(order_lines.quantity)
    FROM order_lines JOIN orders ON orders.id = order_lines.order_id
    WHERE orders.campaign_id = live_lineup_items.campaign_id
      AND order_lines.product_id = live_lineup_items.product_id
      AND orders.status NOT IN ('cancelled', 'closed')
), 0)
"""


def upgrade():
    with op.batch_alter_table('live_lineup_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sold', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint('sold_nonnegative', 'sold >= 0')
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('live_lineup_items', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_live_lineup_items_sold_nonnegative'), type_='check')
        batch_op.drop_column('sold')
