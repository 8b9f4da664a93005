"""The login's contacts hook (issue 20, login round): after the login's commit it reads
whether a contact with the customer's unionid waits for its customer, in one autocommit
statement, and links only then; a contact committed after the login (before the hook)
is still linked, as the UPDATE after the commit linked it."""

from __future__ import annotations

from sqlalchemy import insert, select

from app.extensions import db, registry
from community.models.contacts import WecomContact
from franchise.models import Customer
from franchise.services.customers import CUSTOMER_LOGGED_IN
from tests.community.factories_contacts import mp_login, unionid_of
from tests.fixtures.statements import statements


def test_a_login_with_no_contact_waiting_reads_once_and_writes_no_contact(app, client, org):
    with app.app_context(), statements() as seen:
        answer = mp_login(client, "hook-none")
    assert answer["created"] is True
    touching = [s for s in seen if "wecom_contacts" in s]
    assert len(touching) == 1 and touching[0].startswith("SELECT"), touching
    with app.app_context(), statements() as again_seen:
        mp_login(client, "hook-none")  # returning: the same one read
    assert [s.split()[0] for s in again_seen if "wecom_contacts" in s] == ["SELECT"]


def test_a_contact_committed_after_the_login_and_before_the_hook_is_linked(app, client, org):
    """A listener ahead of community's commits a contact with the person's unionid after
    the login's commit: the hook's read sees it and links it (with the nickname)."""
    unionid = unionid_of("hook-late")

    def contact_arrives(_customer_id, _unionid, _share_code) -> None:
        db.session.execute(
            insert(WecomContact).values(
                external_userid="wm-hook-late", name="晚到的", unionid=unionid
            )
        )
        db.session.commit()

    listeners = registry(app).hooks[CUSTOMER_LOGGED_IN]
    listeners.insert(0, contact_arrives)
    try:
        answer = mp_login(client, "hook-late")
    finally:
        listeners.remove(contact_arrives)
    with app.app_context():
        linked = db.session.scalars(
            select(WecomContact.customer_id).where(WecomContact.unionid == unionid)
        ).one()
        assert linked == answer["customer"]["id"]
        assert db.session.get(Customer, linked).nickname == "晚到的"
