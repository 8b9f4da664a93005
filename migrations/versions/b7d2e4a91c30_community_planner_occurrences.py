"""community: the planner's occurrences (slot key per plan, group, occurrence; windows)
and the escalation of unconfirmed sends

Revision ID: b7d2e4a91c30
Revises: 8bdf04112256
Create Date: 2026-12-07 05:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'b7d2e4a91c30'
down_revision = "8bdf04112256"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('slot_allocations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurrence', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('deadline', sa.Date(), nullable=True))
    op.execute("UPDATE slot_allocations SET occurrence = day, deadline = day")
    with op.batch_alter_table('slot_allocations', schema=None) as batch_op:
        batch_op.alter_column('occurrence', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint('uq_slot_allocations_plan_id_group_id_day', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_slot_allocations_plan_id_group_id_occurrence'),
            ['plan_id', 'group_id', 'occurrence'],
        )
    with op.batch_alter_table('push_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_from', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('window_to', sa.Integer(), nullable=True))
    with op.batch_alter_table('send_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalation_level', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('escalated_at', app.extensions.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('evidence', sa.JSON(), server_default='{}', nullable=False))
        batch_op.create_index(batch_op.f('ix_send_batches_escalation_level'), ['escalation_level'], unique=False)


def downgrade():
    with op.batch_alter_table('send_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_send_batches_escalation_level'))
        batch_op.drop_column('evidence')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('escalation_level')
    with op.batch_alter_table('push_plans', schema=None) as batch_op:
        batch_op.drop_column('window_to')
        batch_op.drop_column('window_from')
    with op.batch_alter_table('slot_allocations', schema=None) as batch_op:
        batch_op.drop_constraint('uq_slot_allocations_plan_id_group_id_occurrence', type_='unique')
        batch_op.create_unique_constraint(
            'uq_slot_allocations_plan_id_group_id_day', ['plan_id', 'group_id', 'day']
        )
        batch_op.drop_column('deadline')
        batch_op.drop_column('occurrence')
