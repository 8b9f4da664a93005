"""Mini-program calls: login (code2session), phone number, ``encryptedData`` decryption,
and subscribe messages (``subscribeMessage.send``)."""

from __future__ import annotations

from flask import current_app
from wechatpy.crypto import WeChatWxaCrypto
from wechatpy.exceptions import InvalidAppIdException

from app.context import app_now
from app.wechat.clients import miniprogram_client
from app.wechat.code2session import API, pool_for
from app.wechat.errors import WeChatAPIError, translate_errors


def code_to_session(code: str) -> dict:
    """Exchange a ``wx.login`` code for ``{"openid", "session_key", "unionid"?}``.

    An invalid or used code raises ``WeChatAPIError`` with errcode 40029 / 40163.
    The call takes the app's id and secret, not an access token: none is fetched or sent.
    It goes through the process's exchange (``app.wechat.code2session``), to WeChat or
    the emulator, mounted in this app or not.
    """
    result = pool_for(app_now())(code)
    if not isinstance(result, dict) or not result.get("openid"):
        raise WeChatAPIError("jscode2session: no openid in the answer", api=API)
    return {k: result[k] for k in ("openid", "session_key", "unionid") if result.get(k)}


def get_user_phone_number(code: str, client=None) -> dict:
    """The ``phone_info`` (phoneNumber, purePhoneNumber, countryCode) behind a phone code."""
    client = client or miniprogram_client()
    with translate_errors("wxa/business/getuserphonenumber"):
        result = client.post(
            "wxa/business/getuserphonenumber",
            data={"code": code},
            api_base_url=client.wxa.API_BASE_URL,
        )
    return result["phone_info"]


def decrypt_user_data(
    session_key: str, iv: str, encrypted_data: str, appid: str | None = None
) -> dict:
    """Decrypt ``encryptedData`` from the mini-program; checks the watermark appid.

    Raises ``WeChatAPIError`` when the data does not decrypt or belongs to another app.
    """
    appid = appid or current_app.config["MP_APPID"]
    try:
        return WeChatWxaCrypto(session_key, iv, appid).decrypt_message(encrypted_data)
    except InvalidAppIdException as exc:
        raise WeChatAPIError("encryptedData belongs to another appid", api="decrypt") from exc
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise WeChatAPIError("encryptedData could not be decrypted", api="decrypt") from exc


def send_subscribe_message(
    touser: str,
    template_id: str,
    data: dict[str, str],
    page: str = "",
    miniprogram_state: str = "formal",
    client=None,
) -> None:
    """``subscribeMessage.send`` (``cgi-bin/message/subscribe/send``): one message the
    customer agreed to receive (each ``wx.requestSubscribeMessage`` acceptance of a
    one-time template allows one send). ``data`` maps each template keyword
    (``thing1``, ``character_string2``…) to its value; WeChat checks every value against
    its keyword type (``thing`` ≤ 20 characters, ``phrase`` ≤ 5 Chinese characters,
    ``character_string`` ≤ 32 letters, digits or symbols…). Errors raise
    ``WeChatAPIError`` with the errcode: 40003 openid invalid, 40037 template_id
    invalid, 43101 the user has not subscribed (or used up the acceptance), 47003 a
    value breaks its keyword's rule, 41030 page invalid."""
    client = client or miniprogram_client()
    body = {
        "touser": touser,
        "template_id": template_id,
        "data": {key: {"value": value} for key, value in data.items()},
        "miniprogram_state": miniprogram_state,
        "lang": "zh_CN",
    }
    if page:
        body["page"] = page
    with translate_errors("cgi-bin/message/subscribe/send"):
        client.post("message/subscribe/send", data=body)
