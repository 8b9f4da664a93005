"""Sandbox ``externalcontact/groupchat/statistic`` and ``statistic_group_by_day`` (获取「群聊
数据统计」数据, WeCom doc 92133), answered from the traffic the sandbox has seen.

Rules as WeCom documents them: ``day_begin_time`` required, both days from yesterday back
to 180 days ago (a time inside a day counts as its midnight, Asia/Shanghai), at most 30
days from first to last; ``owner_filter.userid_list`` at most 100 userids, and without it
every owner the app can see — more than 1,000 of them is 81017; ``limit`` 1..1,000
(default 500) with ``offset`` / ``next_offset``; ``order_by`` 1 new groups, 2 groups,
3 new members, 4 members (default 1), ``order_asc`` 0 / 1. Anything else malformed is
40058 (不合法的参数).

The figures, deterministic, per owner and day: groups created that day
(``new_chat_cnt``) and existing at its end (``chat_total``), members who joined that day
(``new_member_cnt``) and present at its end (``member_total``), messages — each group send
a guide confirmed that day (``wecom_groups.confirm_task``'s per-group count) plus what
members said (``record_messages``, ``POST /_sandbox/control/chat-messages``) —
(``msg_total``), groups with a message (``chat_has_msg``) and members who spoke
(``member_has_msg``, the owner counting for a confirmed send). Over several days the
counts of events add up and the totals are those of the last day. The emulator keeps no
history of leaves: a member who left is not counted on the days before either.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import jsonify, request

from app.errors import envelope
from app.wechat.sandbox.blueprint import (
    SandboxFault,
    bp,
    err,
    known_or_404,
    ok,
    state,
    wecom_request,
)
from app.wechat.sandbox.state import SHANGHAI, SandboxState
from app.wechat.sandbox.wecom import P, _limit

MAX_OWNERS, MAX_SPAN_DAYS, KEPT_DAYS, OWNERS_WITHOUT_FILTER = 100, 30, 180, 1000
ORDER_FIELDS = {1: "new_chat_cnt", 2: "chat_total", 3: "new_member_cnt", 4: "member_total"}
EVENT_FIELDS = ("new_chat_cnt", "new_member_cnt", "msg_total", "chat_has_msg", "member_has_msg")


def record_messages(st: SandboxState, chat_id: str, userid: str, count: int = 1, ts=None) -> None:
    """A member says ``count`` messages in a group (the demo and tests act as WeCom users)."""
    with st.lock:
        if chat_id not in st.data["groups"]:
            raise KeyError(chat_id)
        key = f"{chat_id}|{st.today(ts)}"
        said = st.data.setdefault("chat_messages", {}).setdefault(key, {})
        said[userid] = said.get(userid, 0) + int(count)


def _day_of(raw) -> date:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw <= 0:
        raise SandboxFault(err(40058, "day_begin_time and day_end_time are epoch seconds"))
    return datetime.fromtimestamp(raw, SHANGHAI).date()


def _window(st: SandboxState, body: dict) -> list[date]:
    """The days asked for, or ``SandboxFault`` 40058 outside WeCom's rules."""
    first = _day_of(body.get("day_begin_time"))
    last = _day_of(body["day_end_time"]) if body.get("day_end_time") is not None else first
    today = date.fromisoformat(st.today())
    if last >= today or first < today - timedelta(days=KEPT_DAYS):
        raise SandboxFault(err(40058, "days run from yesterday back to 180 days ago"))
    if last < first or (last - first).days + 1 > MAX_SPAN_DAYS:
        raise SandboxFault(err(40058, "day_end_time at most 30 days after day_begin_time"))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _owners(st: SandboxState, body: dict) -> list[str]:
    """The owners asked for; all visible ones without a filter (81017 above 1,000)."""
    listed = (body.get("owner_filter") or {}).get("userid_list")
    if listed:
        if not isinstance(listed, list) or len(listed) > MAX_OWNERS:
            raise SandboxFault(err(40058, f"owner_filter.userid_list: at most {MAX_OWNERS}"))
        return sorted({str(u) for u in listed})
    visible = {g["owner"] for g in st.data["groups"].values()}
    if len(visible) > OWNERS_WITHOUT_FILTER:
        raise SandboxFault(err(81017))
    return sorted(visible)


def _bounds(day: date) -> tuple[float, float]:
    start = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).timestamp()
    return start, start + 86400


def _joined(group: dict, member: dict) -> float:
    """When a member joined; the owner is there from the group's creation."""
    if member["userid"] == group["owner"]:
        return min(member["join_time"], group["create_time"])
    return member["join_time"]


def day_figures(st: SandboxState, owner: str, day: date) -> dict:
    """One owner's figures for one Shanghai day (lock held)."""
    start, end = _bounds(day)
    said = st.data.get("chat_messages", {})
    figures = dict.fromkeys(ORDER_FIELDS.values(), 0)
    figures.update(chat_has_msg=0, member_has_msg=0, msg_total=0, migrate_trainee_chat_cnt=0)
    for group in st.data["groups"].values():
        if group["owner"] != owner or group.get("dismissed") or group["create_time"] >= end:
            continue
        figures["chat_total"] += 1
        figures["new_chat_cnt"] += int(group["create_time"] >= start)
        joined = [_joined(group, m) for m in group["member_list"]]
        joined = [t for t in joined if t < end]
        figures["member_total"] += len(joined)
        figures["new_member_cnt"] += sum(1 for t in joined if t >= start)
        sends = st.data["quota"].get(f"{group['chat_id']}|{day.isoformat()}", 0)
        speakers = dict(said.get(f"{group['chat_id']}|{day.isoformat()}", {}))
        if sends:
            speakers[owner] = speakers.get(owner, 0) + sends
        figures["msg_total"] += sum(speakers.values())
        figures["chat_has_msg"] += int(bool(speakers))
        figures["member_has_msg"] += len(speakers)
    return figures


def _figures(st: SandboxState, owner: str, days: list[date]) -> dict:
    total: dict = {}
    for day in days:
        one = day_figures(st, owner, day)
        for key, value in one.items():
            total[key] = total.get(key, 0) + value if key in EVENT_FIELDS else value
    return total


def _order(body: dict) -> tuple[str, bool]:
    order_by, asc = body.get("order_by", 1), body.get("order_asc", 0)
    if order_by not in ORDER_FIELDS or asc not in (0, 1):
        raise SandboxFault(err(40058, "order_by 1..4, order_asc 0 or 1"))
    return ORDER_FIELDS[order_by], bool(asc)


def _offset(body: dict) -> int:
    offset = body.get("offset", 0)
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise SandboxFault(err(40058, "offset must be 0 or more"))
    return offset


@bp.post(P + "externalcontact/groupchat/statistic")
def groupchat_statistic():
    body = wecom_request("externalcontact/groupchat/statistic")
    st = state()
    days, limit, offset = _window(st, body), _limit(body, 500, 1000), _offset(body)
    field, asc = _order(body)
    with st.lock:
        owners = _owners(st, body)
        figures = {o: _figures(st, o, days) for o in owners}
    ranked = sorted(owners, key=lambda o: figures[o][field], reverse=not asc)  # stable: by owner
    items = [{"owner": o, "data": figures[o]} for o in ranked]
    page = items[offset : offset + limit]
    return ok(total=len(items), next_offset=offset + len(page), items=page)


@bp.post(P + "externalcontact/groupchat/statistic_group_by_day")
def groupchat_statistic_group_by_day():
    body = wecom_request("externalcontact/groupchat/statistic_group_by_day")
    st = state()
    days = _window(st, body)
    with st.lock:
        owners = _owners(st, body)
        items = []
        for day in days:
            data: dict = {}
            for owner in owners:
                for key, value in day_figures(st, owner, day).items():
                    data[key] = data.get(key, 0) + value
            items.append({"stat_time": int(_bounds(day)[0]), "data": data})
    return ok(items=items)


def _past_day(st: SandboxState, raw) -> float | None:
    """The noon of ``raw`` (YYYY-MM-DD, today or up to 180 days back) as epoch seconds;
    None for today. ``ValueError`` outside that range or malformed."""
    if raw is None:
        return None
    day = date.fromisoformat(str(raw))
    today = date.fromisoformat(st.today())
    if not today - timedelta(days=KEPT_DAYS) <= day <= today:
        raise ValueError(raw)
    return datetime.combine(day, datetime.min.time().replace(hour=12), SHANGHAI).timestamp()


@bp.post("/control/chat-messages")
def chat_messages():
    """``{"chat_id", "userid", "count"?, "day"?}``: a member says something in a group
    today, or on a past ``day`` (YYYY-MM-DD, up to 180 days back: the demo's history)."""
    body = request.get_json(silent=True) or {}
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10000:
        return envelope(422, errors={"count": ["a whole number 1..10000"]})
    if not body.get("userid"):
        return envelope(422, errors={"userid": ["who speaks: a member's userid"]})
    try:
        ts = _past_day(state(), body.get("day"))
    except ValueError:
        return envelope(422, errors={"day": ["YYYY-MM-DD, today or up to 180 days back"]})
    with known_or_404("group"):
        record_messages(state(), str(body.get("chat_id")), str(body["userid"]), count, ts=ts)
    return jsonify({"ok": True})
