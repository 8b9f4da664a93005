"""How WeChat failures reach callers: three exceptions and one translating context manager.

- ``WeChatRateLimited`` (errcode 45009 / FREQUENCY_LIMITED): back off ``retry_after`` s.
- ``WeChatUnavailable`` (HTTP 5xx, timeouts, connection errors, SYSTEMERROR): try later.
- ``WeChatAPIError`` (any other errcode / err_code): the request itself was refused.

Token expiry (40014 / 42001) does not reach callers as a refusal: the clients refresh the
token once and retry (wechatpy ``auto_retry``); refused again, it is ``WeChatUnavailable``.
Outbox handlers turn the first two into ``app.outbox.RetryLater`` with ``as_retry_later``.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

import requests
from wechatpy.exceptions import APILimitedException, WeChatClientException, WeChatPayException

log = logging.getLogger("siyu.wechat")

RATE_LIMIT_BACKOFF = 60.0
UNAVAILABLE_BACKOFF = 30.0


# invalid or expired access token: the client refreshes once; a second
# refusal is treated as a passing outage (retry later), never as a refused request
TOKEN_ERRCODES = (40014, 42001)


class WeChatError(Exception):
    """Base of every WeChat failure raised by ``app.wechat``."""

    def __init__(self, message: str, *, api: str = "", errcode=None, errmsg: str = ""):
        super().__init__(message)
        self.api = api
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatRateLimited(WeChatError):
    """WeChat said 45009 (too many calls): wait ``retry_after`` seconds before calling again."""

    def __init__(self, message: str, *, retry_after: float = RATE_LIMIT_BACKOFF, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached or failed (5xx, timeout, SYSTEMERROR): try again later."""

    retry_after = UNAVAILABLE_BACKOFF


class WeChatAPIError(WeChatError):
    """WeChat refused the request with an errcode (JSON APIs) or err_code (Pay)."""


def _status(exc) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def errcode_error(api: str, errcode: int, errmsg: str) -> WeChatError:
    """The error a JSON API's non-zero ``errcode`` means: 45009 rate limited; -1 (system
    busy) and a token refused again after the one refresh unavailable; any other a refusal
    (``WeChatAPIError``)."""
    if errcode == 45009:
        return WeChatRateLimited(f"{api}: rate limited (45009), back off", api=api, errcode=45009)
    if errcode == -1:  # "system busy"
        return WeChatUnavailable(f"{api}: system busy", api=api, errcode=-1)
    if errcode in TOKEN_ERRCODES:  # still refused after the one refresh
        return WeChatUnavailable(
            f"{api}: access token refused again ({errcode})", api=api, errcode=errcode
        )
    return WeChatAPIError(
        f"{api}: errcode {errcode} {errmsg}", api=api, errcode=errcode, errmsg=errmsg
    )


@contextmanager
def translate_errors(api: str):
    """Turn wechatpy / requests exceptions raised inside the block into ``WeChatError``s."""
    try:
        yield
    except WeChatError:
        raise
    except APILimitedException as exc:
        raise WeChatRateLimited(
            f"{api}: rate limited (45009), back off", api=api, errcode=45009, errmsg=str(exc.errmsg)
        ) from exc
    except WeChatPayException as exc:
        code = exc.errcode or ""
        if exc.return_code is None:
            raise WeChatUnavailable(f"{api}: HTTP {_status(exc)}", api=api) from exc
        if code == "FREQUENCY_LIMITED":
            raise WeChatRateLimited(f"{api}: rate limited", api=api, errcode=code) from exc
        if code in ("SYSTEMERROR", "SYSTEM_ERROR", "BIZERR_NEED_RETRY"):
            raise WeChatUnavailable(f"{api}: {code}", api=api, errcode=code) from exc
        msg = exc.errmsg or exc.return_msg or ""
        raise WeChatAPIError(
            f"{api}: {code or exc.return_code} {msg}",
            api=api,
            errcode=code or exc.return_code,
            errmsg=msg,
        ) from exc
    except WeChatClientException as exc:
        if exc.errcode is None:
            raise WeChatUnavailable(f"{api}: HTTP {_status(exc)}", api=api) from exc
        raise errcode_error(api, int(exc.errcode), str(exc.errmsg)) from exc
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise WeChatUnavailable(f"{api}: {exc.__class__.__name__}", api=api) from exc


def as_retry_later(exc: WeChatError):
    """The ``app.outbox.RetryLater`` an outbox handler should raise for ``exc``, or None
    when retrying cannot help (``WeChatAPIError``)."""
    from app.outbox import RetryLater

    if isinstance(exc, WeChatRateLimited | WeChatUnavailable):
        return RetryLater(str(exc), delay=exc.retry_after)
    return None
