"""intake photos: who took each (taken_by_user_id on the three photo tables)

The JSON API lists a piece's photos with who took them (a name); the pages keep adding
them through the same service, which now records the staff member.

Revision ID: d7f2a9c4e1b6
Revises: c4e8a1f2b3d5
Create Date: 2026-12-07 23:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d7f2a9c4e1b6"
down_revision = "c4e8a1f2b3d5"
branch_labels = None
depends_on = None

TABLES = ("service_ticket_photos", "inspection_photos", "consignment_photos")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("taken_by_user_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_taken_by_user_id_users"),
                "users",
                ["taken_by_user_id"],
                ["id"],
            )


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            fk = batch_op.f(f"fk_{table}_taken_by_user_id_users")
            batch_op.drop_constraint(fk, type_="foreignkey")
            batch_op.drop_column("taken_by_user_id")
