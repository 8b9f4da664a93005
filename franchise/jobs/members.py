"""Members' jobs: the nightly sweep of paid orders not earned yet (00:15 Asia/Shanghai;
orders are earned as they are paid by the ``ORDER_PAID`` listener
``points.earn_on_paid``), expire points and remind before expiry (00:30), birthday
rewards (08:00), the yearly level review (1 January, 03:00)."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from app.clock import shanghai_day
from app.extensions import db
from franchise.models import Customer
from franchise.services import members, points, points_expiry

log = logging.getLogger("siyu.franchise.members")


def earn_sweep_job() -> None:
    count = points.earn_paid()
    if count:
        log.info("points sweep: %d paid orders not earned by the listener", count)


def expire_points_job() -> None:
    expired = points_expiry.expire()
    reminded = points_expiry.remind()
    log.info("points expired for %d members, %d reminded", expired, reminded)


def birthday_job() -> None:
    """Today's birthdays (Shanghai): HQ's points and the level's coupon, once a year."""
    today = shanghai_day()
    month_day = f"{today.month:02d}-{today.day:02d}"
    ids = db.session.scalars(
        select(Customer.id).where(
            Customer.birthday.is_not(None),
            func.substr(func.cast(Customer.birthday, db.String), 6, 5) == month_day,
        )
    ).all()
    for customer_id in ids:
        members.birthday_gifts(customer_id, today.year)
        db.session.commit()


def yearly_review_job() -> None:
    log.info("yearly level review: %d members changed level", members.yearly_review())
