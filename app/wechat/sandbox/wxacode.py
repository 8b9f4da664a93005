"""Sandbox mini-program code: ``wxa/getwxacodeunlimit`` (wxacode.getUnlimited /
getUnlimitedQRCode), with the rules of WeChat's documentation:

* ``scene`` is required, at most 32 visible characters of digits, letters and
  ``!#$&'()*+,/:;=?@-._~`` (no ``%``): empty or longer is 40169 "invalid length for
  scene", another character 40129 "invalid scene";
* ``page`` (default: the home page) has no leading ``/`` and no query (the parameters
  go in ``scene``); with ``check_path`` true (the default) it must be a page of the
  released mini-program: 41030 "invalid page" otherwise. Pages are released unless a
  test withdraws one (``POST /_sandbox/control/mp/unreleased {"page": …}``);
* ``env_version`` is release (default), trial or develop; ``width`` is 280 to 1280 px
  (default 430) — outside either the sandbox answers 40097 invalid args;
* the call is rate limited (45009, 5,000 a minute in WeChat).

A success is the image itself (``image/png`` here: a QR code, drawn with segno, of
``sandbox-wxacode:<page>?scene=<scene>``, close to ``width`` pixels wide); a failure is
the usual JSON ``errcode``. Every code made is counted in ``wxacodes`` (by page and
scene) so tests can see how often the app asked.
"""

from __future__ import annotations

import io
import re

import segno
from flask import Response

from app.wechat.sandbox.blueprint import bp, err, guard, json_body, state

P = "/api/"
SCENE_RE = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}")
PATH_RE = re.compile(r"[0-9A-Za-z_\-/.]{0,256}")
ENV_VERSIONS = ("release", "trial", "develop")
MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH = 280, 1280, 430
# errcodes of getUnlimitedQRCode
BAD_SCENE_LENGTH, BAD_SCENE, BAD_PAGE, BAD_ARGS = 40169, 40129, 41030, 40097
ERRMSG = {
    BAD_SCENE_LENGTH: "invalid length for scene, or the data is not json string",
    BAD_SCENE: "invalid scene",
    BAD_PAGE: "invalid page",
    BAD_ARGS: "invalid args",
}


def _scene_problem(scene: object) -> int | None:
    if not isinstance(scene, str) or not 1 <= len(scene) <= 32:
        return BAD_SCENE_LENGTH
    return None if SCENE_RE.fullmatch(scene) else BAD_SCENE


def _page_problem(page: str, check_path: bool) -> int | None:
    if page.startswith("/") or "?" in page or not PATH_RE.fullmatch(page):
        return BAD_PAGE
    unreleased = state().data.setdefault("mp_unreleased", [])
    return BAD_PAGE if check_path and page in unreleased else None


def _width(body: dict) -> int | None:
    width = body.get("width", DEFAULT_WIDTH)
    if isinstance(width, bool) or not isinstance(width, int):
        return None
    return width if MIN_WIDTH <= width <= MAX_WIDTH else None


def draw(content: str, width: int) -> bytes:
    """A PNG QR code of ``content`` about ``width`` pixels wide."""
    qr = segno.make(content, error="m")
    modules = qr.symbol_size(scale=1, border=2)[0]
    out = io.BytesIO()
    qr.save(out, kind="png", scale=max(1, width // modules), border=2)
    return out.getvalue()


@bp.post(P + "wxa/getwxacodeunlimit")
def getwxacodeunlimit():
    guard("wxa/getwxacodeunlimit", "mp")
    body = json_body()
    scene, page = body.get("scene"), str(body.get("page") or "")
    env = str(body.get("env_version") or "release")
    problem = _scene_problem(scene) or _page_problem(page, body.get("check_path", True) is True)
    width = _width(body)
    if problem is None and (width is None or env not in ENV_VERSIONS):
        problem = BAD_ARGS
    if problem is not None or width is None:
        code = problem or BAD_ARGS
        return err(code, ERRMSG[code])
    st = state()
    with st.lock:
        counts = st.data.setdefault("wxacodes", {})
        key = f"{page}?scene={scene}"
        counts[key] = counts.get(key, 0) + 1
    return Response(draw("sandbox-wxacode:" + key, width), mimetype="image/png")


def made(page: str, scene: str) -> int:
    """How many codes were made for ``page`` and ``scene`` (tests)."""
    return int(state().data.get("wxacodes", {}).get(f"{page}?scene={scene}", 0))


def withdraw(page: str) -> None:
    """Take ``page`` out of the released mini-program (41030 for it from now on)."""
    st = state()
    with st.lock:
        pages = st.data.setdefault("mp_unreleased", [])
        if page not in pages:
            pages.append(page)
