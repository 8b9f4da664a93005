"""One person is one customer: whatever the order of mini-program logins and WeCom
contact adds (including the racy ones: an add that read "no customer" while a login was
committing, a login whose hook ran before an add committed), each person who logged in
is exactly one customer and every contact with their unionid is linked to it; a person
who never logged in has no customer (a contact never creates one). Also: a contact added
through a guide's code before the first login binds the customer to that guide then."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db, registry
from community.jobs.contacts import on_customer_logged_in
from community.models.contacts import WecomContact
from franchise.models import Customer
from franchise.services.customers import CUSTOMER_LOGGED_IN
from tests.community.factories_contacts import (
    add_contact,
    customers_with,
    guide_code,
    mp_login,
    unionid_of,
)
from tests.fixtures.randomness import db_examples

_round = itertools.count(1)

OPS = st.lists(
    st.tuples(
        st.sampled_from(["login", "login_raced", "add", "add_raced"]),
        st.integers(0, 2),  # which person
        st.integers(0, 1),  # which guide's code
    ),
    min_size=1,
    max_size=9,
)


def _contacts_of(unionid: str) -> list[WecomContact]:
    return list(db.session.scalars(select(WecomContact).where(WecomContact.unionid == unionid)))


@pytest.mark.slow
@db_examples(25)
@given(ops=OPS)
def test_no_interleaving_of_login_and_contact_add_makes_a_second_customer(
    app, org, client, monkeypatch, ops
):
    n = next(_round)
    people = [f"p{n}x{i}" for i in range(3)]
    ways = [guide_code(client, org.ga)["config_id"], guide_code(client, org.ga2)["config_id"]]
    logged_in: set[str] = set()
    hooks = registry(app).hooks[CUSTOMER_LOGGED_IN]
    for op, who, guide in ops:
        person = people[who]
        if op.startswith("login"):
            with app.app_context():
                no_contact_yet = not _contacts_of(unionid_of(person))
            raced = op == "login_raced" and no_contact_yet  # the add commits after the hook
            if raced:
                hooks.remove(on_customer_logged_in)
            try:
                mp_login(client, person)
            finally:
                if raced:
                    hooks.append(on_customer_logged_in)
            logged_in.add(person)
        else:
            if op == "add_raced":  # the add's read missed a login committing meanwhile
                monkeypatch.setattr(
                    "community.services.contact_sync.customer_by_unionid", lambda _u: None
                )
            add_contact(client, ways[guide], person, unionid_of(person))
            monkeypatch.undo()
    with app.app_context():
        for person in people:
            unionid = unionid_of(person)
            customers = customers_with(unionid)
            contacts = _contacts_of(unionid)
            assert len(contacts) <= 1  # the same person is one WeCom contact too
            if person in logged_in:
                assert len(customers) == 1, (person, ops)
                assert all(c.customer_id == customers[0].id for c in contacts), (person, ops)
            else:
                assert customers == [] and all(c.customer_id is None for c in contacts)


def test_a_contact_added_before_the_first_login_binds_at_login(app, org, client):
    way = guide_code(client, org.gb)  # Bob, franchisee B's store in 北京
    added = add_contact(client, way["config_id"], "周先生", unionid_of("zhou"))
    answer = mp_login(client, "zhou", latitude=31.2001, longitude=121.4001, city="上海")
    with app.app_context():
        customer = db.session.get(Customer, answer["customer"]["id"])
        assert (customer.franchisee_id, customer.guide_id) == (org.fb, org.gb)
        linked = db.session.scalars(
            select(WecomContact).where(WecomContact.external_userid == added["external_userid"])
        ).one()
        assert linked.customer_id == customer.id
    with app.app_context():  # the link after the login's commit names the customer
        assert db.session.get(Customer, answer["customer"]["id"]).nickname == "周先生"


def test_a_login_with_its_own_share_code_keeps_that_binding(app, org, client):
    from franchise.models import Guide
    from franchise.services.customers import guide_share_code

    add_contact(client, guide_code(client, org.gb)["config_id"], "吴女士", unionid_of("wu"))
    with app.app_context():
        code = guide_share_code(db.session.get(Guide, org.ga)).code
    answer = mp_login(client, "wu", share_code=code)
    with app.app_context():
        customer = db.session.get(Customer, answer["customer"]["id"])
        assert customer.guide_id == org.ga  # the mini-program's share code decided
        assert _contacts_of(unionid_of("wu"))[0].customer_id == customer.id
