"""Factories for the journeys tests: a customer of a guide who is the guide's WeCom
contact (in Siyu and in the sandbox), a journey through the API's service."""

from __future__ import annotations

from app.extensions import db
from app.wechat.sandbox.wecom_contacts import new_contact
from community.models.contacts import ContactFollow, WecomContact
from community.services import journeys
from franchise.models import Customer, Guide
from tests.community.factories_delivery import gen_post
from tests.fixtures.database import saved
from tests.franchise.factories_commerce import gen_customer


def make_contact(customer: Customer, sandbox=None) -> str:
    """The customer becomes their guide's WeCom contact; the external userid."""
    guide = db.session.get(Guide, customer.guide_id)
    assert guide is not None and guide.wecom_userid
    if sandbox is not None:
        external, _ = new_contact(sandbox, guide.wecom_userid, customer.nickname)
    else:
        external = f"wmJ{customer.id:06d}"
    contact = saved(WecomContact(external_userid=external, customer_id=customer.id))
    saved(
        ContactFollow(
            contact_id=contact.id,
            external_userid=external,
            userid=guide.wecom_userid,
            guide_id=guide.id,
            store_id=customer.store_id,
            franchisee_id=customer.franchisee_id,
        )
    )
    return external


def gen_journey(trigger: str = "first_purchase", waits=(0,), **kw):
    steps = [
        {"wait_days": w, "window_days": kw.pop("window_days", 3), "post_id": gen_post().id}
        for w in waits
    ]
    data = {"name": kw.pop("name", "首购关怀"), "trigger": trigger, "steps": steps,
            "outcome_days": 7, "active": True, **kw}  # fmt: skip
    return journeys.save_journey(data)


def paid_contact(org, sandbox, guide_id: int, **kw) -> tuple[Customer, str]:
    """A customer of ``guide_id`` (franchise A, store A) who is the guide's WeCom contact
    and paid an order just now (not committed); with their external userid."""
    from app.clock import utcnow
    from tests.community.factories_groups import gen_paid_order

    customer = gen_customer(org.fa, org.sa, guide_id, **kw)
    external = make_contact(customer, sandbox)
    gen_paid_order(customer).paid_at = utcnow()
    return customer, external


def run_first_purchase_journey() -> None:
    """A one-step first-purchase journey, enrolled, dispatched and created in WeCom."""
    from app import outbox
    from community.services import journey_sends, journey_triggers

    gen_journey(waits=(0,))
    journey_triggers.run()
    journey_sends.dispatch()
    outbox.drain()


def sent_first_purchases(org, sandbox, guides: dict[str, int]) -> None:
    """Customers (nickname → guide id) who are their guide's contacts and paid today,
    a one-step first-purchase journey, enrolled, dispatched and created in WeCom."""
    for nickname, guide_id in guides.items():
        paid_contact(org, sandbox, guide_id, nickname=nickname)
    db.session.commit()
    run_first_purchase_journey()
