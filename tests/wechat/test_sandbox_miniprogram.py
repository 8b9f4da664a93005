"""Mini-program login and phone number through our wrappers against the sandbox."""

from __future__ import annotations

import pytest

from app.wechat.errors import WeChatAPIError
from app.wechat.miniprogram import code_to_session, get_user_phone_number
from app.wechat.sandbox.miniprogram import identity_for_code


def test_code_to_session_is_deterministic_and_single_use(sandbox):
    first = code_to_session("code-alice-1")
    assert first == identity_for_code("code-alice-1")
    assert first["openid"] != code_to_session("code-bob-1")["openid"]
    with pytest.raises(WeChatAPIError) as info:
        code_to_session("code-alice-1")
    assert info.value.errcode == 40163
    with pytest.raises(WeChatAPIError) as info:
        code_to_session("garbage")
    assert info.value.errcode == 40029


def test_login_code_once_within_five_minutes(sandbox, sbx):
    """code2Session: a wx.login code is valid once (40163 code been used) and for 5 minutes
    (40029 code 无效 after); every code of a user means the same customer."""
    first = sbx.post("mp/login_code", {"user": "alice"}).get_json()["code"]
    second = sbx.post("mp/login_code", {"user": "alice"}).get_json()["code"]
    assert code_to_session(first) == identity_for_code("code-alice")
    with pytest.raises(WeChatAPIError) as info:
        code_to_session(first)
    assert info.value.errcode == 40163
    sandbox.advance(300)
    assert code_to_session(second)["openid"] == identity_for_code("code-alice")["openid"]
    late = sbx.post("mp/login_code", {"user": "bob"}).get_json()["code"]
    sandbox.advance(301)
    for _ in range(2):
        with pytest.raises(WeChatAPIError) as info:
            code_to_session(late)
        assert info.value.errcode == 40029
    assert sbx.post("mp/login_code", {"user": ""}).status_code == 422


def test_phone_number_code_once_within_five_minutes(sandbox, sbx):
    code = sbx.post("mp/phone_code", {"phone": "13800138000"}).get_json()["code"]
    info = get_user_phone_number(code)
    assert info["purePhoneNumber"] == "13800138000" and info["countryCode"] == "86"
    with pytest.raises(WeChatAPIError):
        get_user_phone_number(code)
    late = sbx.post("mp/phone_code", {"phone": "13900139000"}).get_json()["code"]
    sandbox.advance(301)
    with pytest.raises(WeChatAPIError) as err:
        get_user_phone_number(late)
    assert err.value.errcode == 40029
    assert get_user_phone_number("phone-13700137000")["phoneNumber"] == "13700137000"


def test_mp_token_expiry_is_refreshed(app, sandbox, sbx):
    get_user_phone_number("phone-13700137001")
    sandbox.advance(app.config["SANDBOX_TOKEN_TTL"] + 1)
    assert get_user_phone_number("phone-13700137002")["phoneNumber"] == "13700137002"
    assert sum(1 for t in sandbox.data["tokens"].values() if t["kind"] == "mp") == 2
