"""Training pages: the guide's campaigns and own checklist (form post and fetch), the
training board (levels, filters, CSV, owner scope) and HQ's template editor."""

from __future__ import annotations

import csv
import io
import re

from app.extensions import db
from livestream.models import ChecklistItem, TrainingProgress
from livestream.services import training as service
from tests.fixtures.auth import csrf_token_from, login
from tests.livestream.scenarios import training_campaign

BOARD = "/admin/live/campaigns/{}/training"
EDITOR = "/admin/live/campaigns/{}/training/template"


def _token(client, url):
    return csrf_token_from(client.get(url).get_data(as_text=True))


def test_guide_lists_campaigns_and_works_through_the_checklist(app, client, live_org):
    cid, items = training_campaign(app, live_org)
    login(client, "guide-a1", path="/m/login")
    html = client.get("/m/live").get_data(as_text=True)
    assert f"/m/live/{cid}/checklist" in html and 'class="progress' in html
    page = f"/m/live/{cid}/checklist"
    html = client.get(page).get_data(as_text=True)
    assert html.count('class="card ck-item') == 8 and "1599.20" not in html
    token = csrf_token_from(html)
    q_id = items[5][0]
    resp = client.post(f"{page}/{q_id}", data={"answer": "12", "csrf_token": token})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"#item-{q_id}")
    html = client.get(page).get_data(as_text=True)
    assert 'data-state="wrong"' in html and 'value="12"' in html
    resp = client.post(
        f"{page}/{q_id}",
        data={"answer": "1599.20", "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    body = resp.get_json()
    assert body["correct"] is True and body["done"] == 1 and body["completed"] is False
    resp = client.post(
        f"{page}/{items[6][0]}",
        data={"answer": "", "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 422 and resp.get_json()["errors"]["answer"]
    for item_id, _kind, expected in items:
        client.post(f"{page}/{item_id}", data={"answer": expected or "", "csrf_token": token})
    html = client.get(page).get_data(as_text=True)
    assert html.count('data-state="done"') == 8
    assert "hidden" not in re.search(r'id="ck-complete"[^>]*>', html).group(0)
    assert client.post(f"{page}/{q_id}", data={"answer": "1"}).status_code == 400  # no CSRF


def test_guide_sees_only_their_own_progress(app, client, live_org):
    cid, items = training_campaign(app, live_org)
    with app.app_context():
        for item_id, _kind, expected in items:  # a colleague in the same store finishes
            service.answer(cid, live_org.ga1b, item_id, expected)
    login(client, "guide-a1", path="/m/login")
    html = client.get(f"/m/live/{cid}/checklist").get_data(as_text=True)
    assert 'data-state="done"' not in html
    assert "hidden" in re.search(r'id="ck-complete"[^>]*>', html).group(0)
    assert html.count('data-state="open"') == 8
    with app.app_context():
        mine = db.session.query(TrainingProgress).filter_by(guide_id=live_org.ga1).one()
        assert mine.answers == []  # opening created the guide's own row, nothing else


def test_guide_of_another_store_gets_404(app, client, live_org):
    cid, items = training_campaign(app, live_org)  # C1 does not take part
    login(client, "guide-c1", path="/m/login")
    assert client.get(f"/m/live/{cid}/checklist").status_code == 404
    assert f"/m/live/{cid}/" not in client.get("/m/live").get_data(as_text=True)
    token = _token(client, "/m/live")
    resp = client.post(f"/m/live/{cid}/checklist/{items[0][0]}", data={"csrf_token": token})
    assert resp.status_code == 404
    login(client, "hq")
    assert client.get("/m/live").status_code == 403


def _csv(resp):
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def test_board_levels_filters_csv_and_owner_scope(app, client, live_org):
    cid, items = training_campaign(app, live_org, live_in_days=3)  # due day has passed
    with app.app_context():
        for item_id, _kind, expected in items:
            service.answer(cid, live_org.ga1, item_id, expected)
    login(client, "hq")
    html = client.get(BOARD.format(cid)).get_data(as_text=True)
    assert "上海A1店" in html and "杭州B1店" in html and 'class="chart-bar"' in html
    assert 'aria-current="page"' in html and 'data-total="trained">1<' in html
    assert 'data-total="late">1<' in html and 'data-total="overdue">5<' in html
    for level in ("region", "franchisee", "guide", "nonsense"):
        assert client.get(BOARD.format(cid) + f"?level={level}").status_code == 200
    html = client.get(BOARD.format(cid) + f"?level=guide&store_id={live_org.b1}").get_data(
        as_text=True
    )
    assert "HZ-B1-1" in html and "SH-A1-1" not in html
    html = client.get(BOARD.format(cid) + "?level=guide&pending=1").get_data(as_text=True)
    assert "SH-A1-1" not in html and "SH-A1-2" in html
    rows = _csv(client.get(BOARD.format(cid) + "?level=store&format=csv"))
    assert len(rows) == 4
    a1 = next(r for r in rows if r[0] == "上海A1店")
    assert a1[1:] == ["2", "1", "50.0", "1", "1"]
    login(client, "owner-a")
    html = client.get(BOARD.format(cid) + "?level=guide").get_data(as_text=True)
    assert "SH-A1-1" in html and "HZ-B1" not in html and "杭州B1店" not in html
    rows = _csv(client.get(BOARD.format(cid) + "?level=store&format=csv"))
    assert sorted(r[0] for r in rows[1:]) == ["上海A1店", "上海A2店"]
    assert client.get(EDITOR.format(cid)).status_code == 403
    login(client, "owner-c")
    assert client.get(BOARD.format(cid)).status_code == 404


def test_hq_edits_the_template(app, client, live_org):
    with app.app_context():
        from franchise.models import Product
        from tests.livestream.factories import gen_campaign

        products = [db.session.get(Product, pid) for pid in live_org.products]
        cid = gen_campaign(store_ids=[live_org.a1], products=products).id
    login(client, "hq")
    html = client.get(EDITOR.format(cid)).get_data(as_text=True)
    assert 'id="generate"' in html
    token = csrf_token_from(html)
    resp = client.post(EDITOR.format(cid) + "/generate", data={"csrf_token": token})
    assert resp.status_code == 303
    html = client.get(EDITOR.format(cid)).get_data(as_text=True)
    assert "1599.20" in html and html.count('class="card ck-edit"') == 8
    resp = client.post(
        EDITOR.format(cid), data={"csrf_token": token, "kind": "question", "title": "Q?"}
    )
    assert resp.status_code == 422 and 'data-error-for="expected_answer"' in resp.get_data(
        as_text=True
    )
    resp = client.post(
        EDITOR.format(cid),
        data={
            "csrf_token": token,
            "kind": "question",
            "title": "几件赠品？",
            "expected_answer": "2",
            "required": "1",
        },
    )
    assert resp.status_code == 303
    with app.app_context():
        item = db.session.query(ChecklistItem).filter_by(campaign_id=cid, title="几件赠品？").one()
        item_id = item.id
        assert (item.sort, item.required) == (8, True)
    base = f"/admin/live/campaigns/{cid}/training/items/{item_id}"
    resp = client.post(
        base, data={"csrf_token": token, "kind": "question", "title": "赠品", "expected_answer": ""}
    )
    assert resp.status_code == 422
    resp = client.post(
        base,
        data={"csrf_token": token, "kind": "question", "title": "赠品", "expected_answer": "3"},
    )
    assert resp.status_code == 303
    assert (
        client.post(base + "/move", data={"csrf_token": token, "direction": "up"}).status_code
        == 303
    )
    with app.app_context():
        item = db.session.get(ChecklistItem, item_id)
        assert (item.title, item.expected_answer, item.required, item.sort) == (
            "赠品",
            "3",
            False,
            7,
        )
    assert client.post(base + "/delete", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.get(ChecklistItem, item_id) is None
    assert client.post(base + "/delete", data={"csrf_token": token}).status_code == 404
    resp = client.post(f"/admin/live/campaigns/{cid}/training/roster", data={"csrf_token": token})
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.query(TrainingProgress).filter_by(campaign_id=cid).count() == 2


def test_guide_sees_overdue_and_late(app, client, live_org):
    cid, items = training_campaign(app, live_org, live_in_days=3)  # the due day has passed
    login(client, "guide-a1", path="/m/login")
    page = f"/m/live/{cid}/checklist"
    html = client.get(page).get_data(as_text=True)
    assert 'id="ck-overdue"' in html
    token = csrf_token_from(html)
    resp = client.post(
        f"{page}/{items[0][0]}", json=["not", "a", "dict"], headers={"X-CSRFToken": token}
    )
    assert resp.status_code == 200 and resp.get_json()["correct"] is True  # a tick: no answer
    for item_id, _kind, expected in items:
        client.post(f"{page}/{item_id}", json={"answer": expected}, headers={"X-CSRFToken": token})
    html = client.get(page).get_data(as_text=True)
    assert 'id="ck-overdue"' not in html and "ck-complete ck-late" in html
