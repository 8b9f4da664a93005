"""WeCom directory change events applied in their order: wecom_members.event_at and
wecom_departments.event_at keep the CreateTime of the last change_contact event applied,
so an older event WeCom re-sends late changes nothing

Revision ID: d2f4b6a8c0e1
Revises: e7a1c3b5d9f2
Create Date: 2026-12-07 11:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'd2f4b6a8c0e1'
down_revision = 'e7a1c3b5d9f2'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('wecom_departments', 'wecom_members'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('event_at', app.extensions.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    for table in ('wecom_members', 'wecom_departments'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('event_at')
