"""Campaign pages: the wizard form post (both modes, errors re-rendered at the right step),
list with filters and CSV, detail board and its actions, owner read-only access."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from franchise.models import Product
from livestream.models import Campaign, TimelineStep
from tests.fixtures.auth import csrf_token_from, login
from tests.livestream.factories import gen_campaign, wizard_form

BASE = "/admin/live/campaigns"


def test_wizard_creates_store_mode_campaign(app, client, live_org):
    login(client, "hq")
    resp = client.post(f"{BASE}/new", data=wizard_form(client, live_org))
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert campaign.mode == "store" and campaign.status == "draft"
        assert campaign.gate_threshold_pct == 80 and campaign.duration_minutes == 90
        assert sorted(s.store_id for s in campaign.sessions) == sorted(
            [live_org.a1, live_org.a2, live_org.b1]
        )
        assert [i.live_price_fen for i in campaign.lineup] == [1599_50, 4999_00]
        assert resp.headers["Location"].endswith(f"{BASE}/{campaign.id}")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="board"' in page and "周年庆店播" in page


def test_wizard_creates_hq_mode_campaign(app, client, live_org):
    login(client, "hq")
    form = wizard_form(
        client,
        live_org,
        mode="hq",
        franchisee_ids=[],
        store_ids=[],
        region_ids=[str(live_org.north)],
    )
    assert client.post(f"{BASE}/new", data=form).status_code == 303
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert [s.store_id for s in campaign.sessions] == [None]
        assert [s.store_id for s in campaign.stores] == [live_org.c1]


def test_wizard_errors_rerender_at_the_step_of_the_first_error(app, client, live_org):
    login(client, "hq")
    form = wizard_form(client, live_org, lineup_live_price=["2500", "abc"])
    resp = client.post(f"{BASE}/new", data=form)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'data-start="3"' in html
    assert 'data-error-for="lineup.0.live_price_fen"' in html
    assert 'data-error-for="lineup.1.live_price_fen"' in html
    form = wizard_form(client, live_org, name="", lineup_live_price=["2500", "1"])
    html = client.post(f"{BASE}/new", data=form).get_data(as_text=True)
    assert 'data-start="1"' in html and 'data-error-for="name"' in html
    with app.app_context():
        assert db.session.scalar(select(Campaign)) is None


def test_wizard_needs_csrf_and_hq(client, live_org):
    login(client, "hq")
    form = wizard_form(client, live_org)
    form.pop("csrf_token")
    assert client.post(f"{BASE}/new", data=form).status_code == 400
    login(client, "owner-a")
    assert client.get(f"{BASE}/new").status_code in (403, 404)


def test_edit_prefills_and_saves(app, client, live_org):
    with app.app_context():
        product = db.session.get(Product, live_org.products[0])
        cid = gen_campaign("hq", [live_org.a1], [product], name="旧名字", status="draft").id
    login(client, "hq")
    html = client.get(f"{BASE}/{cid}/edit").get_data(as_text=True)
    assert 'value="旧名字"' in html and 'value="1599.20"' in html
    form = wizard_form(client, live_org, name="新名字", mode="hq")
    assert client.post(f"{BASE}/{cid}/edit", data=form).status_code == 303
    with app.app_context():
        assert db.session.get(Campaign, cid).name == "新名字"


def test_list_filters_csv_and_owner_scope(app, client, live_org):
    with app.app_context():
        gen_campaign("hq", [live_org.a1], name="金饰专场")
        gen_campaign("store", [live_org.c1], name="银饰专场")
    login(client, "hq")
    html = client.get(f"{BASE}?mode=store").get_data(as_text=True)
    assert "银饰专场" in html and "金饰专场" not in html
    assert 'id="new-campaign"' in html
    csv = client.get(f"{BASE}?export=csv&q=金饰")
    assert csv.mimetype == "text/csv"
    body = csv.get_data(as_text=True)
    assert "金饰专场" in body and "银饰专场" not in body
    assert client.get(f"{BASE}?page=abc&status=bogus").status_code == 200
    login(client, "owner-a")
    html = client.get(BASE).get_data(as_text=True)
    assert "金饰专场" in html and "银饰专场" not in html and 'id="new-campaign"' not in html


def _with_training_step(app, live_org) -> tuple[int, int]:
    """A store campaign at A1 live in 20 days with its timeline: its id and the id of its
    training step."""
    from livestream.services import timeline

    with app.app_context():
        cid = gen_campaign("store", [live_org.a1], live_in_days=20).id
        timeline.generate(db.session.get(Campaign, cid))
        db.session.commit()
        step_id = db.session.scalar(
            select(TimelineStep.id).where(
                TimelineStep.campaign_id == cid, TimelineStep.kind == "training"
            )
        )
    return cid, step_id


def test_detail_board_actions_and_owner_read_only(app, client, live_org):
    cid, step_id = _with_training_step(app, live_org)
    with app.app_context():
        other = gen_campaign("store", [live_org.c1]).id
    login(client, "hq")
    html = client.get(f"{BASE}/{cid}").get_data(as_text=True)
    assert 'data-kind="training"' in html and 'data-move="cancelled"' in html
    token = csrf_token_from(html)
    url = f"{BASE}/{cid}/steps/{step_id}"
    assert client.post(url, data={"csrf_token": token, "action": "done"}).status_code == 303
    assert 'data-kind="training" data-state="done"' not in client.get(f"{BASE}/{cid}").get_data(
        as_text=True
    )  # weeks early without a reason: refused
    early = {"csrf_token": token, "action": "done", "early_reason": "培训材料已提前完成"}
    assert client.post(url, data=early).status_code == 303
    html = client.get(f"{BASE}/{cid}").get_data(as_text=True)
    assert 'data-kind="training" data-state="done"' in html
    client.post(url, data={"csrf_token": token, "action": "reopen"})
    day = (shanghai_day() + timedelta(days=3)).isoformat()
    client.post(url, data={"csrf_token": token, "action": "dates", "starts_on": day, "due_on": day})
    with app.app_context():
        step = db.session.get(TimelineStep, step_id)
        assert step.done_at is None and step.starts_on.isoformat() == day
    resp = client.post(f"{BASE}/{cid}/status", data={"csrf_token": token, "to": "ended"})
    assert resp.status_code == 303  # refused with a message, not a 500
    client.post(f"{BASE}/{cid}/status", data={"csrf_token": token, "to": "cancelled"})
    with app.app_context():
        assert db.session.get(Campaign, cid).status == "cancelled"
        db.session.get(Campaign, cid).status = "scheduled"
        db.session.commit()
    login(client, "owner-a")
    html = client.get(f"{BASE}/{cid}").get_data(as_text=True)
    assert 'id="board"' in html and "Mark done" not in html and "data-move=" not in html
    assert client.get(f"{BASE}/{other}").status_code == 404
    resp = client.post(url, data={"csrf_token": csrf_token_from(html), "action": "done"})
    assert resp.status_code in (403, 404)


def test_hq_re_times_a_store_session_and_bad_input_is_a_message(app, client, live_org):
    from livestream.models import LiveSession

    with app.app_context():
        campaign = gen_campaign("store", [live_org.a1, live_org.c1], live_in_days=10)
        session_id = campaign.sessions[0].id
        live_at = campaign.live_at
    login(client, "hq")
    page = client.get(f"{BASE}/{campaign.id}").get_data(as_text=True)
    token = csrf_token_from(page)
    url = f"{BASE}/{campaign.id}/sessions/{session_id}"
    local = (live_at + timedelta(hours=8, minutes=30)).strftime("%Y-%m-%dT%H:%M")
    res = client.post(
        url,
        data={
            "csrf_token": token,
            "starts_at": local,
            "duration_minutes": "90",
            "anchor_userid": "sh-a1-2",
        },
    )
    assert res.status_code == 303
    with app.app_context():
        session = db.session.get(LiveSession, session_id)
        assert session.starts_at == (live_at + timedelta(minutes=30)).replace(second=0)
        assert (session.duration_minutes, session.anchor_userid) == (90, "sh-a1-2")
    res = client.post(
        url, data={"csrf_token": token, "duration_minutes": "5"}, follow_redirects=True
    )
    assert res.status_code == 200 and "720" in res.get_data(as_text=True)
    res = client.post(
        url, data={"csrf_token": token, "starts_at": "not a time"}, follow_redirects=True
    )
    assert res.status_code == 200
    with app.app_context():
        assert db.session.get(LiveSession, session_id).duration_minutes == 90


def _flashes(client) -> list[tuple[str, str]]:
    """The (category, message) pairs flashed and not yet shown, emptied."""
    with client.session_transaction() as session:
        return session.pop("_flashes", [])


def test_each_detail_action_flashes_exactly_one_outcome(app, client, live_org):
    cid, step_id = _with_training_step(app, live_org)
    login(client, "hq")
    token = csrf_token_from(client.get(f"{BASE}/{cid}?lang=en").get_data(as_text=True))
    _flashes(client)
    steps = f"{BASE}/{cid}/steps/{step_id}?lang=en"
    client.post(steps, data={"csrf_token": token, "action": "fly"})
    assert _flashes(client) == [("error", "Unknown action.")]
    client.post(steps, data={"csrf_token": token, "action": "reopen"})
    assert _flashes(client) == [("success", "Step updated.")]
    client.post(steps, data={"csrf_token": token, "action": "done"})  # weeks early, no reason
    [(category, message)] = _flashes(client)
    assert category == "error" and message
    status = f"{BASE}/{cid}/status?lang=en"
    client.post(status, data={"csrf_token": token, "to": "ended"})
    [(category, message)] = _flashes(client)
    assert category == "error" and message
    client.post(status, data={"csrf_token": token, "to": "cancelled"})
    assert _flashes(client) == [("success", "Status changed.")]
