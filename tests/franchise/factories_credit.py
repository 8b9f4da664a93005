"""Factories for the credit tests: an order of franchise A placed with a guide's share
code by a customer bound to another guide, paid through the sandbox (so the pay-notify
handlers post the payment and then the credit)."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from app.extensions import db
from franchise.models import AssignmentHistory, Customer, Guide
from franchise.services.credit import credit_missing
from tests.fixtures.database import saved
from tests.franchise.factories import gen_guide
from tests.franchise.factories_commerce import gen_share_code
from tests.franchise.factories_payments import gen_customer, gen_order, gen_product, pay_and_succeed

_seq = itertools.count(1)


def bind(customer: Customer, guide: Guide, rule: str = "nearest_store") -> AssignmentHistory:
    """Bind ``customer`` to ``guide`` with its history row (as the assignment engine does)."""
    customer.guide_id, customer.store_id = guide.id, guide.store_id
    return saved(
        AssignmentHistory(
            customer_id=customer.id,
            to_franchisee_id=guide.franchisee_id,
            to_store_id=guide.store_id,
            to_guide_id=guide.id,
            rule=rule,
        )
    )


def placed_order(org, amount: int = 10000, category: str = "黄金", with_code: bool = True):
    """Ann's share code on the order, the customer bound to Carl (a second guide of
    store SH-A); ids on a namespace. Call inside an app context."""
    ann = db.session.get(Guide, org.ga)
    carl = gen_guide(ann.store, name="Carl", wecom_userid=f"carl{next(_seq)}")
    customer = gen_customer(org.fa, nickname="王女士")
    bind(customer, carl)
    code = gen_share_code(ann) if with_code else None
    product = gen_product(amount, category=category)
    order = gen_order(
        customer,
        amount,
        product=product,
        store_id=ann.store_id,
        guide_id=ann.id if with_code else carl.id,
        share_code=code.code if code else None,
    )
    return SimpleNamespace(
        order=order.id,
        line=order.lines[0].id,
        customer=customer.id,
        ann=ann.id,
        carl=carl.id,
        code=code.code if code else None,
    )


def paid_order(app, client, org, sweep: bool = True, **kw):
    """``placed_order`` paid at the sandbox (notify delivered in-process), then credited
    by the sweep as the scheduler would (unless ``sweep`` is false)."""
    with app.app_context():
        ids = placed_order(org, **kw)
    pay_and_succeed(client, ids.order, ids.customer, app)
    if sweep:
        with app.app_context():
            credit_missing()
    return ids
