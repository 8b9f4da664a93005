"""The login's contacts hook (issue 20, login round): it links only when a contact with
the customer's unionid waits for its customer, which a returning customer's login reads
in its first statement (franchise's ``CUSTOMER_FIND_COLUMNS``) and any other login in
one autocommit statement after its commit; a contact committed after the login (before
the hook) is still linked, as the UPDATE after the commit linked it."""

from __future__ import annotations

from sqlalchemy import insert, select

from app.extensions import db, registry
from community.models.contacts import WecomContact
from franchise.models import Customer
from franchise.services.customers import CUSTOMER_LOGGED_IN
from tests.community.factories_contacts import mp_login, unionid_of
from tests.fixtures.statements import statements


def test_a_login_with_no_contact_waiting_reads_once_and_writes_no_contact(app, client, org):
    """A new customer: one autocommit read after the commit. A returning one whose unionid
    was stored: the read is a column of the login's first statement, nothing after it."""
    with app.app_context(), statements() as seen:
        answer = mp_login(client, "hook-none")
    assert answer["created"] is True
    after = [s for s in seen if not s.startswith("SELECT customers.id")]  # after the find
    touching = [s for s in after if "wecom_contacts" in s]
    assert len(touching) == 1 and touching[0].startswith("SELECT wecom_contacts.id"), touching
    with app.app_context(), statements() as again:
        assert mp_login(client, "hook-none")["created"] is False
    assert len(again) == 1 and again[0].startswith("SELECT customers.id"), again
    assert "wecom_contacts" in again[0]


def test_a_contact_waiting_at_a_returning_login_is_linked_from_the_login_s_read(
    app, client, org, monkeypatch
):
    """A contact left unlinked (its own link missed the customer, the first login's hook
    did not run): the next login reads it waiting in its first statement and links it."""
    unionid = unionid_of("hook-back")
    listeners = registry(app).hooks[CUSTOMER_LOGGED_IN]
    saved = list(listeners)
    listeners.clear()
    try:
        first = mp_login(client, "hook-back")
    finally:
        listeners.extend(saved)
    with app.app_context():
        db.session.execute(
            insert(WecomContact).values(external_userid="wm-hook-back", name="", unionid=unionid)
        )
        db.session.commit()
    monkeypatch.setattr(  # the answer comes from the login's own read
        "community.jobs.contacts.waiting_for_customer", lambda _unionid: False
    )
    assert mp_login(client, "hook-back")["created"] is False
    with app.app_context():
        linked = db.session.scalars(
            select(WecomContact.customer_id).where(WecomContact.unionid == unionid)
        ).one()
        assert linked == first["customer"]["id"]


def test_a_contact_committed_after_the_login_and_before_the_hook_is_linked(app, client, org):
    """A listener ahead of community's commits a contact with the person's unionid after
    the login's commit: the hook's read sees it and links it (with the nickname)."""
    unionid = unionid_of("hook-late")

    def contact_arrives(_customer_id, _unionid, _share_code, **_read) -> None:
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
