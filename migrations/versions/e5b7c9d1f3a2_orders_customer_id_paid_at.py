"""a customer's orders paid in a window: (customer_id, paid_at) replaces
ix_orders_customer_id

After each payment the member's level is reviewed on the rolling 12-month spend
(``franchise.services.members.spend_12m``: paid − refunded of the customer's orders with
``paid_at`` in the last 365 days). On ``customer_id`` alone PostgreSQL read every order
the customer ever placed, paid or not, and filtered them (about 20 ms a payment for the
bench's customer with 24,000 orders); on the composite index it reads only the orders
paid within the window. It serves every ``customer_id``-only lookup too, so the
single-column one goes (an order insert keeps the same number of indexes to update).

PostgreSQL builds the new index and drops the old one ``CONCURRENTLY``, each outside
the migration's transaction: orders keep being placed and paid meanwhile.

Revision ID: e5b7c9d1f3a2
Revises: d7f2a9c4e1b6
Create Date: 2026-12-08 01:35:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "e5b7c9d1f3a2"
down_revision = "d7f2a9c4e1b6"
branch_labels = None
depends_on = None


NEW, OLD = "ix_orders_customer_id_paid_at", "ix_orders_customer_id"


def _swap(add: str, columns: list, drop: str) -> None:
    """Build ``add`` on ``columns`` then drop ``drop``, concurrently on PostgreSQL."""
    live = op.get_bind().dialect.name == "postgresql"
    with op.get_context().autocommit_block():
        op.create_index(add, "orders", columns, postgresql_concurrently=live)
        op.drop_index(drop, table_name="orders", postgresql_concurrently=live)


def upgrade():
    _swap(NEW, ["customer_id", "paid_at"], OLD)


def downgrade():
    _swap(OLD, ["customer_id"], NEW)
