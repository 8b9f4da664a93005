"""member events can be cancelled: member_events.cancelled_at, event_invitations.notified_at
(an accepted member told of the cancellation), invitation status wide enough for
"cancelled"; points reminders remember a refused subscribe message for one retry

Revision ID: e7a1c3b5d9f2
Revises: c4e6a8b0d2f1
Create Date: 2026-12-07 09:15:00.000000

"""
import sqlalchemy as sa
from alembic import op

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'e7a1c3b5d9f2'
down_revision = 'c4e6a8b0d2f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('journey_sends', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_retried_at', app.extensions.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('member_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', app.extensions.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('event_invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notified_at', app.extensions.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('status', existing_type=sa.String(length=8), type_=sa.String(length=16),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('event_invitations', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16), type_=sa.String(length=8),
                              existing_nullable=False)
        batch_op.drop_column('notified_at')
    with op.batch_alter_table('member_events', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
    with op.batch_alter_table('journey_sends', schema=None) as batch_op:
        batch_op.drop_column('notice_retried_at')
