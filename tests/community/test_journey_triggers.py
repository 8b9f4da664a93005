"""Each trigger's candidates on a given day: a birthday (and 29 February in other years),
a purchase anniversary (not the purchase day itself), maintenance k care intervals after
a piece's sale, dormancy N days after the last order or visit (a new occurrence after a return),
and a journey limited to a tag's customers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.extensions import db
from community.models.wecom_customers import CustomerTag, CustomerTagLink, TagGroup
from community.services.journey_triggers import anniversary_in, candidates
from franchise.models import Appointment
from tests.community.factories_groups import gen_paid_order
from tests.community.factories_journeys import gen_journey
from tests.fixtures.database import saved
from tests.franchise.factories_commerce import gen_customer, gen_product
from tests.franchise.factories_jewellery import gen_sold_piece

DAY = date(2026, 6, 15)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, tzinfo=UTC)  # 12:00 Shanghai


def test_anniversaries_of_leap_days_and_not_the_day_itself():
    assert anniversary_in(
        date(2024, 2, 29), date(2026, 2, 27), date(2026, 3, 1), after_origin=True
    ) == date(2026, 2, 28)
    assert anniversary_in(DAY, DAY, DAY, after_origin=True) is None
    assert anniversary_in(DAY, DAY, DAY, after_origin=False) == DAY


def test_birthday_anniversary_maintenance_and_dormant(app, org):
    with app.app_context():
        born = gen_customer(org.fa, org.sa, org.ga, birthday=date(1990, 6, 14))
        buyer = gen_customer(org.fa, org.sa, org.ga, created_at=_at(date(2024, 1, 1)))
        order = gen_paid_order(buyer)
        order.paid_at = _at(date(2025, 6, 15))
        product = gen_product(care_interval_days=180)
        piece = gen_sold_piece(order, product)
        buyer.last_order_at = order.paid_at
        db.session.commit()
        birthday = gen_journey("birthday")
        assert (born.id, "2026", date(2026, 6, 14)) in candidates(birthday, DAY)
        anniversary = gen_journey("purchase_anniversary")
        assert candidates(anniversary, DAY) == [(buyer.id, "2026", DAY)]
        assert candidates(anniversary, date(2025, 6, 15)) == []  # the purchase day itself
        care = gen_journey("maintenance_due")
        due = date(2025, 6, 15) + timedelta(days=360)  # the second care interval
        assert candidates(care, due) == [(buyer.id, f"p{piece.id}d{due:%Y%m%d}", due)]
        dormant = gen_journey("dormant", dormant_days=365)
        assert (buyer.id, "d2025-06-15", DAY) in candidates(dormant, DAY)
        saved(Appointment(customer_id=buyer.id, franchisee_id=org.fa, store_id=org.sa,
                          kind="try_on", slot_start=_at(date(2026, 1, 10))))  # fmt: skip
        assert all(c[0] != buyer.id for c in candidates(dormant, DAY))  # the visit counts
        assert (buyer.id, "d2026-01-10", date(2027, 1, 10)) in candidates(
            dormant, date(2027, 1, 10)
        )


def test_a_tagged_journey_takes_only_the_tags_customers(app, org):
    with app.app_context():
        tagged = gen_customer(org.fa, org.sa, org.ga, birthday=DAY.replace(year=1991))
        other = gen_customer(org.fa, org.sa, org.ga, birthday=DAY.replace(year=1992))
        group = saved(TagGroup(name="画像"))
        tag = saved(CustomerTag(group_id=group.id, name="婚庆"))
        saved(CustomerTagLink(tag_id=tag.id, subject=f"c{tagged.id}", customer_id=tagged.id))
        journey = gen_journey("birthday", tag_id=tag.id)
        found = {c[0] for c in candidates(journey, DAY)}
        assert tagged.id in found and other.id not in found
