"""Membership from the first login: the member, the sign-up points and the
new-customer coupon; HQ's profile reward once the profile is complete; a birthday's
points and the level's coupon once a year; an upgrade at once with its coupon and its
reason in the history; the benefits in ``/mp/me`` with the cleanings left."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from franchise.jobs import members as jobs
from franchise.models import Coupon, Customer, Member, MemberLevelChange
from franchise.services import member_settings, members
from tests.franchise.factories_commerce import gen_template
from tests.franchise.factories_members import paid_order
from tests.franchise.factories_payments import customer_headers, gen_customer

SH = {"latitude": 31.23, "longitude": 121.47, "city": "上海"}


def test_first_login_makes_the_member_with_points_and_coupon(app, client, org):
    with app.app_context():
        gen_template({org.east: 5}, kind="new_customer", name="新客券")
    res = client.post("/api/v1/mp/session", json={"code": "code-newbie", **SH})
    assert res.status_code == 200 and res.get_json()["created"] is True
    token = {"Authorization": f"Bearer {res.get_json()['token']}"}
    me = client.get("/api/v1/mp/me", headers=token).get_json()
    assert me["member"]["points"] == 100 and me["member"]["level"] == "regular"
    coupons = client.get("/api/v1/mp/coupons", headers=token).get_json()["items"]
    assert [c["name"] for c in coupons] == ["新客券"]
    with app.app_context():  # a second welcome (a retried login) rewards nothing more
        members.welcome(me["id"])
    me = client.get("/api/v1/mp/me", headers=token).get_json()
    assert me["member"]["points"] == 100
    assert len(client.get("/api/v1/mp/coupons", headers=token).get_json()["items"]) == 1
    for body in ({"nickname": "小林", "birthday": "1990-05-01"}, {"city": "上海"}):
        client.patch("/api/v1/mp/me", json=body, headers=token)
    with app.app_context():  # the phone completes it (bound through WeChat's code)
        customer = db.session.get(Customer, me["id"])
        customer.phone = "13800000000"
        members.reward_completed_profile(customer)
        db.session.commit()
    assert client.get("/api/v1/mp/me", headers=token).get_json()["member"]["points"] == 150


def test_upgrade_at_once_with_coupon_birthday_once_a_year(app, client, org):
    with app.app_context():
        gift = gen_template({org.east: 5}, name="生日礼券")
        upgrade = gen_template({org.east: 5}, name="升级礼券")
        cfg = member_settings.config()
        for level in cfg["levels"]:
            level["birthday_coupon_template_id"] = gift.id
            level["upgrade_coupon_template_id"] = upgrade.id
        member_settings.save({"levels": cfg["levels"]})
        from app.clock import shanghai_day

        today = shanghai_day()
        cid = gen_customer(org.fa, birthday=today.replace(year=1990)).id
        paid_order(cid, org.fa, 2_100_000)  # ¥21,000 → gold at once
        member = db.session.scalars(select(Member).where(Member.customer_id == cid)).one()
        assert member.level == "gold"
        change = db.session.scalars(
            select(MemberLevelChange)
            .where(MemberLevelChange.member_id == member.id)
            .order_by(MemberLevelChange.id.desc())
        ).first()
        assert (change.from_level, change.to_level, change.reason) == ("regular", "gold", "upgrade")
        jobs.birthday_job()
        jobs.birthday_job()
        names = sorted(
            c.template.name
            for c in db.session.scalars(select(Coupon).where(Coupon.customer_id == cid))
        )
        assert names == ["升级礼券", "生日礼券"]
        headers = customer_headers(cid)
    member = client.get("/api/v1/mp/me", headers=headers).get_json()["member"]
    assert member["points"] == 21_000 + 200  # earned at the level held when paid
    assert (
        member["benefits"]["free_cleanings"] == 2 and member["benefits"]["free_cleanings_left"] == 2
    )
    assert member["benefits"]["event_invitations"] is True and member["level"] == "gold"


def test_level_discount_on_eligible_products(app, client, shop, org):
    with app.app_context():
        member_settings.save({"discount_categories": ["钻石"]})
        paid_order(shop.ca, org.fa, 600_000)  # ¥6,000: silver, 2 % off diamonds
        headers = customer_headers(shop.ca)
    body = {
        "items": [
            {"product_id": shop.ring, "quantity": 1},
            {"product_id": shop.pearl, "quantity": 1},
        ]
    }
    answer = client.post("/api/v1/mp/orders", json=body, headers=headers).get_json()
    assert answer["total_fen"] == 130_000 and answer["discount_fen"] == 2_000  # ring only
    assert answer["payable_fen"] == 128_000
    with app.app_context():
        member_settings.save({"discount_categories": []})
    plain = client.post("/api/v1/mp/orders", json=body, headers=headers).get_json()
    assert plain["discount_fen"] == 0


def test_priority_slots_give_a_place_in_a_full_slot(app, client, org):
    from datetime import timedelta

    from app.clock import shanghai_day
    from franchise.services.appointments import slot_starts

    with app.app_context():
        regulars = [gen_customer(org.fa).id for _ in range(3)]
        vip = gen_customer(org.fa).id
        paid_order(vip, org.fa, 5_000_000)  # ¥50,000: platinum, priority slots
        heads = {cid: customer_headers(cid) for cid in [*regulars, vip]}
    start = slot_starts(shanghai_day() + timedelta(days=2))[1].isoformat()
    body = {"store_id": org.sa, "kind": "maintenance", "slot_start": start}
    answers = [
        client.post("/api/v1/mp/appointments", json=body, headers=heads[c]) for c in regulars
    ]
    assert [a.status_code for a in answers] == [201, 201, 409]  # capacity 2
    vip_answer = client.post("/api/v1/mp/appointments", json=body, headers=heads[vip])
    assert vip_answer.status_code == 201, vip_answer.get_json()
    member = client.get("/api/v1/mp/me", headers=heads[vip]).get_json()["member"]
    assert member["benefits"]["priority_slots"] is True
    assert member["benefits"]["free_cleanings_left"] == member["benefits"]["free_cleanings"] - 1
