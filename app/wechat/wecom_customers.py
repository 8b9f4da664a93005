"""WeCom customer-contact calls wechatpy 1.8.18 lacks, one ``client.post`` each:
客户群「加入群聊」 (``groupchat/*_join_way``), corp tags (``get_corp_tag_list``,
``add_corp_tag``, ``edit_corp_tag``, ``del_corp_tag``, ``mark_tag``) and hand-over
(在职 / 离职继承: ``transfer_customer``, ``transfer_result``, ``groupchat/transfer``,
``groupchat/onjob_transfer`` and their ``resigned/`` forms).

Like ``app.wechat.wecom``: an optional ``client``, the useful part of the answer, and
``WeChatAPIError`` (with WeCom's errcode and errmsg) for a refusal.
"""

from __future__ import annotations

from app.wechat.wecom import wecom_post

MAX_TRANSFER_CUSTOMERS = 100  # external_userid per transfer_customer call (在职 / 离职)
MAX_TRANSFER_CHATS = 100  # chat_id_list per groupchat/transfer call: 1 ~ 100
MAX_JOIN_WAY_CHATS = 5  # chat_id_list of a join way
MAX_STATE_CHARS = 30  # a join way's state


# -- 客户群「加入群聊」 --------------------------------------------------------------------
def add_join_way(body: dict, client=None) -> str:
    """Configure a join way (``scene``, ``chat_id_list`` ≤ 5, ``state`` ≤ 30 chars ...);
    returns its ``config_id``."""
    return wecom_post("externalcontact/groupchat/add_join_way", body, client)["config_id"]


def get_join_way(config_id: str, client=None) -> dict:
    """The ``join_way`` (with its ``qr_code``) of ``config_id``."""
    data = {"config_id": config_id}
    return wecom_post("externalcontact/groupchat/get_join_way", data, client)["join_way"]


def update_join_way(config_id: str, body: dict, client=None) -> None:
    """Change a join way's settings (the whole body, as for add)."""
    data = {**body, "config_id": config_id}
    wecom_post("externalcontact/groupchat/update_join_way", data, client)


def del_join_way(config_id: str, client=None) -> None:
    """Delete a join way; its code stops working."""
    wecom_post("externalcontact/groupchat/del_join_way", {"config_id": config_id}, client)


# -- corp tags ----------------------------------------------------------------------
def get_corp_tag_list(client=None) -> list[dict]:
    """Every tag group with its tags (``group_id``, ``group_name``, ``order``, ``tag``)."""
    return wecom_post("externalcontact/get_corp_tag_list", {}, client).get("tag_group") or []


def add_corp_tag(body: dict, client=None) -> dict:
    """Add tags to a group (``group_id``) or a new group (``group_name``); returns the
    ``tag_group`` with the new tags' ids."""
    return wecom_post("externalcontact/add_corp_tag", body, client)["tag_group"]


def edit_corp_tag(tag_or_group_id: str, name: str, order: int | None = None, client=None) -> None:
    """Rename (and reorder) a tag or a tag group."""
    body: dict = {"id": tag_or_group_id, "name": name}
    if order is not None:
        body["order"] = order
    wecom_post("externalcontact/edit_corp_tag", body, client)


def del_corp_tag(tag_ids: list[str] | None = None, group_ids: list[str] | None = None, client=None):
    """Delete tags and / or whole tag groups."""
    wecom_post(
        "externalcontact/del_corp_tag",
        {"tag_id": list(tag_ids or []), "group_id": list(group_ids or [])},
        client,
    )


def mark_tag(
    userid: str, external_userid: str, add: list[str], remove: list[str], client=None
) -> None:
    """Tag / untag the customer ``external_userid`` of the member ``userid``."""
    body: dict = {"userid": userid, "external_userid": external_userid}
    body.update(add_tag=list(add), remove_tag=list(remove))
    wecom_post("externalcontact/mark_tag", body, client)


# -- hand-over (继承) -----------------------------------------------------------------
def transfer_customer(
    handover: str, takeover: str, external_userids: list[str], *, resigned: bool, client=None
) -> dict[str, int]:
    """Start the hand-over of ≤ 100 customers; returns each customer's errcode (0: the
    customer has 24 hours to refuse, then the takeover is automatic)."""
    if len(external_userids) > MAX_TRANSFER_CUSTOMERS:
        raise ValueError(f"at most {MAX_TRANSFER_CUSTOMERS} customers per call")
    api = "externalcontact/" + ("resigned/" if resigned else "") + "transfer_customer"
    body: dict = {"handover_userid": handover, "takeover_userid": takeover}
    body["external_userid"] = list(external_userids)
    answer = wecom_post(api, body, client)
    return {str(c["external_userid"]): int(c["errcode"]) for c in answer.get("customer") or []}


def transfer_result(handover: str, takeover: str, *, resigned: bool, client=None) -> list[dict]:
    """Every customer hand-over from ``handover`` to ``takeover``: ``external_userid``,
    ``status`` (1 taken over, 2 waiting, 3 refused, 4 takeover's limit reached) and
    ``takeover_time``, following ``next_cursor``."""
    api = "externalcontact/" + ("resigned/" if resigned else "") + "transfer_result"
    rows: list[dict] = []
    cursor = ""
    while True:
        body = {"handover_userid": handover, "takeover_userid": takeover, "cursor": cursor}
        page = wecom_post(api, body, client)
        rows.extend(page.get("customer") or [])
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return rows


def transfer_groups(
    chat_ids: list[str], new_owner: str, *, resigned: bool, client=None
) -> dict[str, tuple[int, str]]:
    """Hand ≤ 100 groups to ``new_owner`` (``groupchat/transfer`` for a resigned owner,
    ``groupchat/onjob_transfer`` otherwise); returns the failed ones' (errcode, errmsg)."""
    if len(chat_ids) > MAX_TRANSFER_CHATS:
        raise ValueError(f"at most {MAX_TRANSFER_CHATS} groups per call")
    api = "externalcontact/groupchat/" + ("transfer" if resigned else "onjob_transfer")
    answer = wecom_post(api, {"chat_id_list": list(chat_ids), "new_owner": new_owner}, client)
    return {
        str(f["chat_id"]): (int(f.get("errcode") or 0), str(f.get("errmsg") or ""))
        for f in answer.get("failed_chat_list") or []
    }
