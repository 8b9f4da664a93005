"""jewellery: the care kind of a product (maintenance runs off the pieces owned);
photos of consigned pieces; a replacement order after a defect (the order it replaces,
linked from the inspection's outcome)

Revision ID: c7e19a4d2b60
Revises: c7e2a4d9f1b3
Create Date: 2026-12-07 08:15:00.000000

"""
import sqlalchemy as sa
from alembic import op

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'c7e19a4d2b60'
down_revision = "c7e2a4d9f1b3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('care_kind', sa.String(length=12), nullable=True))
    op.create_table('consignment_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consignment_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=128), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', app.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consignment_id'], ['consignments.id'], name=op.f('fk_consignment_photos_consignment_id_consignments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consignment_photos'))
    )
    with op.batch_alter_table('consignment_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consignment_photos_consignment_id'), ['consignment_id'], unique=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaces_order_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_orders_replaces_order_id'), ['replaces_order_id'])
        batch_op.create_foreign_key(batch_op.f('fk_orders_replaces_order_id_orders'), 'orders', ['replaces_order_id'], ['id'])
    with op.batch_alter_table('appointment_outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replacement_order_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appointment_outcomes_replacement_order_id_orders'), 'orders', ['replacement_order_id'], ['id'])


def downgrade():
    with op.batch_alter_table('appointment_outcomes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointment_outcomes_replacement_order_id_orders'), type_='foreignkey')
        batch_op.drop_column('replacement_order_id')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_orders_replaces_order_id_orders'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_orders_replaces_order_id'), type_='unique')
        batch_op.drop_column('replaces_order_id')
    with op.batch_alter_table('consignment_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consignment_photos_consignment_id'))
    op.drop_table('consignment_photos')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('care_kind')
