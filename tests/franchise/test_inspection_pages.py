"""The O2O inspection's outcome on the pages (issue 19): the guide records it on the phone
(``/m/appointments/<id>/inspection``, loaded by the API's ``OutcomeSchema``): accepted, or
a defect with a note and an exchange (a replacement order, named on the result page) or
a refund (the owner issues it on the order page); bad input is 422 naming the field and
changes nothing; the order page shows result, note, who and when and links the
replacement or the refund; another store's or franchise's inspection or order is 404."""

from __future__ import annotations

from app.extensions import db
from franchise.models import Appointment, AppointmentOutcome, Order, Refund
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login
from tests.fixtures.database import row_count_in
from tests.franchise.factories import gen_user
from tests.franchise.factories_jewellery import guide_inspection_page, inspection_form


def test_defect_exchanged_on_the_phone_names_the_replacement(client, app, org, inspected):
    order, visit = inspected
    url, token = guide_inspection_page(client, app, visit)
    # a defect without a remedy, or a remedy with "accepted": 422 naming remedy, nothing kept
    no_remedy = client.post(url, data=inspection_form(token, inspection_result="defect"))
    assert no_remedy.status_code == 422
    assert 'data-error-for="remedy"' in no_remedy.get_data(as_text=True)
    both = inspection_form(token, inspection_result="accepted", remedy="exchange")
    assert client.post(url, data=both).status_code == 422
    bad = inspection_form(token, inspection_result="broken", remedy="exchange")
    answer = client.post(url, data=bad)
    assert answer.status_code == 422
    assert 'data-error-for="inspection_result"' in answer.get_data(as_text=True)
    assert row_count_in(app, AppointmentOutcome) == 0
    body = inspection_form(token, inspection_result="defect", remedy="exchange", note="钻石有裂纹")
    done = client.post(url, data=body)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/{visit}/result")
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        replacement = db.session.scalars(
            db.select(Order).where(Order.replaces_order_id == order["id"])
        ).one()
        no = replacement.order_no
        assert db.session.get(Appointment, visit).status == "attended"
    assert no in result and "发现瑕疵" in result and "换货" in result and "钻石有裂纹" in result
    assert "已支付" in result and "王导购" in result
    # recorded once: the form now shows the result
    assert client.get(url).headers["Location"].endswith(f"/{visit}/result")
    # HQ's order page: result, note, who, and a link to the replacement
    login(client, "hq")
    page = client.get(f"/admin/orders/{order['id']}").get_data(as_text=True)
    assert f'data-inspection="{visit}"' in page and "王导购" in page and "钻石有裂纹" in page
    assert f'href="/admin/orders/{replacement.id}"' in page


def test_defect_refunded_waits_for_the_owner_then_links_the_refund(client, app, org, inspected):
    order, visit = inspected
    url, token = guide_inspection_page(client, app, visit)
    body = inspection_form(token, inspection_result="defect", remedy="refund", note="表面划痕")
    done = client.post(url, data=body)
    assert done.status_code == 303
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-remedy="refund-awaiting"' in result and "退款" in result
    with app.app_context():
        assert db.session.query(Refund).count() == 0  # a guide moves no money
    # the owner sees it awaiting, issues the refund with the order page's form, sees it linked
    owner = app.test_client()
    login(owner, "owner-a")
    page = owner.get(f"/admin/orders/{order['id']}").get_data(as_text=True)
    assert 'data-remedy="refund-awaiting"' in page and "表面划痕" in page
    assert f'<option value="{visit}" selected>' in page  # the form names the inspection
    form = {"csrf_token": csrf_token_from(page), "amount": "100.00", "reason": "瑕疵退款"}
    form["inspection_id"] = str(visit)
    assert owner.post(f"/admin/orders/{order['id']}/refund", data=form).status_code == 303
    page = owner.get(f"/admin/orders/{order['id']}").get_data(as_text=True)
    with app.app_context():
        refund = db.session.query(Refund).one()
    assert f'href="#refund-{refund.id}"' in page and f'id="refund-{refund.id}"' in page
    # another franchise: the order page and the inspection are 404
    other = app.test_client()
    login(other, "owner-b")
    assert other.get(f"/admin/orders/{order['id']}").status_code == 404
    with app.app_context():
        gen_user("guide-b", "guide", franchisee_id=org.fb, store_id=org.sb, guide_id=org.gb)
    guide_b = app.test_client()
    login(guide_b, "guide-b", path="/m/login")
    assert guide_b.get(url).status_code == 404
    assert guide_b.get(f"/m/appointments/{visit}/result").status_code == 404


def test_accepted_on_the_phone(client, app, org, inspected):
    order, visit = inspected
    url, token = guide_inspection_page(client, app, visit)
    done = client.post(url, data=inspection_form(token, inspection_result="accepted"))
    assert done.status_code == 303
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-result="accepted"' in result and "验收通过" in result


def test_api_a_guides_refund_waits_and_a_remedy_needs_a_defect(client, app, org, inspected):
    order, visit = inspected
    guide = bearer(api_token(client, "guide-a"))
    url = f"/api/v1/appointments/{visit}/outcome"
    body = {"outcome": "attended", "inspection_result": "accepted", "remedy": "refund"}
    refused = client.post(url, json=body, headers=guide)
    assert refused.status_code == 422 and "remedy" in refused.get_json()["errors"]
    assert row_count_in(app, AppointmentOutcome) == 0
    answer = client.post(url, json={**body, "inspection_result": "defect"}, headers=guide)
    assert answer.status_code == 201 and answer.get_json()["refund_id"] is None
    with app.app_context():
        assert db.session.query(Refund).count() == 0
