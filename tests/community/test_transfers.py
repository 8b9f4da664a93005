"""Hand-over through WeCom (继承): a departed guide's WeCom customers and groups go through
resigned/transfer_customer and groupchat/transfer, HQ's moves through transfer_customer;
Siyu's assignment follows only WeCom's outcome — accepted, refused, still waiting (24
hours), WeCom's error — and tenancy holds (another franchise's customer is 404)."""

from __future__ import annotations

from sqlalchemy import select

from app import outbox
from app.extensions import db
from community.models.wecom_customers import WecomTransfer
from community.services import transfers
from community.services.sync import full_sync
from franchise.models import AssignmentHistory, Customer, Guide
from franchise.services.guides import guide_leaves
from tests.community.factories_contacts import add_contact, guide_code
from tests.community.factories_groups import sandbox_group
from tests.fixtures.auth import api_token, bearer, login
from tests.franchise.factories_commerce import gen_customer


def _ann_customer(
    app, client, org, unionid: str = "uHAND1", name: str = "陈女士"
) -> tuple[int, str]:
    """A customer of Ann who added Ann on WeCom through her 联系我 code."""
    with app.app_context():
        customer_id = gen_customer(org.fa, org.sa, org.ga, unionid=unionid, nickname=name).id
    way = guide_code(client, org.ga)
    added = add_contact(client, way["config_id"], name=name, unionid=unionid)
    return customer_id, added["external_userid"]


def _ann_leaves(app, client, org, *, resign_in_wecom: bool = True) -> None:
    if resign_in_wecom:
        client.post("/_sandbox/control/members/ann/resign")
    with app.app_context():
        guide_leaves(db.session.get(Guide, org.ga))


def _rows(app) -> dict:
    with app.app_context():
        return {
            (r.target, r.external_userid or r.chat_id): (r.status, r.errcode, r.errmsg)
            for r in db.session.scalars(select(WecomTransfer))
        }


def _guide_of(app, customer_id: int):
    with app.app_context():
        return db.session.get(Customer, customer_id).guide_id


def test_guide_left_customer_accepts_and_the_assignment_follows(app, org, client, sandbox):
    customer_id, external = _ann_customer(app, client, org)
    chat_id = sandbox_group(app, "ann", [{"userid": "wmG1"}])
    with app.app_context():
        full_sync()
        plain = gen_customer(org.fa, org.sa, org.ga, nickname="无企微").id
    _ann_leaves(app, client, org)
    assert _guide_of(app, customer_id) == org.ga  # held: WeCom has not answered
    assert _guide_of(app, plain) == org.ga2  # not a WeCom customer: moved at once
    with app.app_context():
        assert outbox.drain() >= 2
    rows = _rows(app)
    assert rows[("customer", external)][0] == "waiting"
    assert rows[("group", chat_id)][0] == "accepted"
    assert sandbox.data["groups"][chat_id]["owner"] == "amy"
    with app.app_context():
        from community.models.groups import WecomGroup

        group = db.session.scalars(select(WecomGroup).where(WecomGroup.chat_id == chat_id)).one()
        assert group.guide_id == org.ga2  # read again: the owner and scope follow
    decided = client.post(
        "/_sandbox/control/transfers/decide", json={"external_userid": external, "accept": True}
    ).get_json()
    assert decided["status"] == 1
    assert _guide_of(app, customer_id) == org.ga  # still: Siyu reads WeCom's outcome
    with app.app_context():
        assert transfers.read_back() == {"accepted": 1}
        history = db.session.scalars(
            select(AssignmentHistory).where(AssignmentHistory.customer_id == customer_id)
        ).all()
        assert history[-1].to_guide_id == org.ga2 and history[-1].rule == "guide_left"
    assert _guide_of(app, customer_id) == org.ga2


def test_a_refusal_arrives_by_callback_and_is_listed_for_hq(app, org, client, sandbox):
    customer_id, external = _ann_customer(app, client, org)
    _ann_leaves(app, client, org)
    with app.app_context():
        outbox.drain()
    res = client.post(
        "/_sandbox/control/transfers/decide", json={"external_userid": external, "accept": False}
    ).get_json()
    assert res["callbacks"][0]["status"] == "delivered"
    assert _rows(app)[("customer", external)][0] == "refused"
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert customer.guide_id is None and customer.store_id == org.sa  # stays with the store
    login(client, "hq")
    html = client.get("/admin/handovers?status=refused").get_data(as_text=True)
    assert "陈女士" in html and "customer_refused" in html


def test_waiting_until_the_24_hours_pass(app, org, client, sandbox):
    customer_id, external = _ann_customer(app, client, org)
    _ann_leaves(app, client, org)
    with app.app_context():
        outbox.drain()
        assert transfers.read_back() == {"waiting": 1}
    assert _guide_of(app, customer_id) == org.ga
    client.post("/_sandbox/control/clock", json={"advance_seconds": 24 * 3600 + 1})
    with app.app_context():
        assert transfers.read_back() == {"accepted": 1}
    assert _guide_of(app, customer_id) == org.ga2


def test_a_guide_still_a_member_in_wecom_is_handed_over_on_the_job(app, org, client, sandbox):
    customer_id, external = _ann_customer(app, client, org)
    chat_id = sandbox_group(app, "ann", [{"userid": "wmG2"}])
    with app.app_context():
        full_sync()
    _ann_leaves(app, client, org, resign_in_wecom=False)  # not deleted in WeCom yet
    with app.app_context():
        outbox.drain()
    status, _, message = _rows(app)[("customer", external)]
    assert status == "waiting" and "在职继承" in message  # refused 离职继承, went on the job
    assert _rows(app)[("group", chat_id)][0] == "accepted"
    assert [t["resigned"] for t in sandbox.data["transfers"]] == [False]
    assert _guide_of(app, customer_id) == org.ga  # nothing moved before WeCom's outcome


def test_wecom_errors_are_kept_with_their_reason(app, org, client, sandbox):
    customer_id, external = _ann_customer(app, client, org)
    sandbox.add_fault("resigned/transfer_customer", {"errcode": 40003, "count": 1})
    sandbox.add_fault("transfer_customer", {"errcode": 40003, "count": 1})
    _ann_leaves(app, client, org)
    with app.app_context():
        outbox.drain()
    status, code, message = _rows(app)[("customer", external)]
    assert status == "failed" and code == 40003 and message.startswith("40003")
    assert _guide_of(app, customer_id) == org.ga  # nothing moved without WeCom


def test_hq_move_honours_wecoms_per_customer_limits(app, org, client, sandbox):
    customer_id, external = _ann_customer(app, client, org)
    as_hq = bearer(api_token(client, "hq"))
    first = client.post(
        "/api/v1/transfers",
        json={"customer_ids": [customer_id], "takeover_guide_id": org.ga2},
        headers=as_hq,
    )
    assert first.status_code == 202 and first.get_json()[0]["status"] == "queued"
    with app.app_context():
        outbox.drain()
        # a second move while WeCom waits: 40129 当前联系人正在转接中
        transfers.move_customers(
            [db.session.get(Customer, customer_id)], db.session.get(Guide, org.ga2), None
        )
        outbox.drain()
    statuses = sorted((r.status, r.errcode) for r in _all(app) if r.external_userid == external)
    assert statuses == [("failed", 40129), ("waiting", None)]


def _all(app) -> list:
    with app.app_context():
        rows = db.session.scalars(select(WecomTransfer)).all()
        db.session.expunge_all()
        return rows


def test_tenancy_of_transfers(app, org, client, sandbox):
    customer_id, _ = _ann_customer(app, client, org)
    body = {"customer_ids": [customer_id], "takeover_guide_id": org.ga2}
    owner_b = bearer(api_token(client, "owner-b"))
    assert client.post("/api/v1/transfers", json=body, headers=owner_b).status_code == 404
    guide = bearer(api_token(client, "guide-a"))
    assert client.post("/api/v1/transfers", json=body, headers=guide).status_code == 403
    owner_a = bearer(api_token(client, "owner-a"))
    assert client.post("/api/v1/transfers", json=body, headers=owner_a).status_code == 202
    assert client.get("/api/v1/transfers", headers=owner_b).get_json()["total"] == 0
    assert client.get("/api/v1/transfers", headers=owner_a).get_json()["total"] == 1


def test_hundred_per_call_and_the_takeovers_limit(app, org, client, sandbox):
    from app.outbox import OutboxMessage
    from app.wechat.sandbox.wecom_contacts import seed_contacts
    from community.services.contact_sync import sync_guide

    externals = seed_contacts(sandbox, "ann", [{"name": f"客户{i}"} for i in range(130)])
    with app.app_context():
        assert sync_guide(db.session.get(Guide, org.ga)).status == "done"
    _ann_leaves(app, client, org)
    with app.app_context():
        batches = db.session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.kind == transfers.TRANSFER_KIND)
        ).all()
        assert sorted(len(p["ids"]) for p in batches) == [30, 100]  # WeCom: ≤ 100 a call
        outbox.drain()
    assert len(sandbox.data["transfers"]) == 130
    client.post(
        "/_sandbox/control/transfers/decide",
        json={"external_userid": externals[0], "accept": False, "limit": True},
    )
    rows = _rows(app)
    assert rows[("customer", externals[0])][0] == "limit"
    assert {rows[("customer", e)][0] for e in externals[1:]} == {"waiting"}


def test_store_closed_hands_over_on_the_job_to_another_store(app, org, client, sandbox):
    from franchise.models import Store
    from franchise.services.stores import close_store
    from tests.franchise.factories import gen_guide, gen_store

    customer_id, external = _ann_customer(app, client, org)
    with app.app_context():
        other = gen_store(db.session.get(Store, org.sa).franchisee, code="SH-C", name="上海C店")
        cody, other_id = gen_guide(other, name="Cody", wecom_userid="cody").id, other.id
        close_store(db.session.get(Store, org.sa))
        outbox.drain()
    assert _guide_of(app, customer_id) == org.ga  # held until WeCom's outcome
    (row,) = [r for r in _all(app) if r.external_userid == external]
    assert (row.resigned, row.reason, row.status, row.takeover_guide_id) == (
        False,
        "store_closed",
        "waiting",
        cody,
    )
    client.post(
        "/_sandbox/control/transfers/decide", json={"external_userid": external, "accept": True}
    )
    with app.app_context():
        transfers.read_back()
        customer = db.session.get(Customer, customer_id)
        assert (customer.guide_id, customer.store_id) == (cody, other_id)


def test_hand_over_page_moves_a_guides_customers_for_hq_only(app, org, client, sandbox):
    from tests.fixtures.auth import csrf_token_from

    customer_id, external = _ann_customer(app, client, org)
    login(client, "owner-a")
    token = csrf_token_from(client.get("/admin/handovers").get_data(as_text=True))
    form = {"action": "move", "from_guide_id": org.ga, "to_guide_id": org.ga2, "csrf_token": token}
    assert client.post("/admin/handovers", data=form).status_code == 403
    client = app.test_client()  # HQ signs in on another browser
    login(client, "hq")
    token = csrf_token_from(client.get("/admin/handovers").get_data(as_text=True))
    client.post("/admin/handovers", data={**form, "csrf_token": token})
    with app.app_context():
        outbox.drain()
    assert _rows(app)[("customer", external)][0] == "waiting"
    html = client.get("/admin/handovers").get_data(as_text=True)
    assert "陈女士" in html and "Ann" in html and "Amy" in html
    csv = client.get("/admin/handovers?format=csv").get_data(as_text=True)
    assert "陈女士" in csv


def test_a_guide_sees_only_their_own_customer_page(app, org, client, sandbox):
    customer_id, _ = _ann_customer(app, client, org)
    login(client, "guide-a2", path="/m/login")
    assert client.get(f"/m/wecom/customers/{customer_id}").status_code == 404


def test_the_hand_over_form_loads_through_its_schema(app, org, client, sandbox):
    from tests.fixtures.auth import csrf_token_from

    login(client, "hq")
    token = csrf_token_from(client.get("/admin/handovers").get_data(as_text=True))
    for bad in ({"from_guide_id": "", "to_guide_id": org.ga2}, {"from_guide_id": "abc"}):
        form = {"action": "move", "csrf_token": token, **bad}
        res = client.post("/admin/handovers", data=form, follow_redirects=True)
        assert "请选择导购。" in res.get_data(as_text=True)
    assert _rows(app) == {}  # nothing was handed over


def test_the_hand_over_list_names_contacts_and_groups_never_ids(app, org, client, sandbox):
    """A contact no customer is linked to shows its WeCom name, a group its name; the
    chat id stays out of sight."""
    external = add_contact(client, guide_code(client, org.ga)["config_id"], name="周先生")[
        "external_userid"
    ]
    chat_id = sandbox_group(app, "ann", [{"userid": "wmG1"}], name="Ann 的老客群")
    with app.app_context():
        full_sync()
    _ann_leaves(app, client, org)
    with app.app_context():
        outbox.drain()
    assert {("customer", external), ("group", chat_id)} <= set(_rows(app))
    login(client, "hq")
    html = client.get("/admin/handovers").get_data(as_text=True)
    assert "周先生" in html and "Ann 的老客群" in html and chat_id not in html
    assert "周先生" in client.get("/admin/handovers?format=csv").get_data(as_text=True)
