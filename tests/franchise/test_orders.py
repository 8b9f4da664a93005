"""Placing orders: totals, coupon discounts, stock, attribution, cancel re-issues the coupon."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.auth.principal import Principal
from app.clock import utcnow
from app.errors import DomainError
from app.extensions import db
from franchise.models import Coupon, Guide, Order, Product
from franchise.services import coupons as coupon_service
from franchise.services import orders as order_service
from tests.franchise.factories_commerce import (
    gen_coupon,
    gen_customer,
    gen_share_code,
    gen_template,
)
from tests.livestream.factories import gen_campaign


def test_totals_merge_duplicates_and_take_stock(app, org, shop):
    with app.app_context():
        order = order_service.create_order(
            shop.ca,
            [
                {"product_id": shop.ring, "quantity": 1},
                {"product_id": shop.pearl, "quantity": 2},
                {"product_id": shop.ring, "quantity": 1},
            ],
        )
        assert [(line.sku, line.quantity) for line in order.lines] == [
            ("RING-1", 2),
            ("PEARL-1", 2),
        ]
        assert order.total_fen == 2 * 1000_00 + 2 * 300_00
        assert order.payable_fen == order.total_fen and order.discount_fen == 0
        assert order.status == "created" and len(order.order_no) == 22
        assert (order.franchisee_id, order.store_id, order.guide_id) == (org.fa, org.sa, org.ga)
        assert db.session.get(Product, shop.ring).stock == 3
        assert db.session.get(Product, shop.pearl).stock == 48
        assert [e.to_status for e in order.events] == ["created"]


@pytest.mark.parametrize(
    "items, field",
    [
        ([], "items"),
        ([{"product_id": 1, "quantity": 0}], "items"),
        ([{"product_id": 1, "quantity": 100}], "items"),
        ([{"product_id": 1, "quantity": -1}], "items"),
        ([{"product_id": 1, "quantity": 60}, {"product_id": 1, "quantity": 60}], "items"),
    ],
)
def test_bad_quantities_are_refused(app, shop, items, field):
    with app.app_context():
        items = [{**i, "product_id": shop.pearl} for i in items]
        with pytest.raises(DomainError) as exc:
            order_service.create_order(shop.ca, items)
        assert exc.value.status == 422 and field in exc.value.errors
        assert db.session.get(Product, shop.pearl).stock == 50


def test_inactive_and_out_of_stock_refused_without_side_effects(app, shop):
    with app.app_context():
        with pytest.raises(DomainError) as exc:
            order_service.create_order(shop.ca, [{"product_id": shop.old, "quantity": 1}])
        assert exc.value.status == 422
        with pytest.raises(DomainError):
            order_service.create_order(
                shop.ca,
                [
                    {"product_id": shop.pearl, "quantity": 1},
                    {"product_id": shop.ring, "quantity": 6},
                ],
            )
        assert db.session.get(Product, shop.pearl).stock == 50  # rolled back
        assert db.session.query(Order).count() == 0


def test_coupon_discount_threshold_and_redemption(app, org, shop):
    with app.app_context():
        template = gen_template({org.east: 10}, amount_off_fen=100_00, threshold_fen=1000_00)
        coupon = coupon_service.issue_coupon(template.id, shop.ca)
        with pytest.raises(DomainError) as exc:  # ¥300 is below the ¥1,000 threshold
            order_service.create_order(
                shop.ca, [{"product_id": shop.pearl, "quantity": 1}], coupon_code=coupon.code
            )
        assert exc.value.status == 422 and "coupon_code" in exc.value.errors
        order = order_service.create_order(
            shop.ca, [{"product_id": shop.ring, "quantity": 1}], coupon_code=coupon.code.lower()
        )
        assert (order.total_fen, order.discount_fen, order.payable_fen) == (
            1000_00,
            100_00,
            900_00,
        )
        coupon = db.session.get(Coupon, coupon.id)
        assert coupon.status == "redeemed" and coupon.redeemed_channel == "online"
        assert coupon.redeemed_order_id == order.id
        assert (
            coupon.redeemed_guide_id,
            coupon.redeemed_store_id,
            coupon.redeemed_franchisee_id,
        ) == (
            org.ga,
            org.sa,
            org.fa,
        )
        with pytest.raises(DomainError):  # used once
            order_service.create_order(
                shop.ca, [{"product_id": shop.ring, "quantity": 1}], coupon_code=coupon.code
            )


def test_discount_never_exceeds_total(app, org, shop):
    with app.app_context():
        template = gen_template({org.east: 10}, amount_off_fen=500_00)
        coupon = coupon_service.issue_coupon(template.id, shop.ca)
        order = order_service.create_order(
            shop.ca, [{"product_id": shop.pearl, "quantity": 1}], coupon_code=coupon.code
        )
        assert (order.discount_fen, order.payable_fen) == (300_00, 0)


def test_expired_and_other_customers_coupons_refused(app, org, shop):
    with app.app_context():
        template = gen_template({org.east: 10, org.north: 10})
        from franchise.models import Customer

        ca = db.session.get(Customer, shop.ca)
        expired = gen_coupon(template, ca, expires_at=utcnow() - timedelta(minutes=1))
        theirs = coupon_service.issue_coupon(template.id, shop.cb)
        for code in (expired.code, theirs.code, "NOSUCHCODE12"):
            with pytest.raises(DomainError) as exc:
                order_service.create_order(
                    shop.ca, [{"product_id": shop.pearl, "quantity": 1}], coupon_code=code
                )
            assert exc.value.status == 422 and "coupon_code" in exc.value.errors
        assert db.session.get(Coupon, theirs.id).status == "issued"


def test_cancel_restores_stock_and_reissues_coupon(app, org, shop):
    with app.app_context():
        template = gen_template({org.east: 10})
        coupon = coupon_service.issue_coupon(template.id, shop.ca)
        order = order_service.create_order(
            shop.ca, [{"product_id": shop.ring, "quantity": 2}], coupon_code=coupon.code
        )
        assert db.session.get(Product, shop.ring).stock == 3
        customer = Principal("customer", customer_id=shop.ca)
        order_service.transition(order, "cancelled", customer, "changed my mind")
        order = db.session.get(Order, order.id)
        assert order.status == "cancelled"
        assert db.session.get(Product, shop.ring).stock == 5
        coupon = db.session.get(Coupon, coupon.id)
        assert coupon.status == "issued" and coupon.redeemed_order_id is None
        event = order.events[-1]
        assert (event.from_status, event.to_status, event.actor_role, event.note) == (
            "created",
            "cancelled",
            "customer",
            "changed my mind",
        )
        # the coupon works again
        again = order_service.create_order(
            shop.ca, [{"product_id": shop.ring, "quantity": 1}], coupon_code=coupon.code
        )
        assert again.discount_fen == 20_00


def test_close_unpaid_order_releases_too(app, shop):
    with app.app_context():
        order = order_service.create_order(shop.ca, [{"product_id": shop.ring, "quantity": 1}])
        order_service.close_unpaid_order(order.id)
        assert db.session.get(Order, order.id).status == "closed"
        assert db.session.get(Product, shop.ring).stock == 5
        with pytest.raises(DomainError) as exc:
            order_service.close_unpaid_order(order.id)
        assert exc.value.status == 409


def test_share_code_guide_only_within_the_franchise(app, org, shop):
    with app.app_context():
        ann2 = Guide(store_id=org.sa, franchisee_id=org.fa, name="Ann2", wecom_userid="ann2")
        db.session.add(ann2)
        db.session.commit()
        own = gen_share_code(ann2)
        foreign = gen_share_code(db.session.get(Guide, org.gb))
        campaign_id = gen_campaign("hq", [org.sa]).id
        order = order_service.create_order(
            shop.ca,
            [{"product_id": shop.pearl, "quantity": 1}],
            share_code=own.code,
            campaign_id=campaign_id,
        )
        assert order.guide_id == ann2.id and order.share_code == own.code
        assert order.campaign_id == campaign_id
        order = order_service.create_order(
            shop.ca, [{"product_id": shop.pearl, "quantity": 1}], share_code=foreign.code
        )
        assert order.guide_id == org.ga and order.franchisee_id == org.fa
        nobody = gen_customer(org.fa)
        order = order_service.create_order(
            nobody.id, [{"product_id": shop.pearl, "quantity": 1}], share_code="UNKNOWN"
        )
        assert order.guide_id is None and order.share_code is None
        with pytest.raises(DomainError) as exc:
            order_service.create_order(
                shop.ca, [{"product_id": shop.pearl, "quantity": 1}], campaign_id=0
            )
        assert exc.value.status == 422


def test_auto_complete_old_handed_over_orders(app, shop):
    with app.app_context():
        order = order_service.create_order(shop.ca, [{"product_id": shop.pearl, "quantity": 1}])
        order.status = "picked_up"
        order.updated_at = utcnow() - timedelta(days=8)
        db.session.commit()
        assert order_service.auto_complete(days=7) == 1
        order = db.session.get(Order, order.id)
        assert order.status == "completed" and order.events[-1].actor_role == "system"
