"""Parallel first reads credit an order once; parallel filings open one dispute per line;
parallel rulings decide once (real threads, each with its own connection)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from franchise.models import CreditDispute, CreditLine, DisputeEvent, OrderCredit
from tests.fixtures.auth import api_token, bearer
from tests.fixtures.concurrency import status_codes, storm
from tests.fixtures.database import row_count
from tests.franchise.factories_credit import paid_order


def test_parallel_first_reads_credit_once(app, client, org, as_hq):
    ids = paid_order(app, client, org, sweep=False)
    url = f"/api/v1/orders/{ids.order}/credit"
    answers = storm(app, [lambda c: c.get(url, headers=as_hq)] * 6)
    assert status_codes(answers) == [200] * 6
    assert all(len(a.get_json()["lines"]) == 2 for a in answers)
    with app.app_context():
        assert row_count(OrderCredit) == 1 and row_count(CreditLine) == 2


def test_parallel_filings_and_rulings_happen_once(app, client, org, as_hq):
    ids = paid_order(app, client, org)
    owner = bearer(api_token(client, "owner-a"))
    body = {"order_line_id": ids.line, "reason": "同一行并发申诉"}
    url = f"/api/v1/orders/{ids.order}/disputes"
    answers = storm(app, [lambda c: c.post(url, json=body, headers=owner)] * 5)
    assert status_codes(answers) == [201] + [409] * 4
    with app.app_context():
        dispute_id = db.session.scalar(select(CreditDispute.id))
    ruling = {"decision": "upheld", "ruling": "并发裁决", "guide_id": ids.carl}
    rule_url = f"/api/v1/disputes/{dispute_id}/ruling"
    answers = storm(app, [lambda c: c.post(rule_url, json=ruling, headers=as_hq)] * 4)
    assert status_codes(answers) == [200] + [409] * 3
    with app.app_context():
        assert row_count(DisputeEvent) == 3  # filed, upheld, moved
        current = db.session.scalars(select(CreditLine).where(CreditLine.is_current.is_(True)))
        assert [(row.guide_id, row.share_bps) for row in current] == [(ids.carl, 10000)]
