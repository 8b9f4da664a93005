"""Error envelopes speak the request's language: Chinese by default, English on ``?lang=en``.

The top-level message is translated by the error handler, field messages when they are
raised; data inside ``errors`` (the order states in ``allowed``) is never translated, even
where the same word is a message id ("cancelled").
"""

from __future__ import annotations

from app.i18n import tr
from franchise.services import orders as order_service
from franchise.services.base import invalid
from tests.fixtures.auth import api_token, bearer


def _order(client, headers, items, lang=None, **extra):
    url = "/api/v1/mp/orders" + (f"?lang={lang}" if lang else "")
    return client.post(url, json={"items": items, **extra}, headers=headers)


def test_mp_order_422_is_chinese_by_default_and_english_on_request(client, shop, as_ca):
    too_many = [{"product_id": shop.ring, "quantity": 6}]  # stock 5
    response = _order(client, as_ca, too_many)
    assert response.status_code == 422
    assert response.get_json() == {
        "code": "validation_error",
        "message": "请求中有无效字段。",
        "errors": {"items": ["钻石戒指 库存不足。"]},  # the product name filled in
    }
    english = _order(client, as_ca, too_many, lang="en").get_json()
    assert english["message"] == "The request has invalid fields."
    assert english["errors"] == {"items": ["Not enough stock of 钻石戒指."]}


def test_static_and_numbered_field_messages(client, shop, as_ca):
    pearl = [{"product_id": shop.pearl, "quantity": 1}]
    coupon = _order(client, as_ca, pearl, coupon_code="NOPE").get_json()
    assert coupon["errors"] == {"coupon_code": ["优惠券不存在。"]}  # "No such coupon."
    old = _order(client, as_ca, [{"product_id": shop.old, "quantity": 1}]).get_json()
    assert old["errors"] == {"items": [f"商品 {shop.old} 暂不可售。"]}
    half = {"product_id": shop.pearl, "quantity": 50}
    twice = _order(client, as_ca, [half, half]).get_json()
    assert twice["errors"] == {"items": ["同一商品最多购买 99 件。"]}
    twice = _order(client, as_ca, [half, half], lang="en").get_json()
    assert twice["errors"] == {"items": ["At most 99 of one product."]}


def test_allowed_states_stay_codes(client, app, org, shop):
    with app.app_context():  # created: may go to paid, cancelled, closed
        order_id = order_service.create_order(
            shop.ca, [{"product_id": shop.pearl, "quantity": 1}]
        ).id
    hq = bearer(api_token(client, "hq"))
    response = client.post(
        f"/api/v1/orders/{order_id}/transition", json={"to": "shipped"}, headers=hq
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "invalid_transition"
    assert body["message"] == "订单当前状态不允许此操作。"
    assert body["errors"]["to"] == ["订单不能从「已创建」变为「已发货」。"]  # states in words
    assert body["errors"]["allowed"] == ["paid", "cancelled", "closed"]  # data, untranslated
    with app.test_request_context():  # the hazard: "cancelled" is also a message id
        assert tr("cancelled") == "已取消"


def test_customer_cancel_of_a_cancelled_order(client, shop, as_ca):
    order = _order(client, as_ca, [{"product_id": shop.pearl, "quantity": 1}]).get_json()
    cancel = f"/api/v1/mp/orders/{order['id']}/cancel"
    assert client.post(cancel, json={}, headers=as_ca).status_code == 200
    again = client.post(cancel + "?lang=en", json={}, headers=as_ca).get_json()
    assert again["message"] == "This move is not allowed from the order's current state."
    assert again["errors"] == {"to": ["Not allowed from Cancelled to Cancelled."], "allowed": []}


def test_not_found_names_the_thing(client, shop, as_ca):
    missing = client.get("/api/v1/mp/orders/99999999", headers=as_ca).get_json()
    assert missing == {"code": "not_found", "message": "订单不存在", "errors": {}}


def test_outside_a_request_the_text_stays_english(app):
    with app.app_context():
        exc = invalid("items", "The quantity must be a whole number.")
    assert exc.errors == {"items": ["The quantity must be a whole number."]}


def test_schema_messages_follow_the_language_too(client, shop, as_ca):
    """A 422 from the request schema: every message in the nested errors is translated,
    the values marshmallow put in them kept; field names and list positions stay keys."""
    body = {
        "items": [{"product_id": shop.ring, "quantity": 100}, {"product_id": "7"}],
        "coupon_code": "",
        "surprise": 1,
    }
    errors = client.post("/api/v1/mp/orders", json=body, headers=as_ca).get_json()["errors"]
    assert errors["items"]["0"]["quantity"] == ["必须在 1 到 99 之间。"]
    assert errors["items"]["1"] == {"product_id": ["不是有效的整数。"], "quantity": ["必填字段。"]}
    assert errors["coupon_code"] == ["长度必须在 1 到 20 之间。"]
    assert errors["surprise"] == ["未知字段。"]
    english = client.post("/api/v1/mp/orders?lang=en", json=body, headers=as_ca).get_json()
    assert english["errors"]["items"]["0"]["quantity"] == ["Must be between 1 and 99."]
    assert english["errors"]["items"]["1"]["quantity"] == ["Missing data for required field."]


def test_settings_messages_are_whole_translated_sentences(app, org):
    import pytest

    from app.errors import DomainError
    from franchise.services import settings

    bad = {
        "assignment.radius_km": "far",
        "assignment.lock_days": -1,
        "assignment.pool_balancing": "perhaps",
        "rfm.frequency_high": 10**30,
        "no.such.key": 1,
    }
    for lang, expected in (
        (
            "zh",
            {
                "assignment.radius_km": ["不是有效的数字。"],
                "assignment.lock_days": ["不能小于 0。"],
                "assignment.pool_balancing": ["请填写是或否。"],
                "no.such.key": ["未知设置项。"],
            },
        ),
        (
            "en",
            {
                "assignment.radius_km": ["Not a valid number."],
                "assignment.lock_days": ["At least 0."],
                "assignment.pool_balancing": ["Yes or no."],
                "no.such.key": ["Unknown setting."],
            },
        ),
    ):
        with app.test_request_context(f"/?lang={lang}"), pytest.raises(DomainError) as caught:
            settings.update_settings(bad)
        errors = caught.value.errors
        assert {k: errors[k] for k in expected} == expected
        # a number past the maximum names the maximum, never Python's own words
        assert errors["rfm.frequency_high"][0].startswith(("不能大于", "At most"))
