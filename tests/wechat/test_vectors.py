"""Tencent's official sample values, run through Siyu's own code paths."""

from __future__ import annotations

import pytest
import xmltodict
from wechatpy.pay.utils import dict_to_xml

from app.wechat import callbacks, pay, wecom
from app.wechat.errors import WeChatAPIError
from app.wechat.miniprogram import decrypt_user_data
from tests.fixtures.vectors import sample_as_sandbox_group


@pytest.fixture
def wecom_vector(app, vectors, monkeypatch):
    """Point the app's callback credentials at the official sample (restored afterwards)."""
    v = vectors["wecom_callback"]
    monkeypatch.setitem(app.config, "WECOM_TOKEN", v["token"])
    monkeypatch.setitem(app.config, "WECOM_AES_KEY", v["encoding_aes_key"])
    monkeypatch.setitem(app.config, "WECOM_CORP_ID", v["corp_id"])
    monkeypatch.setitem(app.config, "WECOM_CALLBACK_MAX_SKEW", None)  # samples are from 2016
    return v


@pytest.fixture
def received(app):
    """Collect events for plain text messages through a temporary subscriber."""
    events: list[dict] = []
    callbacks.subscribe(app, "text", events.append)
    yield events
    callbacks.unsubscribe(app, "text", events.append)


def test_url_verification_echoes_the_sample(client, wecom_vector):
    q = wecom_vector["verify_url"]
    res = client.get(
        "/wecom/callback",
        query_string={
            "msg_signature": q["msg_signature"],
            "timestamp": q["timestamp"],
            "nonce": q["nonce"],
            "echostr": q["echostr"],
        },
    )
    assert res.status_code == 200
    assert res.get_data(as_text=True) == q["expected_reply"]


def test_url_verification_with_tampered_signature_is_403(client, wecom_vector):
    q = dict(wecom_vector["verify_url"])
    q.pop("expected_reply")
    q["msg_signature"] = "f" + q["msg_signature"][1:]
    res = client.get("/wecom/callback", query_string=q)
    assert res.status_code == 403
    assert res.get_json()["code"] == "forbidden"


def _post_sample(client, sample, **override):
    q = {k: sample[k] for k in ("msg_signature", "timestamp", "nonce")}
    q.update(override)
    return client.post(
        "/wecom/callback",
        query_string=q,
        data=sample["body"].encode(),
        content_type="application/xml",
    )


def test_sample_message_is_decrypted_and_dispatched(client, wecom_vector, received):
    sample = wecom_vector["decrypt_message"]
    res = _post_sample(client, sample)
    assert res.status_code == 200
    assert res.get_data(as_text=True) == "success"
    assert len(received) == 1
    for key, value in sample["expected"].items():
        assert received[0][key] == value


def test_replayed_sample_is_refused(client, wecom_vector, received):
    sample = wecom_vector["decrypt_message"]
    assert _post_sample(client, sample).status_code == 200
    res = _post_sample(client, sample)
    assert res.status_code == 403
    assert res.get_json()["code"] == "replayed"
    assert len(received) == 1


def test_tampered_sample_signature_is_403(client, wecom_vector, received):
    sample = wecom_vector["decrypt_message"]
    res = _post_sample(client, sample, msg_signature="f" * 40)
    assert res.status_code == 403
    assert received == []


def test_sample_for_another_corp_is_403(app, client, wecom_vector, received, monkeypatch):
    monkeypatch.setitem(app.config, "WECOM_CORP_ID", "wwsomeoneelse0000")
    res = _post_sample(client, wecom_vector["decrypt_message"])
    assert res.status_code == 403
    assert received == []


def test_stale_timestamp_is_refused(app, client, wecom_vector, received, monkeypatch):
    monkeypatch.setitem(app.config, "WECOM_CALLBACK_MAX_SKEW", 300)
    res = _post_sample(client, wecom_vector["decrypt_message"])
    assert res.status_code == 403
    assert res.get_json()["code"] == "stale"
    assert received == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<xml><Encrypt>@@@</Encrypt></xml>",
        b'<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>',
    ],
)
def test_garbage_callback_bodies_never_500(client, wecom_vector, body):
    res = client.post(
        "/wecom/callback",
        data=body,
        query_string={"msg_signature": "a" * 40, "timestamp": "1476422779", "nonce": "1"},
    )
    assert res.status_code in (400, 403)
    assert "code" in res.get_json()


def test_pay_signature_matches_the_worked_example(vectors):
    v = vectors["pay_signature"]
    assert pay.sign_md5(v["params"], v["key"]) == v["md5"]
    assert pay.sign_hmac_sha256(v["params"], v["key"]) == v["hmac_sha256"]
    assert pay.sign_md5({**v["params"], "body": "test2"}, v["key"]) != v["md5"]


def test_miniprogram_sample_decrypts(ctx, vectors):
    v = vectors["miniprogram_decrypt"]
    data = decrypt_user_data(v["session_key"], v["iv"], v["encrypted_data"], appid=v["appid"])
    for key, value in v["expected"].items():
        assert data[key] == value
    with pytest.raises(WeChatAPIError):
        decrypt_user_data(v["session_key"], v["iv"], v["encrypted_data"], appid="wxother")


def test_groupchat_get_has_the_official_shape(sandbox, vectors):
    sample = vectors["wecom_groupchat_get_response"]["response"]["group_chat"]
    sandbox.create_groups([sample_as_sandbox_group(sample)])
    detail = wecom.groupchat_get(sample["chat_id"])
    assert isinstance(detail.pop("member_version"), str)
    expected = dict(sample)
    expected.pop("member_version")
    owner = detail["member_list"].pop(0)  # the owner joins its own group as a member
    assert owner["userid"] == sample["owner"] and owner["type"] == 1
    assert detail == expected
    no_names = wecom.groupchat_get(sample["chat_id"], need_name=False)
    assert all("name" not in m for m in no_names["member_list"])


def test_tampered_pay_notify_is_refused(app, client):
    cfg = app.config
    fields = {
        "appid": cfg["PAY_APPID"],
        "mch_id": cfg["PAY_MCH_ID"],
        "return_code": "SUCCESS",
        "result_code": "SUCCESS",
        "out_trade_no": "T1",
        "transaction_id": "42001",
        "total_fee": "100",
        "nonce_str": "abc",
    }
    signed = dict_to_xml(fields, pay.sign_md5(fields, cfg["PAY_KEY"]))
    good = client.post("/api/v1/pay/notify", data=signed, content_type="application/xml")
    assert good.status_code == 200
    assert xmltodict.parse(good.data)["xml"]["return_code"] == "SUCCESS"
    tampered = signed.replace("<total_fee>100</total_fee>", "<total_fee>1</total_fee>")
    assert tampered != signed
    bad = client.post("/api/v1/pay/notify", data=tampered, content_type="application/xml")
    assert bad.status_code == 400
    assert bad.headers["Content-Type"].startswith("application/xml")
    assert xmltodict.parse(bad.data)["xml"]["return_code"] == "FAIL"
    other = {**fields, "appid": "wxnotours"}
    res = client.post(
        "/api/v1/pay/notify",
        data=dict_to_xml(other, pay.sign_md5(other, cfg["PAY_KEY"])),
        content_type="application/xml",
    )
    assert res.status_code == 400
    for garbage in (b"", b"<xml>", b"<xml>text</xml>", b"\xff\xfe"):
        res = client.post("/api/v1/pay/notify", data=garbage, content_type="application/xml")
        assert res.status_code == 400
        assert xmltodict.parse(res.data)["xml"]["return_code"] == "FAIL"


def test_pay_notify_signature_is_compared_in_constant_time(app, client, monkeypatch):
    """Every shape of ``sign`` is refused with 400 FAIL, never a 500, and the comparison
    goes through ``hmac.compare_digest`` (wechatpy's own check uses ``!=``)."""
    from app.wechat import pay_notify

    cfg = app.config
    fields = {
        "appid": cfg["PAY_APPID"],
        "mch_id": cfg["PAY_MCH_ID"],
        "return_code": "SUCCESS",
        "result_code": "FAIL",  # verified, then nothing to post
        "out_trade_no": "T2",
        "total_fee": "100",
        "nonce_str": "xyz",
    }
    right = pay.sign_md5(fields, cfg["PAY_KEY"])
    compared = []
    real = pay_notify.hmac.compare_digest
    monkeypatch.setattr(
        pay_notify.hmac, "compare_digest", lambda a, b: compared.append(1) or real(a, b)
    )
    good = client.post("/api/v1/pay/notify", data=dict_to_xml(fields, right))
    assert good.status_code == 200 and compared
    body = dict_to_xml(fields, "X")
    for sign_xml in (
        f"<sign>{right.lower()}</sign>",
        "<sign>签名不对</sign>",
        "<sign><a>1</a></sign>",
        f"<sign>{right}</sign><sign>{right}</sign>",
        "",
    ):
        forged = body.replace("<sign><![CDATA[X]]></sign>", sign_xml)
        assert forged != body
        res = client.post("/api/v1/pay/notify", data=forged.encode())
        assert res.status_code == 400, sign_xml
        assert xmltodict.parse(res.data)["xml"]["return_msg"] == "invalid signature"
    bad_fee = {**fields, "total_fee": "1e2"}
    res = client.post(
        "/api/v1/pay/notify", data=dict_to_xml(bad_fee, pay.sign_md5(bad_fee, cfg["PAY_KEY"]))
    )
    assert res.status_code == 400
