"""Real group join codes (客户群「加入群聊」): an invite code's join way is configured in
WeCom after the commit, its QR code becomes the link, a customer who scans it joins with
the code's state and the join is attributed to the code; WeCom's refusals are shown, and
the emulator enforces the documented limits."""

from __future__ import annotations

from sqlalchemy import select

from app import outbox
from app.extensions import db
from community.models.growth import InviteCode, InviteJoin
from community.services import fission, join_ways
from community.services.sync import full_sync
from tests.community.factories_groups import sandbox_group
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login


def _code(app, **kw) -> tuple[int, str]:
    with app.app_context():
        code = fission.create_code(label="七夕裂变", **kw)
        return code.id, code.state


def _ready(app, sandbox, groups: int = 2) -> list[str]:
    chats = [
        sandbox_group(app, "ann", [{"userid": f"wmJ{g}{j}"} for j in range(3)])
        for g in range(groups)
    ]
    with app.app_context():
        assert full_sync().status == "done"
    return chats


def test_join_way_is_configured_after_commit_and_a_scan_is_attributed(app, org, sandbox, client):
    chats = _ready(app, sandbox)
    code_id, state = _code(app, guide_id=org.ga)
    with app.app_context():
        assert db.session.get(InviteCode, code_id).qr_url == ""  # nothing before the call
        assert outbox.drain() == 1
        code = db.session.get(InviteCode, code_id)
        config_id, qr = code.join_way_config_id, code.qr_url
    way = sandbox.data["join_ways"][config_id]
    assert way["state"] == state and sorted(way["chat_id_list"]) == sorted(chats)
    assert way["scene"] == 2 and qr == way["qr_code"] and config_id in qr
    joined = client.post(
        f"/_sandbox/control/join_ways/{config_id}/join", json={"userid": "wmNEW1", "name": "小林"}
    ).get_json()
    assert joined["callback"]["status"] == "delivered"
    with app.app_context():
        (join,) = db.session.scalars(select(InviteJoin)).all()
        assert (join.member_userid, join.code_id, join.guide_id) == ("wmNEW1", code_id, org.ga)
    # WeCom retrying the callback, or a full sync, records nothing twice
    with app.app_context():
        full_sync()
        assert len(db.session.scalars(select(InviteJoin)).all()) == 1


def test_store_code_and_full_groups_open_a_new_room(app, org, sandbox, client):
    (chat,) = _ready(app, sandbox, groups=1)
    code_id, state = _code(app, store_id=org.sa)
    with app.app_context():
        outbox.drain()
        code = db.session.get(InviteCode, code_id)
        assert code.store_id == org.sa and code.franchisee_id == org.fa
        config_id = code.join_way_config_id
    with sandbox.lock:  # the group is full: WeCom opens the next one (auto_create_room)
        group = sandbox.data["groups"][chat]
        group["member_list"] += [{"userid": f"wmF{i}", "type": 2} for i in range(500 - 4)]
    joined = client.post(f"/_sandbox/control/join_ways/{config_id}/join", json={}).get_json()
    assert (
        joined["chat_id"] != chat and len(sandbox.data["join_ways"][config_id]["chat_id_list"]) == 2
    )
    with app.app_context():
        (join,) = db.session.scalars(select(InviteJoin)).all()
        assert join.code_id == code_id and join.guide_id == org.ga  # the new group's owner


def test_wecom_refusal_is_kept_and_shown(app, org, sandbox, client):
    _ready(app, sandbox, groups=1)
    sandbox.add_fault("groupchat/add_join_way", {"errcode": 40058, "count": 1})
    code_id, state = _code(app, guide_id=org.ga)
    lonely_id, _ = _code(app, guide_id=org.gb)  # Bob has no group: nothing to join
    with app.app_context():
        outbox.drain()
        assert db.session.get(InviteCode, code_id).join_way_error.startswith("40058")
        assert "no active group" in db.session.get(InviteCode, lonely_id).join_way_error
        assert sandbox.data["join_ways"] == {}
    login(client, "hq")
    html = client.get("/admin/fission").get_data(as_text=True)
    assert "40058" in html and state in html


def test_refresh_and_retire_go_through_the_outbox(app, org, sandbox, client):
    _ready(app, sandbox, groups=1)
    code_id, _ = _code(app, guide_id=org.ga)
    with app.app_context():
        outbox.drain()
        config_id = db.session.get(InviteCode, code_id).join_way_config_id
    sandbox_group(app, "ann", [{"userid": "wmZ1"}])
    with app.app_context():
        full_sync()
        join_ways.refresh_groups(db.session.get(InviteCode, code_id))
        outbox.drain()
    assert len(sandbox.data["join_ways"][config_id]["chat_id_list"]) == 2
    login(client, "hq")
    token = csrf_token_from(client.get("/admin/fission").get_data(as_text=True))
    client.post(
        "/admin/fission", data={"action": "code_retire", "code_id": code_id, "csrf_token": token}
    )
    with app.app_context():
        outbox.drain()
        assert db.session.get(InviteCode, code_id).status == "inactive"
    assert config_id not in sandbox.data["join_ways"]


def test_emulator_enforces_the_documented_limits(app, sandbox):
    from app.wechat import wecom_customers
    from app.wechat.errors import WeChatAPIError

    chats = [sandbox_group(app, "ann", []) for _ in range(6)]
    base = {"scene": 2, "chat_id_list": chats[:5], "state": "s" * 30}
    with app.app_context():
        config_id = wecom_customers.add_join_way(base)
        assert wecom_customers.get_join_way(config_id)["state"] == "s" * 30
        for body, code in (
            ({**base, "chat_id_list": chats}, 41091),  # at most 5 groups (全局错误码)
            ({**base, "state": "s" * 31}, 40058),  # state ≤ 30 characters
            ({**base, "scene": 3}, 40058),
            ({**base, "chat_id_list": []}, 40063),
            ({**base, "chat_id_list": ["wrNOPE"]}, 40050),
        ):
            try:
                wecom_customers.add_join_way(body)
            except WeChatAPIError as exc:
                assert exc.errcode == code
            else:
                raise AssertionError(f"{body} was accepted")
        long_remark = wecom_customers.add_join_way({**base, "remark": "备" * 40})
        assert len(wecom_customers.get_join_way(long_remark)["remark"]) == 30


def test_invite_code_api(app, org, client, as_hq, as_owner_a, sandbox):
    _ready(app, sandbox, groups=1)
    res = client.post(
        "/api/v1/invite-codes", json={"store_id": org.sa, "label": "门店群码"}, headers=as_hq
    )
    assert res.status_code == 201 and res.get_json()["qr_url"] == ""
    code_id = res.get_json()["id"]
    with app.app_context():
        outbox.drain()
    listed = client.get("/api/v1/invite-codes", headers=as_owner_a).get_json()
    assert [(c["id"], bool(c["qr_url"])) for c in listed["items"]] == [(code_id, True)]
    owner_b = bearer(api_token(client, "owner-b"))
    assert client.get("/api/v1/invite-codes", headers=owner_b).get_json()["total"] == 0
    assert (
        client.post(
            "/api/v1/invite-codes", json={"store_id": org.sa}, headers=as_owner_a
        ).status_code
        == 403
    )
    bad = client.post("/api/v1/invite-codes", json={"store_id": 999999}, headers=as_hq)
    assert bad.status_code == 422 and "store_id" in bad.get_json()["errors"]
