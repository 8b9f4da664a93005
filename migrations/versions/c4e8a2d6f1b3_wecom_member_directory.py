"""wecom member directory: departments and members guides are linked to (issue 16)

New tables only: wecom_departments, wecom_members.

Revision ID: c4e8a2d6f1b3
Revises: c9e4a1d7b352
Create Date: 2026-12-07 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'c4e8a2d6f1b3'
down_revision = "c9e4a1d7b352"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wecom_departments',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('synced_at', app.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wecom_departments'))
    )
    op.create_table('wecom_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('userid', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('department_name', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('synced_at', app.extensions.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wecom_members')),
    sa.UniqueConstraint('userid', name=op.f('uq_wecom_members_userid'))
    )
    with op.batch_alter_table('wecom_members', schema=None) as batch_op:
        batch_op.create_index('ix_wecom_members_present_name', ['present', 'name'], unique=False)


def downgrade():
    with op.batch_alter_table('wecom_members', schema=None) as batch_op:
        batch_op.drop_index('ix_wecom_members_present_name')
    op.drop_table('wecom_members')
    op.drop_table('wecom_departments')
