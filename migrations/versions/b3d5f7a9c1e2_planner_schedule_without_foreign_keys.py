"""planner: the schedule (slot_allocations) without foreign-key constraints

The planner rewrites the schedule in bulk; six per-row reference checks were three
quarters of its insert time on PostgreSQL. Exactly-once stays the unique key on
(plan_id, group_id, occurrence).

Revision ID: b3d5f7a9c1e2
Revises: 1ad88d7ae0b1
Create Date: 2026-12-07 06:40:00.000000

"""
from alembic import op

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'b3d5f7a9c1e2'
down_revision = "1ad88d7ae0b1"
branch_labels = None
depends_on = None

REFERENCES = (
    ('franchisee_id', 'franchisees'),
    ('group_id', 'wecom_groups'),
    ('guide_id', 'guides'),
    ('plan_id', 'push_plans'),
    ('post_id', 'content_posts'),
    ('store_id', 'stores'),
)


def upgrade():
    with op.batch_alter_table('slot_allocations', schema=None) as batch_op:
        for column, table in REFERENCES:
            batch_op.drop_constraint(f'fk_slot_allocations_{column}_{table}', type_='foreignkey')


def downgrade():
    with op.batch_alter_table('slot_allocations', schema=None) as batch_op:
        for column, table in REFERENCES:
            batch_op.create_foreign_key(
                f'fk_slot_allocations_{column}_{table}', table, [column], ['id']
            )
