"""Sandbox 1:1 mass sends (``add_msg_template`` with ``chat_type=single``).

WeCom (server API doc 92135): a single send goes to the listed ``external_userid`` s of
the ``sender``; each customer receives, like each group, at most as many mass messages
per calendar month as the month has days (7 a week, 1 a day as the admin set it), and
``get_groupmsg_send_result`` answers per ``external_userid`` status 1 sent, 2 not a
friend (the customer is not, or no longer, the sender's contact), 3 receiving limit.
``wecom_groups.confirm_task`` asks ``gone`` per target, so a customer's quota is kept
under the same ``target|day`` keys as a group's.
"""

from __future__ import annotations

from app.wechat.sandbox.state import SandboxState
from app.wechat.sandbox.wecom_contacts import world


def is_friend(st: SandboxState, external_userid: str, sender: str) -> bool:
    """True when ``external_userid`` is still a contact of ``sender``."""
    contact = world(st)["contacts"].get(external_userid)
    if contact is None:
        return False
    return any(
        f["userid"] == sender and not f.get("deleted_by_customer") for f in contact["follow_user"]
    )


def gone(st: SandboxState, task: dict, target: str) -> bool:
    """A target the confirmed task cannot reach: a dismissed group, or a customer who is
    not the sender's contact."""
    if task.get("chat_type") == "single":
        return not is_friend(st, target, task.get("sender") or "")
    return bool(st.data["groups"].get(target, {"dismissed": True}).get("dismissed"))
