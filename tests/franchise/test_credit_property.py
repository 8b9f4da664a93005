"""Property: for any order lines, HQ rules, claims, rates, refunds and a ruling, each
line's current shares sum to 10,000 bps and to the fen paid for it, and the commission
book nets to what was accrued minus what the refunds reverse — no fen lost or made
(a full refund leaves nothing)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.auth.principal import Principal
from app.clock import utcnow
from app.extensions import db
from franchise.models import (
    CREDIT_SOURCES,
    CommissionEntry,
    CommissionRate,
    CreditLine,
    Order,
    OrderLine,
)
from franchise.services import commission, credit, credit_rules, disputes
from franchise.services.commission import reversal_target
from tests.fixtures.database import clean_tables
from tests.fixtures.randomness import db_examples
from tests.franchise.factories import gen_franchisee, gen_guide, gen_store
from tests.franchise.factories_commerce import gen_coupon, gen_share_code, gen_template
from tests.franchise.factories_credit import bind
from tests.franchise.factories_payments import gen_customer, gen_product

CATEGORIES = ("黄金", "钻石", "")


@st.composite
def rules(draw):
    """Every source once, a random precedence order, shares summing to 10,000."""
    cuts = sorted(draw(st.lists(st.integers(0, 10000), min_size=3, max_size=3)))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 10000], strict=True)]
    order = draw(st.permutations(range(1, 5)))
    return [
        {"source": s, "precedence": p, "share_bps": b, "is_active": True}
        for s, p, b in zip(CREDIT_SOURCES, order, shares, strict=True)
    ]


case = st.fixed_dictionaries(
    {
        "rules": rules(),
        "lines": st.lists(
            st.tuples(st.integers(1, 10**9), st.integers(1, 5), st.sampled_from(CATEGORIES)),
            min_size=1,
            max_size=4,
        ),
        "discount_pct": st.integers(0, 99),
        "code_guide": st.one_of(st.none(), st.integers(0, 2)),
        "bound_guide": st.one_of(st.none(), st.integers(0, 2)),
        "store_guide": st.one_of(st.none(), st.integers(0, 2)),
        "rates": st.tuples(st.integers(0, 10000), st.integers(0, 10000)),
        "refunds": st.lists(st.integers(1, 100), max_size=4),
        "ruling": st.one_of(st.none(), st.tuples(st.integers(0, 3), st.integers(0, 2))),
        "refund_all": st.booleans(),
    }
)


def _order(c, guides, franchisee, store):
    customer = gen_customer(franchisee.id)
    if c["bound_guide"] is not None:
        bind(customer, guides[c["bound_guide"]])
    code = gen_share_code(guides[c["code_guide"]]).code if c["code_guide"] is not None else None
    if c["store_guide"] is not None:
        coupon = gen_coupon(gen_template({franchisee.region_id: 1}), customer)
        coupon.status, coupon.redeemed_channel = "redeemed", "store"
        coupon.redeemed_at = utcnow() - timedelta(days=1)
        coupon.redeemed_guide_id = guides[c["store_guide"]].id
        coupon.redeemed_franchisee_id = franchisee.id
    lines = []
    for unit, quantity, category in c["lines"]:
        product = gen_product(unit, category=category)
        lines.append(
            OrderLine(product_id=product.id, sku=product.sku, name=product.name,
                      unit_price_fen=unit, quantity=quantity, line_total_fen=unit * quantity)
        )  # fmt: skip
    total = sum(line.line_total_fen for line in lines)
    paid = max(1, total - total * c["discount_pct"] // 100)
    order = Order(
        order_no=f"P{customer.id:012d}", customer_id=customer.id, franchisee_id=franchisee.id,
        store_id=store.id, share_code=code, total_fen=total, discount_fen=total - paid,
        payable_fen=paid, paid_fen=paid, status="paid", transaction_id=f"42{customer.id:018d}",
        paid_at=utcnow(), lines=lines,
    )  # fmt: skip
    db.session.add(order)
    db.session.commit()
    return order


def _check(order_id: int):
    order = db.session.get(Order, order_id, populate_existing=True)
    rows = db.session.scalars(
        select(CreditLine).where(CreditLine.order_id == order_id, CreditLine.is_current.is_(True))
    ).all()
    per_line = defaultdict(int)
    for row in rows:
        per_line[row.order_line_id] += row.share_bps
        assert row.share_bps > 0
    assert set(per_line) == {line.id for line in order.lines}
    assert all(total == 10000 for total in per_line.values())
    assert sum(row.basis_fen for row in rows) == order.paid_fen
    entries = db.session.scalars(
        select(CommissionEntry).where(CommissionEntry.order_id == order_id)
    ).all()
    accrued = {e.credit_line_id: e.amount_fen for e in entries if e.kind == "accrual"}
    expected = sum(
        accrued.get(row.id, 0) - reversal_target(accrued.get(row.id, 0), order.refunded_fen,
                                                 order.paid_fen)
        for row in rows
    )  # fmt: skip
    net = sum(e.amount_fen for e in entries)
    assert net == expected
    if order.refunded_fen == order.paid_fen:
        assert net == 0
    for row in rows:  # each current share's own entries net to its accrual less reversals
        own = sum(e.amount_fen for e in entries if e.credit_line_id == row.id)
        assert own == accrued.get(row.id, 0) - reversal_target(
            accrued.get(row.id, 0), order.refunded_fen, order.paid_fen
        )


def _rule(c, order, franchisee, guides) -> None:
    """The owner disputes a line and HQ moves it to a guide (when the case has a ruling)."""
    if c["ruling"] is None:
        return
    line_index, guide_index = c["ruling"]
    line = order.lines[line_index % len(order.lines)]
    owner = Principal("franchise_owner", None, franchisee.id)
    dispute = disputes.file_dispute(order.id, line.id, "申诉理由", owner)
    disputes.rule(dispute.id, "upheld", "裁决", guides[guide_index].id, Principal("hq_admin"))
    _check(order.id)


@db_examples(30)
@given(c=case)
def test_shares_sum_to_10000_and_the_book_loses_no_fen(app, c):
    with app.app_context():
        try:
            franchisee = gen_franchisee()
            store = gen_store(franchisee)
            guides = [gen_guide(store) for _ in range(3)]
            credit_rules.save_rules(c["rules"])
            db.session.add_all([
                CommissionRate(category="", rate_bps=c["rates"][0]),
                CommissionRate(category="黄金", rate_bps=c["rates"][1]),
            ])  # fmt: skip
            db.session.commit()
            order = _order(c, guides, franchisee, store)
            assert credit.compute_credit(order.id)
            _check(order.id)
            refunds = c["refunds"] + ([10**6] if c["refund_all"] else [])
            for i, pct in enumerate(refunds):
                order = db.session.get(Order, order.id)
                left = order.paid_fen - order.refunded_fen
                amount = min(left, max(1, order.paid_fen * pct // 100))
                if amount <= 0:
                    break
                order.refunded_fen += amount
                commission.on_refund(order, type("Refund", (), {"id": i})())
                db.session.commit()
                _check(order.id)
                if i == 0:
                    _rule(c, order, franchisee, guides)
            if not refunds:
                _rule(c, order, franchisee, guides)
            assert db.session.scalar(select(func.count()).select_from(CreditLine)) > 0
        finally:
            db.session.remove()
            clean_tables(app)
