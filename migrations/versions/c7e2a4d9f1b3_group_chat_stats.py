"""community: WeCom's daily group-chat statistics per owner (groupchat/statistic read-back)

Revision ID: c7e2a4d9f1b3
Revises: b3d5f7a9c1e2
Create Date: 2026-12-07 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'c7e2a4d9f1b3'
down_revision = 'b3d5f7a9c1e2'
branch_labels = None
depends_on = None

COUNTS = (
    'new_chat_cnt', 'chat_total', 'chat_has_msg', 'new_member_cnt', 'member_total',
    'member_has_msg', 'msg_total', 'migrate_trainee_chat_cnt',
)


def upgrade():
    op.create_table('group_chat_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_userid', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('guide_id', sa.Integer(), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=True),
    sa.Column('franchisee_id', sa.Integer(), nullable=True),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
    sa.Column('read_at', app.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['franchisee_id'], ['franchisees.id'], name=op.f('fk_group_chat_stats_franchisee_id_franchisees')),
    sa.ForeignKeyConstraint(['guide_id'], ['guides.id'], name=op.f('fk_group_chat_stats_guide_id_guides')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_group_chat_stats_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_chat_stats')),
    sa.UniqueConstraint('owner_userid', 'day', name=op.f('uq_group_chat_stats_owner_userid_day'))
    )
    with op.batch_alter_table('group_chat_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_chat_stats_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_chat_stats_franchisee_id'), ['franchisee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_chat_stats_guide_id'), ['guide_id'], unique=False)


def downgrade():
    with op.batch_alter_table('group_chat_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_chat_stats_guide_id'))
        batch_op.drop_index(batch_op.f('ix_group_chat_stats_franchisee_id'))
        batch_op.drop_index(batch_op.f('ix_group_chat_stats_day'))
    op.drop_table('group_chat_stats')
