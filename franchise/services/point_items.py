"""Point items: HQ's catalogue of things a member takes for points alone.

``redeem`` takes a unit of stock with one conditional ``UPDATE … WHERE stock > 0`` and
the points with the points book's conditional update (``exchange:<redemption>``,
credited to the member's franchisee, whose store hands the item over), then commits;
too few points or no stock is a 422 naming the field and changes nothing.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from app.clock import shanghai_day
from app.errors import NotFound
from app.extensions import db
from franchise.models import Customer, PointItem, PointRedemption
from franchise.services import member_settings, members, points_book
from franchise.services.base import invalid, rollback_and_raise
from franchise.services.points_book import account_code


def active_items() -> list[PointItem]:
    return list(
        db.session.scalars(
            select(PointItem).where(PointItem.is_active.is_(True)).order_by(PointItem.points)
        )
    )


def create_item(values: dict) -> PointItem:
    """HQ adds a point item (validated by ``PointItemCreateSchema``); commits."""
    item = PointItem(name=values["name"], points=values["points"], stock=values["stock"])
    db.session.add(item)
    db.session.commit()
    return item


def redeem(customer_id: int, item_id: int) -> PointRedemption:
    """Exchange points for one unit of ``item_id`` (commits)."""
    try:
        item = db.session.get(PointItem, item_id)
        if item is None or not item.is_active:
            raise NotFound("Point item not found")
        taken = db.session.execute(
            update(PointItem)
            .where(PointItem.id == item_id, PointItem.stock > 0)
            .values(stock=PointItem.stock - 1)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult, taken).rowcount != 1:
            raise invalid("item_id", "This item is out of stock.")
        customer = db.session.get(Customer, customer_id)
        if customer is None:
            raise NotFound("Customer not found")
        members.ensure(customer_id)
        redemption = PointRedemption(
            item_id=item.id,
            customer_id=customer_id,
            franchisee_id=customer.franchisee_id,
            points=item.points,
        )
        db.session.add(redemption)
        db.session.flush()
        try:
            points_book.post(
                f"exchange:{redemption.id}",
                "exchange",
                customer_id,
                [
                    (account_code("member", customer_id), item.points, 0),
                    (account_code("redeemed", customer.franchisee_id), 0, item.points),
                ],
                value_fen=int(member_settings.config()["point_value_fen"]),
                business_date=shanghai_day(),
                franchisee_id=customer.franchisee_id,
                memo=item.name,
                consumed=item.points,
            )
        except points_book.InsufficientPoints:
            raise invalid("points", "You do not hold enough points for this item.") from None
    except Exception as exc:
        rollback_and_raise(exc)
    db.session.commit()
    return redemption
