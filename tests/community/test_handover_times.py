"""The hand-over list's times: a waiting hand-over shows the 24 h deadline (WeCom's
automatic takeover), an accepted one WeCom's ``takeover_time`` from ``transfer_result``,
never the deadline it had while waiting."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import outbox
from app.extensions import db
from app.web.formatting import shanghai
from community.models.wecom_customers import WecomTransfer
from community.services import transfers
from franchise.models import Guide
from franchise.services.guides import guide_leaves
from tests.community.factories_contacts import add_contact, guide_code
from tests.fixtures.auth import login
from tests.franchise.factories_commerce import gen_customer


def _waiting_hand_over(app, client, org) -> str:
    """Ann's WeCom customer, handed over when Ann leaves: waiting for the customer."""
    with app.app_context():
        gen_customer(org.fa, org.sa, org.ga, unionid="uTIME1", nickname="钱女士")
    external = add_contact(
        client, guide_code(client, org.ga)["config_id"], name="钱女士", unionid="uTIME1"
    )["external_userid"]
    client.post("/_sandbox/control/members/ann/resign")
    with app.app_context():
        guide_leaves(db.session.get(Guide, org.ga))
        outbox.drain()
    return external


def _row(app) -> WecomTransfer:
    with app.app_context():
        row = db.session.scalars(select(WecomTransfer)).one()
        db.session.expunge(row)
        return row


def _listed(client) -> dict:
    """The CSV's one row by header: what the page's columns say."""
    text = client.get("/admin/handovers?format=csv").get_data(as_text=True)
    (row,) = list(csv.DictReader(io.StringIO(text)))
    return row


def test_waiting_shows_the_deadline_and_accepted_wecoms_takeover_time(app, org, client, sandbox):
    external = _waiting_hand_over(app, client, org)
    waiting = _row(app)
    assert waiting.status == "waiting"
    login(client, "hq")
    listed = _listed(client)
    assert listed["自动接替时间"] == shanghai(waiting.takeover_at) and listed["接替时间"] == ""

    decided = client.post(
        "/_sandbox/control/transfers/decide", json={"external_userid": external, "accept": True}
    )
    assert decided.get_json()["status"] == 1
    taken_at = datetime.fromtimestamp(int(sandbox.now()), UTC)  # WeCom's takeover_time
    with app.app_context():
        assert transfers.read_back() == {"accepted": 1}
    accepted = _row(app)
    assert accepted.takeover_at is not None
    got = accepted.takeover_at.replace(tzinfo=UTC)
    assert abs(got - taken_at) <= timedelta(seconds=2)  # not the deadline, 24 h later
    listed = _listed(client)
    assert listed["接替时间"] == shanghai(accepted.takeover_at) and listed["自动接替时间"] == ""
    assert listed["接替时间"] != shanghai(waiting.takeover_at)


def test_a_row_accepted_with_the_deadline_kept_shows_when_it_was_decided(app, org, client, sandbox):
    """Rows accepted before WeCom's time was kept still hold the deadline: the page shows
    the moment Siyu learnt of the takeover, never a time after it."""
    _waiting_hand_over(app, client, org)
    with app.app_context():
        row = db.session.scalars(select(WecomTransfer)).one()
        deadline = row.takeover_at
        row.status, row.decided_at = "accepted", deadline - timedelta(hours=20)
        db.session.commit()
        decided = row.decided_at
    login(client, "hq")
    assert _listed(client)["接替时间"] == shanghai(decided)
