"""Sandbox mini-program links: ``wxa/generate_urllink`` (URL Link) and
``wxa/generatescheme`` (URL Scheme), with the rules of WeChat's documentation
(urllink.generate / urlscheme.generate, after the 2022-04-11 rule change):

* ``path`` is a released page of the mini-program and may not carry a query (40165);
  empty means the home page;
* ``query`` is at most 1,024 characters of digits, letters and ``!#$&'()*+,/:;=?@-._~%``
  (40212);
* a link always expires (``is_expire`` is taken as true whatever is sent):
  ``expire_type`` 0 with an ``expire_time`` (Unix seconds) more than a minute and at most
  30 days ahead, or 1 with ``expire_interval`` days from 1 to 30 (85401);
* ``env_version`` is release (default), trial or develop.

The answers are ``{"url_link": "https://wxaurl.cn/…"}`` and ``{"openlink":
"weixin://dl/business/?t=…"}``; every link made is kept (``mp_links``) with its target and
expiry so tests can resolve it. The call is rate limited like every sandbox API (45009).
"""

from __future__ import annotations

import re
import secrets

from app.wechat.sandbox.blueprint import bp, err, guard, json_body, ok, state

P = "/api/"
MAX_DAYS = 30
QUERY_RE = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]{0,1024}")
PATH_RE = re.compile(r"[0-9A-Za-z_\-/.]{0,256}")
ENV_VERSIONS = ("release", "trial", "develop")
# errcodes of urlscheme.generate / urllink.generate
BAD_PATH, BAD_QUERY, BAD_EXPIRY = 40165, 40212, 85401


def _target(path: str, query: str) -> int | None:
    """The errcode for a bad path or query, else None."""
    if "?" in path or not PATH_RE.fullmatch(path) or path.startswith("/"):
        return BAD_PATH
    if not QUERY_RE.fullmatch(query):
        return BAD_QUERY
    return None


def _expiry(body: dict) -> float | None:
    """The link's expiry (sandbox epoch seconds), or None when the fields break the rules."""
    now = state().now()
    kind = body.get("expire_type", 0)
    if kind == 1:
        days = body.get("expire_interval")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
            return None
        return now + days * 86400
    if kind == 0:
        at = body.get("expire_time")
        if not isinstance(at, int) or isinstance(at, bool):
            return None
        if not now + 60 < at <= now + MAX_DAYS * 86400:
            return None
        return float(at)
    return None


def _make(kind: str, path: str, query: str, env: str, expires: float) -> str:
    token = secrets.token_urlsafe(9)
    st = state()
    with st.lock:
        st.data.setdefault("mp_links", {})[token] = {
            "kind": kind,
            "path": path,
            "query": query,
            "env_version": env,
            "expires_at": expires,
            "created_at": st.now(),
        }
    return token


def _generate(kind: str, target: dict, body: dict):
    """Check ``target`` (path, query, env_version) and the expiry in ``body``; make the
    link's token, or answer the errcode of the first rule broken."""
    path, query = str(target.get("path") or ""), str(target.get("query") or "")
    env = str(target.get("env_version") or "release")
    problem = _target(path, query) or (None if env in ENV_VERSIONS else BAD_PATH)
    if problem:
        return None, err(problem)
    expires = _expiry(body)
    if expires is None:
        return None, err(BAD_EXPIRY)
    return _make(kind, path, query, env, expires), None


@bp.post(P + "wxa/generate_urllink")
def generate_urllink():
    guard("wxa/generate_urllink", "mp")
    body = json_body()
    token, refused = _generate("urllink", body, body)
    return refused or ok(url_link="https://wxaurl.cn/" + token)


@bp.post(P + "wxa/generatescheme")
def generatescheme():
    guard("wxa/generatescheme", "mp")
    body = json_body()
    jump = body.get("jump_wxa") or {}
    if not isinstance(jump, dict):
        return err(47001)
    token, refused = _generate("scheme", jump, body)
    return refused or ok(openlink="weixin://dl/business/?t=" + token)


def resolve(link: str) -> dict | None:
    """What a link made here opens (path, query, expiry), for tests and the control API."""
    token = link.rsplit("/", 1)[-1].removeprefix("?t=")
    return state().data.get("mp_links", {}).get(token)
