"""points reminders through journeys (journeys.days_before), member events, and the
nightly expiry's per-row costs: point entries without foreign-key constraints (written
only with their transaction; points_book.orphan_entries checks), members with room on
each page for HOT balance updates (fillfactor 85, PostgreSQL)

Revision ID: c4e6a8b0d2f1
Revises: c4e8a2d6f1b3
Create Date: 2026-12-07 08:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f1'
down_revision = "c4e8a2d6f1b3"
branch_labels = None
depends_on = None

ENTRY_REFERENCES = (
    'fk_point_entries_transaction_id_point_transactions',
    'fk_point_entries_account_id_point_accounts',
)


def upgrade():
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('days_before', sa.Integer(), nullable=True))

    op.create_table('member_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('starts_at', app.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=True),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('invited', sa.Integer(), nullable=False),
    sa.Column('created_at', app.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('accepted >= 0 AND accepted <= capacity', name=op.f('ck_member_events_places')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_member_events_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_events'))
    )
    op.create_table('event_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('franchisee_id', sa.Integer(), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=True),
    sa.Column('guide_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('responded_at', app.extensions.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_event_invitations_customer_id_customers')),
    sa.ForeignKeyConstraint(['event_id'], ['member_events.id'], name=op.f('fk_event_invitations_event_id_member_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['franchisee_id'], ['franchisees.id'], name=op.f('fk_event_invitations_franchisee_id_franchisees')),
    sa.ForeignKeyConstraint(['guide_id'], ['guides.id'], name=op.f('fk_event_invitations_guide_id_guides')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_event_invitations_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_invitations')),
    sa.UniqueConstraint('event_id', 'customer_id', name=op.f('uq_event_invitations_event_id_customer_id'))
    )
    with op.batch_alter_table('point_entries', schema=None) as batch_op:
        for name in ENTRY_REFERENCES:
            batch_op.drop_constraint(name, type_='foreignkey')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE members SET (fillfactor = 85)')

    with op.batch_alter_table('event_invitations', schema=None) as batch_op:
        batch_op.create_index('ix_event_invitations_customer_id', ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_invitations_franchisee_id'), ['franchisee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_invitations_guide_id'), ['guide_id'], unique=False)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE members RESET (fillfactor)')
    with op.batch_alter_table('point_entries', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_point_entries_transaction_id_point_transactions', 'point_transactions',
            ['transaction_id'], ['id'])
        batch_op.create_foreign_key(
            'fk_point_entries_account_id_point_accounts', 'point_accounts', ['account_id'], ['id'])
    op.drop_table('event_invitations')
    op.drop_table('member_events')
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.drop_column('days_before')
