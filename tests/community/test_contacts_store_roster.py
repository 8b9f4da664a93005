"""A store's shared 联系我 code follows the store's guides in WeCom: a guide who leaves,
returns or moves store changes the code's members through ``update_contact_way`` (after
the commit, through the outbox), and a customer scanning it reaches only current guides."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app import outbox
from app.extensions import db
from app.outbox import OutboxMessage
from community.models.contacts import WAY_DELETED, ContactWay
from community.services.contact_ways import UPDATE_KIND
from tests.community.factories_contacts import add_contact
from tests.fixtures.randomness import db_examples


def _way_users(client, config_id: str):
    with client.application.app_context():
        from app.wechat import wecom_contacts

        return wecom_contacts.get_contact_way(config_id)["user"]


def _store_code(client, store_id: int, headers) -> str:
    response = client.post(f"/api/v1/stores/{store_id}/contact-way", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["config_id"]


def _guide(client, guide_id: int, headers, **changes) -> None:
    response = client.patch(f"/api/v1/guides/{guide_id}", headers=headers, json=changes)
    assert response.status_code == 200, response.get_json()


def test_a_departed_guide_leaves_the_store_code(app, org, client, as_hq):
    config_id = _store_code(client, org.sa, as_hq)
    assert _way_users(client, config_id) == ["ann", "amy"]
    _guide(client, org.ga2, as_hq, status="left")
    with app.app_context():
        queued = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == UPDATE_KIND)
        ).all()
        assert len(queued) == 1  # after the commit, through the outbox: WeCom not called yet
    assert _way_users(client, config_id) == ["ann", "amy"]
    with app.app_context():
        outbox.drain()
        way = db.session.scalars(select(ContactWay).where(ContactWay.config_id == config_id)).one()
        assert way.userids == "ann" and way.error is None
    assert _way_users(client, config_id) == ["ann"]
    reached = {add_contact(client, config_id, f"客户{i}")["userid"] for i in range(3)}
    assert reached == {"ann"}  # the emulator hands new contacts only to current guides
    _guide(client, org.ga2, as_hq, status="active")  # Amy is back
    with app.app_context():
        outbox.drain()
    assert _way_users(client, config_id) == ["ann", "amy"]


def test_a_guide_moving_store_moves_between_the_store_codes(app, org, client, as_hq):
    code_a = _store_code(client, org.sa, as_hq)
    code_b = _store_code(client, org.sb, as_hq)
    _guide(client, org.gb, as_hq, store_id=org.sa)  # Bob moves from BJ-B to SH-A
    with app.app_context():
        outbox.drain()
        way_b = db.session.scalars(select(ContactWay).where(ContactWay.config_id == code_b)).one()
        assert way_b.status == WAY_DELETED  # BJ-B has no guide left: its code is deleted
    assert _way_users(client, code_a) == ["ann", "amy", "bob"]
    scan = client.post("/_sandbox/control/contacts/add", json={"config_id": code_b, "name": "x"})
    assert scan.status_code == 404  # no one is reached through a deleted code


def test_a_store_code_made_with_one_guide_takes_a_second(app, org, client, as_hq):
    """Found by the property below: a one-guide store's code was a single-person way,
    which WeCom never lets take a second member; a store's code is always multi-person."""
    config_id = _store_code(client, org.sb, as_hq)  # BJ-B: Bob alone
    assert _way_users(client, config_id) == ["bob"]
    _guide(client, org.ga2, as_hq, store_id=org.sb)
    with app.app_context():
        outbox.drain()
    assert _way_users(client, config_id) == ["amy", "bob"]  # in guide order


def test_a_repeated_change_changes_nothing_more(app, org, client, as_hq):
    config_id = _store_code(client, org.sa, as_hq)
    _guide(client, org.ga2, as_hq, status="left")
    with app.app_context():
        from community.services.contact_ways import refresh_store_ways

        assert refresh_store_ways(org.sa) == 1  # a re-sent hook queues again
        outbox.drain()
        results = [
            m.result
            for m in db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == UPDATE_KIND)
                .order_by(OutboxMessage.id)
            )
        ]
    assert results[0]["userids"] == ["ann"] and results[1] == {
        "config_id": config_id,
        "unchanged": True,
    }


def test_wecom_refusing_a_member_keeps_its_reason(app, org, client, as_hq):
    config_id = _store_code(client, org.sa, as_hq)
    client.post("/_sandbox/control/members/bob/resign")
    _guide(client, org.gb, as_hq, store_id=org.sa)
    with app.app_context():
        outbox.drain()
        way = db.session.scalars(select(ContactWay).where(ContactWay.config_id == config_id)).one()
        assert way.error.startswith("40003") and way.userids == "ann,amy"
    assert _way_users(client, config_id) == ["ann", "amy"]


GUIDES = ("ga", "ga2", "gb")
STEPS = st.lists(
    st.tuples(st.sampled_from(GUIDES), st.sampled_from(("leave", "return", "to_a", "to_b"))),
    min_size=1,
    max_size=6,
)


@pytest.mark.slow
@db_examples(15)
@given(steps=STEPS)
def test_after_any_changes_the_store_code_lists_exactly_the_stores_guides(
    app, org, client, as_hq, steps
):
    """Whatever guides leave, return or move (from wherever the previous example left
    them), once the outbox is drained the store's live code in WeCom lists exactly the
    store's active guides, and a store without guides has no live code."""
    from community.services.contact_ways import store_userids

    for guide_key, step in steps:
        changes = {
            "leave": {"status": "left"},
            "return": {"status": "active"},
            "to_a": {"store_id": org.sa},
            "to_b": {"store_id": org.sb},
        }[step]
        _guide(client, getattr(org, guide_key), as_hq, **changes)
        with app.app_context():
            outbox.drain()
            expected = store_userids(org.sa)
            way = db.session.scalars(
                select(ContactWay).where(ContactWay.state == f"siyu:s{org.sa}")
            ).first()
        if way is None or way.status == WAY_DELETED:
            if expected:  # the store has guides again: its code is asked for anew
                config_id = _store_code(client, org.sa, as_hq)
                assert _way_users(client, config_id) == expected
            continue
        assert expected, "a store without guides keeps no live code"
        assert _way_users(client, way.config_id) == expected
