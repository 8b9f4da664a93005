"""The one-off conversion of store 联系我 codes made as single-person ways: a store code
made before this round cannot take a second guide (WeCom's ``update_contact_way`` wants
one ``user`` for a single-person way); ``flask community convert-store-ways`` and the
nightly contact job replace it in the emulator by a multi-person way with the same state
(add, then delete the old one, through the outbox), once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import outbox
from app.extensions import db
from app.outbox import OutboxMessage
from app.wechat import wecom_contacts
from app.wechat.errors import WeChatAPIError
from community.models.contacts import WAY_ACTIVE, WAY_STORE, ContactFollow, ContactWay
from community.services.contact_way_conversion import CONVERT_KIND
from community.services.contact_ways import way_state
from franchise.models import Store
from franchise.services.customers import store_share_code
from tests.community.factories_contacts import add_contact


@pytest.fixture
def legacy_way(app, org) -> str:
    """Store BJ-B's code as made before this round: a single-person way for Bob."""
    with app.app_context():
        store = db.session.get(Store, org.sb)
        state = way_state(WAY_STORE, store_id=store.id)
        answer = wecom_contacts.add_contact_way(["bob"], state, store.name)  # type 1
        assert wecom_contacts.get_contact_way(answer["config_id"])["type"] == 1
        way = ContactWay(kind=WAY_STORE, state=state, status=WAY_ACTIVE, userids="bob")
        way.store_id, way.franchisee_id = store.id, store.franchisee_id
        way.share_code = store_share_code(store).code
        way.config_id, way.qr_code = answer["config_id"], answer["qr_code"]
        db.session.add(way)
        db.session.commit()
        return answer["config_id"]


def _store_way(app, store_id: int) -> ContactWay:
    with app.app_context():
        way = db.session.scalars(select(ContactWay).where(ContactWay.store_id == store_id)).one()
        db.session.expunge(way)
        return way


def _convert(app) -> str:
    result = app.test_cli_runner().invoke(args=["community", "convert-store-ways"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        outbox.drain()
    return result.output


def test_a_single_person_store_code_refuses_a_second_guide_until_converted(
    app, org, client, as_hq, legacy_way
):
    moved = client.patch(f"/api/v1/guides/{org.ga2}", headers=as_hq, json={"store_id": org.sb})
    assert moved.status_code == 200, moved.get_json()
    with app.app_context():
        outbox.drain()
    assert _store_way(app, org.sb).error.startswith("40058")  # WeCom refused the roster

    assert "1 store codes queued" in _convert(app)
    way = _store_way(app, org.sb)
    assert way.config_id != legacy_way and way.error is None and way.userids == "amy,bob"
    with app.app_context():
        new = wecom_contacts.get_contact_way(way.config_id)
        assert (new["type"], new["user"], new["state"]) == (2, ["amy", "bob"], way.state)
        with pytest.raises(WeChatAPIError) as gone:
            wecom_contacts.get_contact_way(legacy_way)  # deleted after the add
        assert gone.value.errcode == wecom_contacts.INVALID_CONFIG_ID
    reached = {add_contact(client, way.config_id, f"客户{i}")["userid"] for i in range(2)}
    assert reached == {"bob", "amy"}  # the second guide now takes contacts
    with app.app_context():
        states = set(db.session.scalars(select(ContactFollow.state)))
    assert states == {way.state}  # attributed to the store as before


def test_the_conversion_runs_once_and_leaves_multi_person_codes(
    app, org, client, as_hq, legacy_way
):
    response = client.post(f"/api/v1/stores/{org.sa}/contact-way", headers=as_hq)
    multi = response.get_json()["config_id"]  # made multi-person this round
    _convert(app)
    converted = _store_way(app, org.sb).config_id
    assert _store_way(app, org.sa).config_id == multi
    _convert(app)  # a second run: nothing queued again, nothing replaced
    assert _store_way(app, org.sb).config_id == converted
    assert _store_way(app, org.sa).config_id == multi
    with app.app_context():
        done = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == CONVERT_KIND)
        ).all()
        # one look at each code: the two before, and the new code once
        assert sorted(m.payload["config_id"] for m in done) == sorted(
            [legacy_way, multi, converted]
        )
        assert all(m.status == "done" for m in done)


def test_the_nightly_contact_job_queues_the_conversion(app, org, legacy_way):
    from community.jobs.contacts import nightly_contact_sync

    with app.app_context():
        assert nightly_contact_sync()["store_ways"] == 1
        outbox.drain()
        way = db.session.scalars(select(ContactWay).where(ContactWay.store_id == org.sb)).one()
        assert way.config_id != legacy_way
        assert wecom_contacts.get_contact_way(way.config_id)["type"] == 2
