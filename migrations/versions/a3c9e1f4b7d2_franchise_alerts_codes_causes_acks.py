"""franchise: alerts as codes with parameters, one row per cause, acknowledged per audience

``kind`` becomes ``code``, ``severity`` ``level``, ``data`` ``params`` (the old free-text
``message`` kept as the ``message`` parameter, ``repeats`` folded into ``count``),
``created_at`` ``first_seen_at`` / ``last_seen_at``. The cause is ``(code, cause_key)``,
unique; existing rows each get their own ``legacy:<id>`` key. An acknowledgement given by a
franchise owner becomes the owner's, any other HQ's.

Revision ID: a3c9e1f4b7d2
Revises: 7c2e5b0d9a41
Create Date: 2026-11-27 09:00:00

"""

from alembic import op
import sqlalchemy as sa

import app.extensions  # noqa: F401 - custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = "a3c9e1f4b7d2"
down_revision = "7c2e5b0d9a41"
branch_labels = None
depends_on = None

LEVELS = ("critical", "warning", "info")

COPY = """
UPDATE alerts SET code = kind,
    level = CASE WHEN severity IN ('critical', 'warning', 'info') THEN severity ELSE 'warning' END,
    cause_key = 'legacy:' || CAST(id AS VARCHAR(20)),
    first_seen_at = created_at, last_seen_at = created_at, count = 1
"""
OWNER_ACKS = """
UPDATE alerts SET owner_acknowledged_at = acknowledged_at, owner_acknowledged_by = acknowledged_by
WHERE acknowledged_at IS NOT NULL
  AND acknowledged_by IN (SELECT id FROM users WHERE role = 'franchise_owner')
"""
HQ_ACKS = """
UPDATE alerts SET hq_acknowledged_at = acknowledged_at, hq_acknowledged_by = acknowledged_by
WHERE acknowledged_at IS NOT NULL AND owner_acknowledged_at IS NULL
"""


def _old_new():
    return sa.table(
        "alerts",
        sa.column("id", sa.Integer()),
        sa.column("message", sa.String()),
        sa.column("data", sa.JSON()),
        sa.column("params", sa.JSON()),
        sa.column("count", sa.Integer()),
    )


def upgrade():
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("cause_key", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("level", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("count", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("first_seen_at", app.extensions.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_seen_at", app.extensions.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "hq_acknowledged_at", app.extensions.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("hq_acknowledged_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "owner_acknowledged_at", app.extensions.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("owner_acknowledged_by", sa.Integer(), nullable=True))

    op.execute(COPY)
    op.execute(OWNER_ACKS)
    op.execute(HQ_ACKS)
    alerts = _old_new()
    bind = op.get_bind()
    for row in bind.execute(sa.select(alerts.c.id, alerts.c.message, alerts.c.data)).all():
        params = dict(row.data or {}) if isinstance(row.data, dict) else {}
        repeats = params.pop("repeats", 0)
        params["message"] = row.message
        count = 1 + (repeats if isinstance(repeats, int) and repeats > 0 else 0)
        bind.execute(
            alerts.update().where(alerts.c.id == row.id).values(params=params, count=count)
        )

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_kind"))
        batch_op.drop_index(batch_op.f("ix_alerts_created_at"))
        batch_op.drop_constraint(batch_op.f("fk_alerts_acknowledged_by_users"), type_="foreignkey")
        batch_op.drop_column("kind")
        batch_op.drop_column("severity")
        batch_op.drop_column("message")
        batch_op.drop_column("data")
        batch_op.drop_column("created_at")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("acknowledged_by")
        for name in ("code", "cause_key", "level", "params", "count"):
            batch_op.alter_column(name, nullable=False)
        for name in ("first_seen_at", "last_seen_at"):
            batch_op.alter_column(
                name, existing_type=app.extensions.UTCDateTime(timezone=True), nullable=False
            )
        batch_op.create_index(batch_op.f("ix_alerts_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_last_seen_at"), ["last_seen_at"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_alerts_code_cause_key"), ["code", "cause_key"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_alerts_hq_acknowledged_by_users"),
            "users",
            ["hq_acknowledged_by"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_alerts_owner_acknowledged_by_users"),
            "users",
            ["owner_acknowledged_by"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("severity", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("message", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("data", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("created_at", app.extensions.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("acknowledged_at", app.extensions.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("acknowledged_by", sa.Integer(), nullable=True))

    op.execute(
        "UPDATE alerts SET kind = SUBSTR(code, 1, 32), severity = level, created_at = first_seen_at, "
        "acknowledged_at = COALESCE(hq_acknowledged_at, owner_acknowledged_at), "
        "acknowledged_by = COALESCE(hq_acknowledged_by, owner_acknowledged_by)"
    )
    alerts = _old_new()
    bind = op.get_bind()
    for row in bind.execute(sa.select(alerts.c.id, alerts.c.params, alerts.c.count)).all():
        params = dict(row.params or {}) if isinstance(row.params, dict) else {}
        message = str(params.pop("message", "") or "")[:255]
        if row.count and row.count > 1:
            params["repeats"] = row.count - 1
        bind.execute(
            alerts.update().where(alerts.c.id == row.id).values(data=params, message=message)
        )

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_alerts_owner_acknowledged_by_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_alerts_hq_acknowledged_by_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_alerts_code_cause_key"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_alerts_last_seen_at"))
        batch_op.drop_index(batch_op.f("ix_alerts_code"))
        for name in (
            "code",
            "cause_key",
            "level",
            "params",
            "count",
            "first_seen_at",
            "last_seen_at",
            "hq_acknowledged_at",
            "hq_acknowledged_by",
            "owner_acknowledged_at",
            "owner_acknowledged_by",
        ):
            batch_op.drop_column(name)
        for name in ("kind", "severity", "message", "data"):
            batch_op.alter_column(name, nullable=False)
        batch_op.alter_column(
            "created_at", existing_type=app.extensions.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.create_index(batch_op.f("ix_alerts_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_created_at"), ["created_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_alerts_acknowledged_by_users"), "users", ["acknowledged_by"], ["id"]
        )
