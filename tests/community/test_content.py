"""Content library: WeCom's limits refused on save with a message naming the field, in the
service, the API (422 envelope) and the admin form; the WeCom-like preview."""

from __future__ import annotations

import pytest

from app.extensions import db
from community.models import ContentPost
from community.services import content
from tests.fixtures.auth import csrf_token_from, login


def link(title="金饰保养", url="https://example.com/a", **kw):
    return {"msgtype": "link", "link": {"title": title, "url": url, **kw}}


def test_text_of_4001_bytes_is_refused_and_4000_accepted(ctx):
    with pytest.raises(content.PostInvalid) as err:
        content.save_post({"title": "t", "purpose": "knowledge", "text": "a" * 4001})
    assert "4001 bytes" in err.value.message and "4000" in err.value.message
    assert "text" in err.value.errors
    # a Chinese character is 3 bytes: 1,334 of them are 4,002 bytes
    with pytest.raises(content.PostInvalid):
        content.save_post({"title": "t", "purpose": "knowledge", "text": "金" * 1334})
    post = content.save_post({"title": "t", "purpose": "knowledge", "text": "a" * 4000})
    assert post.id and db.session.get(ContentPost, post.id).text == "a" * 4000


def test_ten_attachments_are_refused(ctx):
    with pytest.raises(content.PostInvalid) as err:
        content.save_post(
            {"title": "t", "purpose": "knowledge", "text": "x", "attachments": [link()] * 10}
        )
    assert err.value.errors["attachments"] == ["10 attachments; WeCom allows at most 9."]
    assert content.save_post(
        {"title": "t", "purpose": "knowledge", "text": "x", "attachments": [link()] * 9}
    ).id


def test_field_sizes_are_checked(ctx):
    bad = [
        link(title="标" * 43),  # 129 bytes
        link(desc="d" * 513),
        {
            "msgtype": "miniprogram",
            "miniprogram": {"title": "t" * 65, "appid": "wx1", "page": "p", "pic_media_id": "m"},
        },
        {
            "msgtype": "miniprogram",
            "miniprogram": {"title": "t", "appid": "wx1", "page": "p" * 129, "pic_media_id": "m"},
        },
        link(url="https://e.com/" + "u" * 2040),
    ]
    with pytest.raises(content.PostInvalid) as err:
        content.save_post({"title": "t", "purpose": "knowledge", "text": "", "attachments": bad})
    errors = err.value.errors
    assert "129 bytes" in errors["attachments.0.link.title"][0]
    assert "128" in errors["attachments.0.link.title"][0]
    assert "attachments.1.link.desc" in errors
    assert "attachments.2.miniprogram.title" in errors
    assert "attachments.3.miniprogram.page" in errors
    assert "attachments.4.link.url" in errors


def test_coupon_post_needs_a_template_and_empty_post_refused(ctx):
    with pytest.raises(content.PostInvalid) as err:
        content.save_post({"title": "券", "purpose": "coupon", "text": "x"})
    assert "coupon_template_id" in err.value.errors
    with pytest.raises(content.PostInvalid) as err:
        content.save_post({"title": "t", "purpose": "knowledge", "text": " "})
    assert "text" in err.value.errors


def test_api_refuses_with_422_envelope(client, as_hq):
    body = {
        "title": "长标题",
        "purpose": "knowledge",
        "text": "x",
        "attachments": [link(title="x" * 129)],
    }
    response = client.post("/api/v1/content", json=body, headers=as_hq)
    assert response.status_code == 422
    payload = response.get_json()
    assert payload["code"] == "invalid_post"
    assert "link.title" in payload["message"] and "128" in payload["message"]
    assert "attachments.0.link.title" in payload["errors"]
    ok = client.post("/api/v1/content", json={**body, "attachments": [link()]}, headers=as_hq)
    assert ok.status_code == 201 and ok.get_json()["attachments"][0]["link"]["title"] == "金饰保养"
    listed = client.get("/api/v1/content?purpose=knowledge", headers=as_hq).get_json()
    assert listed["total"] == 1
    unknown = client.post("/api/v1/content", json={**body, "franchisee_id": 1}, headers=as_hq)
    assert unknown.status_code == 422


def test_api_is_hq_only(client, as_owner_a):
    assert client.get("/api/v1/content", headers=as_owner_a).status_code == 403


def test_admin_form_shows_the_message_and_preview(client, org):
    login(client, "hq")
    page = client.get("/admin/content/new")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    form = {
        "csrf_token": token,
        "title": "保养",
        "purpose": "knowledge",
        "text": "a" * 4001,
        "att-0-type": "link",
        "att-0-title": "链接",
        "att-0-url": "https://e.com",
    }
    response = client.post("/admin/content/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    # "Text is 4001 bytes; WeCom allows at most 4000 bytes", shown in Chinese first
    assert "4001 字节" in html and "4000 字节" in html
    assert 'data-preview="link"' in html  # the WeCom-like preview keeps the card
    form["text"] = "金饰日常保养小知识"
    response = client.post("/admin/content/new", data=form)
    assert response.status_code == 303
    edit = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "金饰日常保养小知识" in edit and 'class="wc-bubble"' in edit
    check = client.post("/admin/content/check", data={**form, "text": "金" * 1400})
    assert check.get_json()["text_bytes"] == 4200 and not check.get_json()["ok"]
    listing = client.get("/admin/content?purpose=knowledge").get_data(as_text=True)
    assert "保养" in listing
