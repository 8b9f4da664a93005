"""order-line price snapshots name the registered piece sold (priced by its own weight)

Revision ID: c9e4a1d7b352
Revises: c7e19a4d2b60
Create Date: 2026-12-07 08:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'c9e4a1d7b352'
down_revision = "c7e19a4d2b60"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_line_pricing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('piece_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('piece_serial', sa.String(length=32), nullable=False, server_default='')
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_order_line_pricing_piece_id_pieces'), 'pieces', ['piece_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('order_line_pricing', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_order_line_pricing_piece_id_pieces'), type_='foreignkey'
        )
        batch_op.drop_column('piece_serial')
        batch_op.drop_column('piece_id')
