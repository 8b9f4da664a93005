"""jewellery: the care kind of a product (maintenance runs off the pieces owned)

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


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('care_kind')
