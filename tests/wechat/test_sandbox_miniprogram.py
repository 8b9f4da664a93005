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
