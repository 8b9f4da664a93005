"""points reminders through journeys (journeys.days_before) and member events

Revision ID: c4e6a8b0d2f1
Revises: b3d5f7a9c1e2
Create Date: 2026-12-07 08:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f1'
down_revision = "b3d5f7a9c1e2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('days_before', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.drop_column('days_before')
