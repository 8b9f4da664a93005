"""franchise: link inspections' refunds explicitly (backfill); inspection photos

An inspection's refund is now named by ``appointment_outcomes.refund_id`` when it is
issued (``franchise.services.inspections.settle``); the pages no longer guess it. An
outcome recorded before that with the refund remedy and no link is linked here by the
rule the pages applied: the newest refund of the inspection's order created at or after
the outcome was recorded, not already linked to another outcome. Outcomes with no such
refund stay unlinked: awaiting their refund.

``inspection_photos``: the photos a guide takes of the piece at its inspection (JPG / PNG
kept in the database, as the service tickets' intake photos).

Revision ID: b8d3e5f7a9c1
Revises: d2f4b6a8c0e1
Create Date: 2026-12-07 14:40:00

"""

from alembic import op
import sqlalchemy as sa

import app.extensions


# revision identifiers, used by Alembic.
revision = "b8d3e5f7a9c1"
down_revision = "d2f4b6a8c0e1"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE appointment_outcomes SET refund_id = (
    SELECT MAX(refunds.id) FROM refunds
    JOIN appointments ON appointments.order_id = refunds.order_id
    WHERE appointments.id = appointment_outcomes.appointment_id
      AND refunds.created_at >= appointment_outcomes.recorded_at
      AND refunds.id NOT IN (
          SELECT linked.refund_id FROM appointment_outcomes AS linked
          WHERE linked.refund_id IS NOT NULL
      )
)
WHERE remedy = 'refund' AND refund_id IS NULL
"""


def upgrade():
    op.execute(BACKFILL)
    op.create_table(
        "inspection_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=128), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", app.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment_outcomes.appointment_id"],
            name=op.f("fk_inspection_photos_appointment_id_appointment_outcomes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_photos")),
    )
    op.create_index(
        op.f("ix_inspection_photos_appointment_id"),
        "inspection_photos",
        ["appointment_id"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_inspection_photos_appointment_id"), table_name="inspection_photos")
    op.drop_table("inspection_photos")
    # the refund links stay: they are what the pages showed before
