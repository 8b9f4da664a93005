"""a customer's orders paid in a window: (customer_id, paid_at) replaces
ix_orders_customer_id

After each payment the member's level is reviewed on the rolling 12-month spend
(``franchise.services.members.spend_12m``: paid − refunded of the customer's orders with
``paid_at`` in the last 365 days). On ``customer_id`` alone PostgreSQL read every order
the customer ever placed, paid or not, and filtered them (about 20 ms a payment for the
bench's customer with 24,000 orders); on the composite index it reads only the orders
paid within the window. It serves every ``customer_id``-only lookup too, so the
single-column one goes (an order insert keeps the same number of indexes to update).

On PostgreSQL both are built and dropped ``CONCURRENTLY`` (outside the migration's
transaction), so a live orders table keeps taking writes while the index is built.

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


def _concurrently() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_orders_customer_id_paid_at",
            "orders",
            ["customer_id", "paid_at"],
            postgresql_concurrently=_concurrently(),
        )
        op.drop_index(
            "ix_orders_customer_id", table_name="orders", postgresql_concurrently=_concurrently()
        )


def downgrade():
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_orders_customer_id",
            "orders",
            ["customer_id"],
            postgresql_concurrently=_concurrently(),
        )
        op.drop_index(
            "ix_orders_customer_id_paid_at",
            table_name="orders",
            postgresql_concurrently=_concurrently(),
        )
