"""Words, not codes: the label catalogue in both languages, customers' readable names,
order event notes, money settings entered in yuan and a ``?lang=en`` link that sticks."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.web.labels import CATALOGUE, CODE_WORDS, RAW_CODES, customer_name, label
from franchise.admin.event_notes import event_note
from franchise.models import AssignmentHistory, Customer, FranchiseSetting, Store
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login
from tests.franchise.factories import settings_form
from tests.franchise.factories_customers import gen_customer
from tests.franchise.factories_payments import gen_customer as paying_customer
from tests.franchise.factories_payments import gen_order, pay_and_succeed

PAIRS = [(kind, code) for kind, words in CATALOGUE.items() for code in words]


@pytest.mark.parametrize(("kind", "code"), PAIRS)
def test_every_code_has_a_chinese_word(app, kind, code):
    with app.test_request_context(), force_locale("zh"):
        word = label(code, kind)
    assert word != code and word != str(CATALOGUE[kind][code]._args[0])
    assert not any(raw in word.split() for raw in RAW_CODES | CODE_WORDS)


@given(st.text(min_size=1, max_size=20).filter(lambda c: c not in CATALOGUE["order_status"]))
def test_an_unknown_code_is_shown_as_it_is(app, code):
    """So the browser tour, which fails on raw codes, finds a code without a word."""
    with app.test_request_context(), force_locale("zh"):
        assert label(code, "order_status") == code
        assert label(None, "order_status") == label("", "order_status") == "—"


def test_customer_names_never_show_a_bare_id(app):
    with app.test_request_context(), force_locale("zh"):
        assert customer_name(Customer(id=7, nickname="安琪")) == "安琪"
        assert customer_name(Customer(id=7, phone="13800138000")) == "尾号 8000 的客户"
        assert customer_name(Customer(id=7)) == "微信客户 7"


def test_event_notes_in_words(app):
    with app.test_request_context(), force_locale("zh"):
        assert event_note("WeChat Pay 4200 (notify)") == "微信支付 4200（支付通知）"
        assert event_note("refund RF1: 22666 fen") == "退款 RF1：¥226.66"
        assert event_note("demo") == "演示数据"
        assert event_note("typed by a person") == "typed by a person"


def test_assignment_history_names_the_customer_and_the_reason(client, org, app):
    with app.app_context():
        store = db.session.scalars(select(Store)).first()
        customer = gen_customer(store, nickname=None, phone=None)
        db.session.add(
            AssignmentHistory(
                customer_id=customer.id,
                to_franchisee_id=store.franchisee_id,
                to_store_id=store.id,
                rule="nearest_store",
                reason="mini-program login",
            )
        )
        db.session.commit()
        expected = f"微信客户 {customer.id}"
    login(client, "hq")
    html = client.get("/admin/assignments").get_data(as_text=True)
    assert expected in html and "小程序登录" in html and "mini-program login" not in html
    detail = client.get(f"/admin/customers/{customer.id}").get_data(as_text=True)
    assert "小程序登录" in detail


def test_spend_cut_offs_are_entered_in_yuan(client, org, app):
    login(client, "hq")
    page = client.get("/admin/assignment-settings").get_data(as_text=True)
    assert "（元）" in page and "（分）" not in page

    data = settings_form()
    data.update(rfm__monetary_high_fen="12,345.67", rfm__monetary_mid_fen="2000")
    res = client.post(
        "/admin/assignment-settings", data={**data, "csrf_token": csrf_token_from(page)}
    )
    assert res.status_code == 302
    with app.app_context():
        stored = dict(
            db.session.execute(select(FranchiseSetting.key, FranchiseSetting.value)).all()
        )
        assert int(stored["rfm.monetary_high_fen"]) == 1_234_567
        assert int(stored["rfm.monetary_mid_fen"]) == 200_000
    data.update(rfm__monetary_high_fen="12.345")
    res = client.post(
        "/admin/assignment-settings", data={**data, "csrf_token": csrf_token_from(page)}
    )
    assert res.status_code == 422 and "12.50" in res.get_data(as_text=True)


def test_lang_link_sticks_like_the_switch(client, org):
    login(client, "hq")
    assert "Overview" in client.get("/admin/?lang=en").get_data(as_text=True)
    assert "Overview" in client.get("/admin/").get_data(as_text=True)
    assert "概览" in client.get("/admin/?lang=zh").get_data(as_text=True)
    assert "概览" in client.get("/admin/").get_data(as_text=True)


def test_a_refund_too_large_says_what_is_left_in_yuan(app, client, org):
    with app.app_context():
        customer = paying_customer(org.fa)
        ids = gen_order(customer, 22666).id, customer.id
    pay_and_succeed(client, *ids, app)
    headers = {**bearer(api_token(client, "hq")), "Accept-Language": "zh"}
    url = f"/api/v1/orders/{ids[0]}/refunds"
    res = client.post(url, json={"amount_fen": 30000, "reason": "退款"}, headers=headers)
    assert res.status_code == 409
    message = " ".join(res.get_json()["errors"]["amount_fen"])
    assert "226.66" in message and "fen" not in message and "22666" not in message
