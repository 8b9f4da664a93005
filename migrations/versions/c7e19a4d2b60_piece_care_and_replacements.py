"""jewellery: the care kind of a product (maintenance runs off the pieces owned);
photos of consigned pieces

Revision ID: c7e19a4d2b60
Revises: b3d5f7a9c1e2
Create Date: 2026-12-07 08:15:00.000000

"""
import sqlalchemy as sa
from alembic import op

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'c7e19a4d2b60'
down_revision = 'b3d5f7a9c1e2'
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


def downgrade():
    with op.batch_alter_table('consignment_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consignment_photos_consignment_id'))
    op.drop_table('consignment_photos')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('care_kind')
