"""change_external_contact callbacks through the real /wecom/callback route, fired
(encrypted) by the sandbox: each change type, the welcome message within WeCom's 20 s,
an unknown guide's follow kept and linked by the sync, forged and replayed callbacks."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.outbox import OutboxMessage
from app.wechat.sandbox.delivery import fire_wecom_event, wecom_callback_xml
from app.wechat.sandbox.wecom_contacts import new_contact
from community.models.contacts import ContactFollow
from community.services.contact_events import CONTACT_TRANSFER_FAILED, RESYNC_KIND
from community.services.contact_sync import sync_guide
from franchise.models import AssignmentHistory, Customer, Guide
from tests.community.factories_contacts import (
    add_contact,
    contact,
    follow,
    guide_code,
    mp_login,
    unionid_of,
)
from tests.franchise.factories import gen_guide


def _event(kind: str, userid: str, external_userid: str, **extra) -> dict:
    """A change_external_contact event as WeCom sends it."""
    fields = {"Event": "change_external_contact", "ChangeType": kind, "UserID": userid}
    return {**fields, "ExternalUserID": external_userid, **extra}


def _added_in_wecom(sandbox, kind: str, userid: str, name: str) -> str:
    """WeCom adds a contact of ``userid`` and fires ``kind`` for it; the external userid."""
    external_userid, _ = new_contact(sandbox, userid, name)
    fire_wecom_event(sandbox, _event(kind, userid, external_userid))
    return external_userid


def test_add_through_a_guides_code_makes_the_contact_welcomes_and_binds(app, org, client):
    login = mp_login(client, "lin")  # the person is a mini-program customer already
    way = guide_code(client, org.ga)
    assert way["state"] == f"siyu:g{org.ga}" and way["config_id"] and way["qr_code"]
    added = add_contact(client, way["config_id"], "林女士", unionid_of("lin"))
    assert added["callback"]["status"] == "delivered"
    with app.app_context():
        f = follow(added["external_userid"], "ann")
        assert f is not None and f.guide_id == org.ga and f.state == way["state"]
        assert f.add_way == 1 and f.welcome_status == "sent"
        person = contact(added["external_userid"])
        assert person.name == "林女士" and person.customer_id == login["customer"]["id"]
        customer = db.session.get(Customer, person.customer_id)
        assert (customer.store_id, customer.guide_id) == (org.sa, org.ga)
        assert customer.assignment_rule == "share_code"
        history = db.session.scalars(
            select(AssignmentHistory).where(AssignmentHistory.customer_id == customer.id)
        ).all()
        assert history[-1].reason == "WeCom contact way" and history[-1].to_guide_id == org.ga
    welcomes = client.get("/_sandbox/control/contacts/welcomes").get_json()["welcome_messages"]
    assert [w["external_userid"] for w in welcomes] == [added["external_userid"]]
    assert "Ann" in welcomes[0]["text"]


def test_a_redelivered_add_changes_nothing_and_welcomes_once(app, org, client, sandbox):
    way = guide_code(client, org.ga)
    added = add_contact(client, way["config_id"])
    fields = _event(
        "add_external_contact",
        "ann",
        added["external_userid"],
        State=way["state"],
        WelcomeCode=added["welcome_code"],
    )
    assert fire_wecom_event(sandbox, fields)["status"] == "delivered"  # WeCom retries
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(ContactFollow))
        assert count == 1 and follow(added["external_userid"], "ann").welcome_status == "sent"
    welcomes = client.get("/_sandbox/control/contacts/welcomes").get_json()["welcome_messages"]
    assert len(welcomes) == 1


def test_a_welcome_code_past_its_20_seconds_is_not_sent(app, org, client, sandbox):
    way = guide_code(client, org.ga)
    external_userid, _ = new_contact(sandbox, "ann", "迟到", state_=way["state"])
    # WeCom made the event long ago: its code is past the 20 s
    late = _event("add_external_contact", "ann", external_userid, CreateTime=1_000_000_000)
    fire_wecom_event(sandbox, {**late, "WelcomeCode": "WELCOMEUNKNOWN"})
    with app.app_context():
        assert follow(external_userid, "ann").welcome_status == "stale"
    assert client.get("/_sandbox/control/contacts/welcomes").get_json()["welcome_messages"] == []


def test_edit_refreshes_the_remark(app, org, client, sandbox):
    added = add_contact(client, guide_code(client, org.ga)["config_id"])
    with sandbox.lock:
        sandbox.data["contacts"][added["external_userid"]]["follow_user"][0]["remark"] = "老客户"
    fire_wecom_event(
        sandbox,
        _event("edit_external_contact", "ann", added["external_userid"]),
    )
    with app.app_context():
        assert follow(added["external_userid"], "ann").remark == "老客户"


def test_half_add_is_kept_like_an_add(app, org, client, sandbox):
    external_userid = _added_in_wecom(sandbox, "add_half_external_contact", "amy", "免验证")
    with app.app_context():
        assert follow(external_userid, "amy").guide_id == org.ga2


def test_customer_deleting_the_guide_is_flagged_and_counted(app, org, client, as_hq):
    added = add_contact(client, guide_code(client, org.ga)["config_id"])
    body = {"external_userid": added["external_userid"], "userid": "ann"}
    assert client.post("/_sandbox/control/contacts/delete-guide", json=body).status_code == 200
    with app.app_context():
        f = follow(added["external_userid"], "ann")
        assert f.deleted_by_customer and f.deleted_by_customer_at and not f.deleted_by_guide
        guide = db.session.get(Guide, org.ga)
        sync_guide(guide)  # WeCom still lists the guide's side: the deletion stands
        assert follow(added["external_userid"], "ann").deleted_by_customer
    figures = client.get("/api/v1/contacts/figures", headers=as_hq).get_json()
    ann = next(r for r in figures if r["guide_id"] == org.ga)
    assert (ann["contacts"], ann["deleted_by_customers"], ann["deleted_this_week"]) == (0, 1, 1)


def test_guide_deleting_the_customer_is_verified_by_the_read(app, org, client):
    added = add_contact(client, guide_code(client, org.ga)["config_id"])
    body = {"external_userid": added["external_userid"], "userid": "ann"}
    assert client.post("/_sandbox/control/contacts/delete-customer", json=body).status_code == 200
    with app.app_context():
        f = follow(added["external_userid"], "ann")
        assert f.deleted_by_guide and not f.deleted_by_customer


def test_a_delete_wecom_does_not_show_changes_nothing_and_is_reread(app, org, client, sandbox):
    added = add_contact(client, guide_code(client, org.ga)["config_id"])
    fields = _event("del_external_contact", "ann", added["external_userid"])
    fire_wecom_event(sandbox, fields)  # the guide still follows: not believed
    with app.app_context():
        assert not follow(added["external_userid"], "ann").deleted_by_guide
        kept = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == RESYNC_KIND)
        ).all()
        assert len(kept) == 1 and kept[0].payload["event"]["ChangeType"] == "del_external_contact"


def test_transfer_fail_tells_the_hook_and_changes_no_follow(app, org, client, sandbox):
    from app.extensions import add_hook, remove_hook

    added = add_contact(client, guide_code(client, org.ga)["config_id"])
    heard = []

    def listener(userid, external_userid, reason):
        heard.append((userid, external_userid, reason))

    add_hook(app, CONTACT_TRANSFER_FAILED, listener)
    try:
        fire_wecom_event(
            sandbox,
            _event("transfer_fail", "amy", added["external_userid"], FailReason="customer_refused"),
        )
    finally:
        remove_hook(app, CONTACT_TRANSFER_FAILED, listener)
    assert heard == [("amy", added["external_userid"], "customer_refused")]
    with app.app_context():
        assert follow(added["external_userid"], "amy") is None
        assert follow(added["external_userid"], "ann").active


def test_unknown_guides_follow_is_kept_and_linked_when_the_guide_syncs(app, org, client, sandbox):
    external_userid = _added_in_wecom(sandbox, "add_external_contact", "newbie", "先加的客户")
    with app.app_context():
        kept = follow(external_userid, "newbie")
        assert kept is not None and kept.guide_id is None
        store = db.session.get(Guide, org.ga).store
        guide = gen_guide(store, name="Nia", wecom_userid="newbie")
        run = sync_guide(guide)
        assert run.status == "done" and run.contacts_seen == 1
        assert follow(external_userid, "newbie").guide_id == guide.id


def test_forged_and_replayed_callbacks_change_nothing(app, org, client, sandbox):
    external_userid, _ = new_contact(sandbox, "ann", "伪造")
    fields = _event("add_external_contact", "ann", external_userid)
    body, params = wecom_callback_xml(sandbox, fields)
    forged = dict(params, msg_signature="0" * 40)
    url = "/wecom/callback?" + "&".join(f"{k}={v}" for k, v in forged.items())
    assert client.post(url, data=body, content_type="application/xml").status_code == 403
    with app.app_context():
        assert follow(external_userid, "ann") is None
    url = "/wecom/callback?" + "&".join(f"{k}={v}" for k, v in params.items())
    assert client.post(url, data=body, content_type="application/xml").status_code == 200
    with app.app_context():
        db.session.query(ContactFollow).delete()
        db.session.commit()
    replay = client.post(url, data=body, content_type="application/xml")
    assert replay.status_code == 403 and replay.get_json()["code"] == "replayed"
    with app.app_context():
        assert follow(external_userid, "ann") is None


def test_a_customer_deleting_a_guide_siyu_did_not_know_of_is_kept(app, org, client, sandbox):
    external_userid, _ = new_contact(sandbox, "ann", "没同步过")
    fire_wecom_event(sandbox, _event("del_follow_user", "ann", external_userid))
    with app.app_context():
        kept = follow(external_userid, "ann")
        assert kept is not None and kept.deleted_by_customer and kept.guide_id == org.ga
        sync_guide(db.session.get(Guide, org.ga))  # the sync fills the contact in
        assert contact(external_userid).name == "没同步过"
        assert follow(external_userid, "ann").deleted_by_customer


def test_wecom_busy_welcome_goes_through_the_outbox_until_its_20_seconds(app, org, client):
    from datetime import timedelta

    from app import outbox
    from app.clock import utcnow
    from community.services.contact_events import WELCOME_KIND

    way = guide_code(client, org.ga)
    client.post("/_sandbox/control/faults", json={"api": "send_welcome_msg", "errcode": 41096})
    added = add_contact(client, way["config_id"], "排队的客户")
    with app.app_context():
        assert follow(added["external_userid"], "ann").welcome_status is None
        queued = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == WELCOME_KIND)
        ).one()
        queued.available_at = utcnow()
        db.session.commit()
        outbox.drain()
        assert follow(added["external_userid"], "ann").welcome_status == "sent"
    client.post("/_sandbox/control/faults", json={"api": "send_welcome_msg", "errcode": 41096})
    late = add_contact(client, way["config_id"], "太迟的客户")
    with app.app_context():
        queued = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == WELCOME_KIND, OutboxMessage.status == "pending"
            )
        ).one()
        queued.payload = {
            **queued.payload,
            "deadline": (utcnow() - timedelta(seconds=1)).timestamp(),
        }
        queued.available_at = utcnow()
        db.session.commit()
        outbox.drain()
        assert follow(late["external_userid"], "ann").welcome_status == "stale"
        assert db.session.get(OutboxMessage, queued.id).status == "done"  # dropped, not retried
    texts = client.get("/_sandbox/control/contacts/welcomes").get_json()["welcome_messages"]
    assert [w["external_userid"] for w in texts] == [added["external_userid"]]
