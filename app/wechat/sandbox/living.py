"""Sandbox WeCom living API (``/_sandbox/qyapi/cgi-bin/living/...``).

``living/create`` makes a live owned by this app; ``get_living_info`` reads it;
``get_watch_stat`` pages viewers (``WATCH_PAGE`` per page, ``ending`` = 1 on the last).
Viewers are added with ``POST /_sandbox/control/livings/<livingid>/viewers``.
"""

from __future__ import annotations

from flask import request

from app.wechat.sandbox.blueprint import bp, err, guard, ok, state, wecom_request
from app.wechat.sandbox.wecom import P, cursor_of, next_cursor

WATCH_PAGE = 100


@bp.post(P + "living/create")
def living_create():
    body = wecom_request("living/create")
    if not body.get("anchor_userid") or not body.get("theme"):
        return err(40058, "anchor_userid and theme are required")
    st = state()
    livingid = st.next_id("lvSBX", 10)
    with st.lock:
        st.data["lives"][livingid] = {
            "theme": str(body["theme"])[:60],
            "anchor_userid": body["anchor_userid"],
            "living_start": int(body.get("living_start") or st.now()),
            "living_duration": int(body.get("living_duration") or 3600),
            "type": int(body.get("type") or 0),
            "description": body.get("description", ""),
            "status": 0,
            "viewer_num": 0,
            "comment_num": 0,
            "mic_num": 0,
            "open_replay": 0,
            "users": [],
            "external_users": [],
        }
    return ok(livingid=livingid)


@bp.get(P + "living/get_living_info")
def get_living_info():
    guard("living/get_living_info", "wecom")
    with state().lock:
        live = state().data["lives"].get(request.args.get("livingid", ""))
        if live is None:
            return err(40058, "invalid livingid")
        info = {k: v for k, v in live.items() if k not in ("users", "external_users")}
        info["viewer_num"] = len(live["users"]) + len(live["external_users"])
    return ok(living_info=info)


@bp.post(P + "living/get_watch_stat")
def get_watch_stat():
    body = wecom_request("living/get_watch_stat")
    with state().lock:
        live = state().data["lives"].get(str(body.get("livingid") or ""))
        if live is None:
            return err(40058, "invalid livingid")
        viewers = [("users", v) for v in live["users"]] + [
            ("external_users", v) for v in live["external_users"]
        ]
    start = cursor_of(body.get("next_key"))
    page = viewers[start : start + WATCH_PAGE]
    stat = {
        "users": [v for k, v in page if k == "users"],
        "external_users": [v for k, v in page if k == "external_users"],
    }
    end = start + WATCH_PAGE >= len(viewers)
    return ok(
        ending=1 if end else 0,
        next_key=next_cursor(start + WATCH_PAGE, len(viewers)),
        stat_info=stat,
    )
