"""Sandbox ``externalcontact/get_groupmsg_list_v2``: the group-send records of a creator.

As WeCom: ``chat_type`` (single | group, default single), ``start_time`` / ``end_time``
(epoch seconds, at most a month apart), ``creator``, ``filter_type`` (0 enterprise-created,
1 personal, 2 all; every sandbox task is enterprise-created), ``limit`` (≤ 100, default 50)
and ``cursor``; answers ``group_msg_list`` (msgid, creator, create_type, text, attachments,
create_time) and ``next_cursor``. The delivery handler uses it to find a task WeCom
created before a crash let us record its msgid.
"""

from __future__ import annotations

from typing import Any

from app.wechat.sandbox.blueprint import bp, err, ok, state, wecom_request
from app.wechat.sandbox.wecom import P, cursor_of, next_cursor

MONTH_SECONDS = 31 * 86400


@bp.post(P + "externalcontact/get_groupmsg_list_v2")
def get_groupmsg_list_v2():
    body: Any = wecom_request("externalcontact/get_groupmsg_list_v2")
    try:
        start, end = int(body.get("start_time")), int(body.get("end_time"))
    except (TypeError, ValueError):
        return err(40058, "start_time and end_time are required")
    if end < start or end - start > MONTH_SECONDS:
        return err(40058, "the time range must be at most one month")
    limit = body.get("limit") if isinstance(body.get("limit"), int) else 50
    limit = limit if 1 <= limit <= 100 else 50
    chat_type = body.get("chat_type") or "single"
    creator = body.get("creator")
    if body.get("filter_type") == 1:  # personal sends: the sandbox has none
        return ok(next_cursor="", group_msg_list=[])
    with state().lock:
        rows = [
            {
                "msgid": t["msgid"],
                "creator": t["sender"],
                "create_type": 0,
                "text": {"content": t["text"]},
                "attachments": list(t["attachments"]),
                "create_time": str(t["create_time"]),
            }
            for t in state().data["tasks"].values()
            if t["chat_type"] == chat_type
            and start <= t["create_time"] <= end
            and (not creator or t["sender"] == creator)
        ]
    rows.sort(key=lambda r: (int(r["create_time"]), r["msgid"]))
    first = cursor_of(body.get("cursor"))
    return ok(
        next_cursor=next_cursor(first + limit, len(rows)),
        group_msg_list=rows[first : first + limit],
    )
