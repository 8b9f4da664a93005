"""The alerts migration keeps existing alerts: kind → code, the message as a parameter,
folded repeats as the count, an owner's acknowledgement as the owner's, HQ's as HQ's."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.extensions import db

USER = (
    "INSERT INTO users (id, username, password_hash, display_name, role, is_active_account,"
    " token_version, created_at) VALUES (:id, :name, 'x', :name, :role, true, 0, :at)"
)
ALERT = (
    "INSERT INTO alerts (id, kind, severity, message, data, created_at, acknowledged_at,"
    " acknowledged_by) VALUES (:id, :kind, :severity, :message, :data, :at, :ack_at, :ack_by)"
)
AT = "2026-11-20 02:00:00"


@pytest.mark.slow
def test_upgrade_keeps_existing_alerts(empty_database_app):
    with empty_database_app.app_context():
        upgrade(revision="7c2e5b0d9a41")
        with db.engine.begin() as conn:
            conn.execute(text(USER), {"id": 1, "name": "hq", "role": "hq_admin", "at": AT})
            conn.execute(text(USER), {"id": 2, "name": "own", "role": "franchise_owner", "at": AT})
            rows = [
                (1, "pay_amount_mismatch", "critical", "Paid amount of X", '{"repeats": 4}', 1),
                (2, "refund_failed", "warning", "Refund R refused", '{"refund_id": 7}', 2),
                (3, "reconciliation", "loud", "Bill of 2026-11-19", "{}", None),
            ]
            for id_, kind, severity, message, data, ack_by in rows:
                conn.execute(
                    text(ALERT),
                    {
                        "id": id_,
                        "kind": kind,
                        "severity": severity,
                        "message": message,
                        "data": data,
                        "at": AT,
                        "ack_at": AT if ack_by else None,
                        "ack_by": ack_by,
                    },
                )
        upgrade(revision="a3c9e1f4b7d2")
        with db.engine.connect() as conn:
            got = conn.execute(
                text(
                    "SELECT id, code, level, cause_key, count, hq_acknowledged_by,"
                    " owner_acknowledged_by, first_seen_at IS NOT NULL, last_seen_at IS NOT NULL"
                    " FROM alerts ORDER BY id"
                )
            ).all()
        assert [tuple(r) for r in got] == [
            (1, "pay_amount_mismatch", "critical", "legacy:1", 5, 1, None, True, True),
            (2, "refund_failed", "warning", "legacy:2", 1, None, 2, True, True),
            (3, "reconciliation", "warning", "legacy:3", 1, None, None, True, True),
        ]
        from franchise.models import Alert

        alert = db.session.get(Alert, 2)
        assert alert.params == {"refund_id": 7, "message": "Refund R refused"}
        db.session.remove()
        downgrade(revision="7c2e5b0d9a41")  # and back: one row per cause, message restored
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT id, kind, message FROM alerts ORDER BY id")).all()
        assert [tuple(r) for r in back][1] == (2, "refund_failed", "Refund R refused")
        db.engine.dispose()
