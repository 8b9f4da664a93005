"""The line-up's ``sold`` counter: for any sequence of campaign orders, refusals, cancels
and closes it equals the units of the campaign's orders that kept their stock (what
``sold_quantities`` sums), and while live prices hold no capped item passes its cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.auth.models import CUSTOMER
from app.auth.principal import Principal
from app.errors import Conflict
from app.extensions import db, hooks
from franchise.models import CANCELLED, Order, Product, Store
from franchise.services import orders
from franchise.services.base import Invalid
from livestream.models import LineupItem
from livestream.services import attribution, campaigns
from tests.fixtures.randomness import db_examples
from tests.livestream.factories import gen_campaign, gen_live_customer

CAPS = (3, 0, 20)  # per line-up product: a tight cap, no cap, the factory's cap

ORDER = st.tuples(
    st.just("order"),
    st.dictionaries(st.integers(0, 2), st.integers(1, 4), min_size=1, max_size=3),
)
MOVE = st.tuples(st.sampled_from(["cancel", "close"]), st.integers(0, 30))
OPS = st.lists(st.one_of(ORDER, ORDER, MOVE), min_size=1, max_size=12)


def _lineup(campaign_id: int) -> dict[int, LineupItem]:
    items = db.session.scalars(select(LineupItem).where(LineupItem.campaign_id == campaign_id))
    return {item.product_id: item for item in items}


def _apply(op, arg, customer_id, campaign_id, products, placed) -> bool | None:
    """One step through the services, as the API would run it; for an order, whether it
    was accepted."""
    if op == "order":
        items = [{"product_id": products[i], "quantity": q} for i, q in sorted(arg.items())]
        try:
            placed.append(orders.create_order(customer_id, items, campaign_id=campaign_id).id)
        except Invalid as exc:  # only the cap refuses here
            assert "left of" in exc.errors["items"][0]
            return False
        return True
    if not placed:
        return None
    order = db.session.get(Order, placed[arg % len(placed)])
    try:
        if op == "cancel":
            principal = Principal(role=CUSTOMER, customer_id=customer_id)
            orders.transition(order, CANCELLED, principal)
        else:
            orders.close_unpaid_order(order.id)
    except Conflict:  # already cancelled or closed: nothing moves
        pass
    return None


@pytest.mark.slow
@db_examples(25)
@given(ops=OPS, live=st.booleans())
def test_sold_counter_equals_the_orders(app, live_org, ops, live):
    with app.app_context():
        products = [db.session.get(Product, pid) for pid in live_org.products]
        for product in products:
            product.stock = 100_000
        campaign = gen_campaign(
            "hq",
            live_org.stores,
            products,
            live_in_days=0 if live else 5,
            status="live" if live else "scheduled",
        )
        for product, cap in zip(products, CAPS, strict=True):
            _lineup(campaign.id)[product.id].stock_cap = cap
        db.session.commit()
        customer = gen_live_customer(db.session.get(Store, live_org.a1))
        placed: list[int] = []
        for op, arg in ops:
            before = {pid: item.sold for pid, item in _lineup(campaign.id).items()}
            accepted = _apply(op, arg, customer.id, campaign.id, live_org.products, placed)
            if accepted is not None:  # refused exactly when live and one cap would pass
                fits = all(
                    not cap or before[live_org.products[i]] + q <= cap
                    for i, q in arg.items()
                    for cap in [CAPS[i]]
                )
                assert accepted == (fits or not live), (arg, before)
            db.session.expire_all()
            counted = attribution.sold_quantities(campaign.id)
            for product_id, item in _lineup(campaign.id).items():
                assert item.sold == counted.get(product_id, 0), (op, arg)
                if live and item.stock_cap:
                    assert item.sold <= item.stock_cap


def test_the_last_units_and_one_more(app, live_org):
    with app.app_context():
        product = db.session.get(Product, live_org.products[0])
        campaign = gen_campaign("hq", live_org.stores, [product], live_in_days=0, status="live")
        _lineup(campaign.id)[product.id].stock_cap = 3
        db.session.commit()
        customer = gen_live_customer(db.session.get(Store, live_org.a1))
        line = {"product_id": product.id, "quantity": 2}
        orders.create_order(customer.id, [line], campaign_id=campaign.id)
        try:
            orders.create_order(customer.id, [line], campaign_id=campaign.id)
        except Invalid as exc:
            assert exc.errors["items"] == [f"Only 1 left of {product.name} at the live price."]
        else:
            raise AssertionError("the cap let 4 units through")
        orders.create_order(customer.id, [{**line, "quantity": 1}], campaign_id=campaign.id)
        assert _lineup(campaign.id)[product.id].sold == 3


def test_release_hook_registered_once(app):
    assert hooks(orders.CAMPAIGN_RELEASES, app).count(attribution.release_caps) == 1


def test_a_product_added_later_starts_from_the_orders_it_already_has(app, live_org):
    """Orders placed before the live (list price) already carry the campaign: a product
    added to the line-up afterwards counts their units from the start."""
    with app.app_context():
        first, second, _ = (db.session.get(Product, pid) for pid in live_org.products)
        campaign = gen_campaign("hq", live_org.stores, [first], live_in_days=5)
        customer = gen_live_customer(db.session.get(Store, live_org.a1))
        items = [{"product_id": first.id, "quantity": 1}, {"product_id": second.id, "quantity": 3}]
        orders.create_order(customer.id, items, campaign_id=campaign.id)
        assert _lineup(campaign.id)[first.id].sold == 1
        rows = [
            {"product_id": p.id, "live_price_fen": p.price_fen // 2, "stock_cap": 10}
            for p in (first, second)
        ]
        campaigns.save_campaign({"lineup": rows}, campaign)
        db.session.expire_all()
        assert {pid: item.sold for pid, item in _lineup(campaign.id).items()} == {
            first.id: 1,
            second.id: 3,
        }
