"""franchise: link inspections' refunds explicitly (backfill)

An inspection's refund is now named by ``appointment_outcomes.refund_id`` when it is
issued (``franchise.services.inspections.settle``); the pages no longer guess it. An
outcome recorded before that with the refund remedy and no link is linked here by the
rule the pages applied: the newest refund of the inspection's order created at or after
the outcome was recorded, not already linked to another outcome. Outcomes with no such
refund stay unlinked: awaiting their refund. No schema change.

Revision ID: b8d3e5f7a9c1
Revises: d2f4b6a8c0e1
Create Date: 2026-12-07 14:40:00

"""

from alembic import op


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


def downgrade():
    pass  # the links stay: they are what the pages showed before
