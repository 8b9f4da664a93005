"""Sandbox control endpoints (``/_sandbox/control/...``, ``/_sandbox/pay/...``).

What a test or the demo does in place of a real person or of time passing: a customer
pays, a guide confirms a group send, members join or leave a group, the clock moves,
the next N calls fail. Answers are JSON; errors use the app's error envelope.
"""

from __future__ import annotations

from flask import jsonify, request

from app.errors import envelope
from app.wechat.sandbox import delivery, miniprogram, wecom_groups, wxacode
from app.wechat.sandbox.blueprint import bp, control_body, known_or_404, state
from app.wechat.sandbox.pay import succeed_order

C = "/control/"


@bp.post("/pay/<out_trade_no>/succeed")
def pay_succeed(out_trade_no: str):
    """The customer pays the order: the notify is sent and its first answer returned."""
    try:
        with known_or_404("order"):
            return jsonify(succeed_order(state(), out_trade_no))
    except ValueError as exc:
        return envelope(409, str(exc))


@bp.post(C + "tick")
def tick():
    """Deliver every notify / callback whose (sandbox) time has come."""
    return jsonify({"delivered": delivery.deliver_due(state()), "now": state().now()})


@bp.post(C + "flush")
def flush():
    """Deliver every pending item now; ``{"until_done": true}`` also advances the clock
    to each next retry until nothing is pending (the whole retry schedule)."""
    if control_body().get("until_done"):
        results = delivery.flush_until_done(state())
    else:
        results = delivery.deliver_due(state(), ignore_time=True)
    return jsonify({"delivered": results, "now": state().now()})


@bp.post(C + "clock")
def clock():
    """``{"advance_seconds": N}`` moves the sandbox clock forward."""
    seconds = control_body().get("advance_seconds", 0)
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        return envelope(422, errors={"advance_seconds": ["a non-negative number"]})
    now = state().advance(seconds)
    return jsonify({"now": now, "today": state().today()})


@bp.post(C + "faults")
def add_fault():
    """``{"api", "errcode" | "http_status" | "delay_seconds", "count"}``: next N calls fail."""
    body = control_body()
    api = body.get("api")
    if not isinstance(api, str) or not api:
        return envelope(422, errors={"api": ["required"]})
    fault = {k: body[k] for k in ("errcode", "http_status", "delay_seconds") if k in body}
    if not fault:
        return envelope(422, errors={"errcode": ["errcode, http_status or delay_seconds"]})
    fault["count"] = int(body.get("count") or 1)
    state().add_fault(api, fault)
    return jsonify({"api": api, **fault})


@bp.delete(C + "faults")
def clear_faults():
    with state().lock:
        state().faults.clear()
    return jsonify({"faults": {}})


@bp.post(C + "flags")
def flags():
    """``{"duplicate_notify": true}`` sends every pay notify twice (idempotency tests);
    ``{"groupchat_lag_seconds": 5}`` makes ``groupchat/get`` show a group change only that
    many sandbox seconds after its callback, as WeCom may (``null`` back to the setting);
    ``{"receiving_limit": "day"}`` is the corp admin's receiving-limit rule (month / week /
    day) that confirmations apply."""
    body = control_body()
    lag = body.get("groupchat_lag_seconds")
    if lag is not None and (
        not isinstance(lag, int | float) or isinstance(lag, bool) or not 0 <= lag <= 3600
    ):
        return envelope(422, errors={"groupchat_lag_seconds": ["0 to 3600 seconds"]})
    limit = body.get("receiving_limit")
    if limit is not None and limit not in ("month", "week", "day"):
        return envelope(422, errors={"receiving_limit": ["month, week or day"]})
    with state().lock:
        if limit is not None:
            state().data["flags"]["receiving_limit"] = limit
        for key in ("duplicate_notify",):
            if key in body:
                state().data["flags"][key] = bool(body[key])
        if "groupchat_lag_seconds" in body:
            state().data["flags"]["groupchat_lag_seconds"] = lag
        return jsonify(dict(state().data["flags"]))


@bp.post(C + "groups")
def create_groups():
    """``{"groups": [{"chat_id"?, "name", "owner", "members": [...]}]}``."""
    body = control_body()
    groups = body.get("groups")
    if not isinstance(groups, list) or not all(
        isinstance(g, dict) and g.get("owner") for g in groups
    ):
        return envelope(422, errors={"groups": ["a list of groups, each with an owner"]})
    try:
        ids = wecom_groups.create_groups(
            state(), groups, fire_callbacks=bool(body.get("fire_callbacks", True))
        )
    except (ValueError, KeyError, TypeError) as exc:
        return envelope(422, str(exc))
    return jsonify({"chat_ids": ids}), 201


@bp.post(C + "groups/<chat_id>/members")
def add_members(chat_id: str):
    """``{"members": [{"userid", "type", "unionid"?, "join_scene"?}], "join_scene"?}``."""
    body = control_body()
    members = body.get("members")
    if not isinstance(members, list) or not all(
        isinstance(m, dict) and m.get("userid") for m in members
    ):
        return envelope(422, errors={"members": ["a list of members, each with a userid"]})
    try:
        with known_or_404("group"):
            result = wecom_groups.add_members(
                state(), chat_id, members, int(body.get("join_scene", 3))
            )
    except ValueError as exc:
        return envelope(422, str(exc))
    return jsonify({"callback": result})


@bp.delete(C + "groups/<chat_id>/members/<userid>")
def remove_member(chat_id: str, userid: str):
    """A member leaves (``?quit_scene=0`` left by themselves, 1 removed by the owner)."""
    scene = request.args.get("quit_scene", "0")
    if scene not in ("0", "1"):
        return envelope(422, errors={"quit_scene": ["0 or 1"]})
    with known_or_404("group member"):
        result = wecom_groups.remove_member(state(), chat_id, userid, int(scene))
    return jsonify({"callback": result})


@bp.patch(C + "groups/<chat_id>")
def change_group(chat_id: str):
    """``{"owner"?, "name"?, "notice"?}``: one change_owner / change_name / change_notice
    callback per changed field."""
    body = control_body()
    changes = {k: body[k] for k in wecom_groups.CHANGE_DETAILS if k in body}
    bad = {k: ["a non-empty string"] for k, v in changes.items() if not isinstance(v, str)}
    if "owner" in changes and not changes["owner"]:
        bad["owner"] = ["a non-empty string"]
    if bad or not changes:
        return envelope(422, errors=bad or {"owner": ["owner, name or notice"]})
    with known_or_404("group"):
        results = wecom_groups.change_group(state(), chat_id, changes)
    return jsonify({"callbacks": results})


@bp.post(C + "groups/<chat_id>/dismiss")
def dismiss_group(chat_id: str):
    """The owner dismisses the group (the dismiss callback)."""
    with known_or_404("group"):
        result = wecom_groups.dismiss_group(state(), chat_id)
    return jsonify({"callback": result})


@bp.post(C + "tasks/<msgid>/confirm")
def confirm_task(msgid: str):
    """The sender confirms the group send in WeCom: results per group (quota applied)."""
    with known_or_404("group-send task"):
        task = wecom_groups.confirm_task(state(), msgid)
    return jsonify({"msgid": msgid, "results": task["results"]})


@bp.post(C + "mp/login_code")
def login_code():
    """``{"user": "alice"}`` → a ``wx.login`` code, valid once for 5 minutes; every code
    issued for the same user logs in the same customer."""
    user = control_body().get("user")
    if not isinstance(user, str) or not 1 <= len(user) <= 64:
        return envelope(422, errors={"user": ["1 to 64 characters"]})
    return jsonify({"code": miniprogram.issue_login_code(state(), user)})


@bp.post(C + "mp/phone_code")
def phone_code():
    """``{"phone": "13800138000"}`` → a one-time code for getuserphonenumber."""
    phone = str(control_body().get("phone") or "")
    if not phone.isdigit() or len(phone) != 11:
        return envelope(422, errors={"phone": ["11 digits"]})
    return jsonify({"code": miniprogram.issue_phone_code(state(), phone)})


@bp.post(C + "mp/subscribe")
def mp_subscribe():
    """``{"openid", "template_id", "times"?}``: the user accepted a one-time subscribe
    message (``wx.requestSubscribeMessage``); each acceptance allows one send."""
    body = control_body()
    openid, template_id = str(body.get("openid") or ""), str(body.get("template_id") or "")
    times = body.get("times", 1)
    if not openid or not template_id or not isinstance(times, int) or not 1 <= times <= 100:
        return envelope(422, errors={"openid": ["openid, template_id and times 1..100"]})
    allowed = miniprogram.accept_subscription(state(), openid, template_id, times)
    return jsonify({"allowed_sends": allowed})


@bp.get(C + "mp/subscribe_messages")
def mp_subscribe_messages():
    """The subscribe messages sent so far (newest last)."""
    with state().lock:
        return jsonify({"messages": list(state().data.get("subscribe_messages", []))})


@bp.post(C + "mp/unreleased")
def unreleased_page():
    """``{"page": "pages/live/index"}``: that page leaves the released mini-program, so a
    mini-program code for it is refused with 41030."""
    page = control_body().get("page")
    if not isinstance(page, str) or not page:
        return envelope(422, errors={"page": ["a mini-program page path"]})
    wxacode.withdraw(page)
    return jsonify({"unreleased": state().data["mp_unreleased"]})


@bp.post(C + "livings/<livingid>/viewers")
def living_viewers(livingid: str):
    """``{"users": [...], "external_users": [...]}`` appended to a live's watch stats."""
    body = control_body()
    with state().lock:
        live = state().data["lives"].get(livingid)
        if live is None:
            return envelope(404, "No such live in the sandbox.")
        for key in ("users", "external_users"):
            live[key].extend(v for v in body.get(key) or [] if isinstance(v, dict))
        return jsonify({"viewers": len(live["users"]) + len(live["external_users"])})


@bp.get(C + "state")
def summary():
    return jsonify(state().summary())


@bp.get(C + "deliveries")
def deliveries():
    with state().lock:
        return jsonify({"deliveries": [delivery.public(d) for d in state().data["deliveries"]]})


@bp.get(C + "tasks/<msgid>")
def task_detail(msgid: str):
    with state().lock:
        task = state().data["tasks"].get(msgid)
        if task is None:
            return envelope(404, "No such group-send task in the sandbox.")
        return jsonify(task)


@bp.post(C + "reset")
def reset():
    state().reset()
    return jsonify(state().summary())
