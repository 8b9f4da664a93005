"""Property: whatever a guide ticks and unticks, in any order, once the outbox has run
the customer's tags in Siyu are exactly the tags WeCom has on the contact (mark_tag
after each commit, in order), and every link says it is synced."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app import outbox
from app.extensions import db
from community.models.wecom_customers import CustomerTag, CustomerTagLink
from community.services import tag_links, tags
from community.services.sync import full_sync
from franchise.models import Customer
from tests.community.factories_groups import sandbox_group
from tests.fixtures.randomness import db_examples
from tests.franchise.factories_commerce import gen_customer

NAMES = ("婚庆", "古法金偏好", "高净值", "待唤醒")
CHANGES = st.lists(
    st.tuples(st.sets(st.sampled_from(range(4))), st.sets(st.sampled_from(range(4)))),
    min_size=1,
    max_size=6,
)


def _world(app, org) -> tuple[int, list[int]]:
    with app.app_context():
        customer = db.session.scalars(select(Customer).where(Customer.unionid == "uPROP")).first()
        if customer is None:
            sandbox_group(app, "ann", [{"userid": "wmPROP", "unionid": "uPROP"}])
            customer = gen_customer(org.fa, org.sa, org.ga, unionid="uPROP")
            tags.create_group("画像", list(NAMES))
            outbox.drain()
            full_sync()
        ids = [t.id for t in db.session.scalars(select(CustomerTag).order_by(CustomerTag.id))]
        return customer.id, ids


@pytest.mark.slow
@db_examples(20)
@given(changes=CHANGES)
def test_any_tag_changes_end_with_wecom_and_siyu_agreeing(app, org, sandbox, changes):
    customer_id, ids = _world(app, org)
    with app.app_context():
        db.session.execute(delete(CustomerTagLink))
        db.session.commit()
    sandbox.data["contact_tags"].pop("ann|wmPROP", None)
    for add, remove in changes:
        with app.app_context():
            customer = db.session.get(Customer, customer_id)
            tag_links.set_tags(
                customer=customer, add=[ids[i] for i in add], remove=[ids[i] for i in remove - add]
            )
    with app.app_context():
        outbox.drain()
        mine = tag_links.tags_of(customer_id)
        wecom_ids = {db.session.get(CustomerTag, t["id"]).wecom_id for t in mine}
        assert wecom_ids == set(sandbox.data["contact_tags"].get("ann|wmPROP", []))
        assert {t["status"] for t in mine} <= {"synced"}
