"""The guide's binding protection (``assignment.lock_days``, 30 days) restarts at real
events — an appointment, a purchase, a live-campaign visit — so a customer in a months-long
buying cycle stays with their guide; it never moves back, and without events it expires."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.clock import SHANGHAI, utcnow
from app.extensions import db
from franchise.jobs.paid_followups import PaidOrder
from franchise.models import Customer
from franchise.services import appointments, assignment
from tests.community.factories_groups import build_org, gen_paid_order
from tests.fixtures.auth import built
from tests.franchise.factories_commerce import gen_customer

org = built(build_org)


def _customer(org, days_ago: int) -> Customer:
    customer = gen_customer(org.fa, org.sa, org.ga)
    customer.bound_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return customer


def test_without_events_the_binding_expires(app, org):
    with app.app_context():
        customer = _customer(org, 40)
        assert not assignment.binding_holds(customer, 30)


def test_an_appointment_restarts_the_protection(app, org):
    with app.app_context():
        customer = _customer(org, 29)
        tomorrow = (utcnow() + timedelta(days=2)).astimezone(SHANGHAI).date()
        slot = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 11, tzinfo=SHANGHAI)
        appointments.book(customer, {"kind": "try_on", "slot_start": slot, "store_id": org.sa})
        db.session.refresh(customer)
        later = utcnow() + timedelta(days=20)  # 49 days after binding, 20 after the event
        assert assignment.binding_holds(customer, 30, now=later)


def test_a_purchase_restarts_it_from_the_payment_and_never_moves_back(app, org):
    with app.app_context():
        customer = _customer(org, 60)
        order = gen_paid_order(customer)
        order.out_trade_no, order.paid_at = "OTN-BIND-1", utcnow() - timedelta(days=5)
        db.session.commit()
        assignment.extend_binding_on_paid([PaidOrder(order.id, customer.id, order.paid_at)])
        db.session.refresh(customer)
        assert abs(customer.bound_at - order.paid_at) < timedelta(seconds=1)
        assert assignment.binding_holds(customer, 30)
        assert not assignment.extend_binding(customer.id, utcnow() - timedelta(days=10))
        db.session.commit()
        db.session.refresh(customer)
        assert abs(customer.bound_at - order.paid_at) < timedelta(seconds=1)  # not back
