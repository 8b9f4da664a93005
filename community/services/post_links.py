"""A post's links carry the sending guide's share code, so its orders can be attributed.

When a guide sends a post (a group push, a journey step), each mini-program attachment's
``page`` and each link's ``url`` get ``share_code=<the guide's code>`` added to their
query (``franchise.services.customers.guide_share_code``, made on first use). A customer
who opens it arrives with the code — the mini-program passes it on at login and on the
order (``Order.share_code``) — and ``post_outcome`` counts that order for the post.

WeCom's limits stay: a mini-program ``page`` of at most 128 bytes and a link ``url`` of
at most 2,048 (``community.post_limits``); a link the code would push over its limit is
sent as written (that post's orders then go uncounted, never a refused send).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from app.extensions import db
from community.post_limits import ATTACHMENT_LIMITS, nbytes
from franchise.models import Guide
from franchise.services.customers import guide_share_code

PARAM = "share_code"
FIELDS = {"miniprogram": "page", "link": "url"}


def with_code(target: str, code: str) -> str:
    """``target`` (a URL or a mini-program page path) with ``share_code=code`` in its
    query, replacing one already there."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAM]
    query.append((PARAM, code))
    return urlunsplit(parts._replace(query=urlencode(query)))


def carrying_code(attachments: list | None, guide_id: int | None) -> list:
    """The attachments to send for ``guide_id``: links and pages with the guide's code."""
    attachments = list(attachments or [])
    if not any(_link_field(item) for item in attachments):
        return attachments  # nothing to tag: no read of the guide or their code
    guide = db.session.get(Guide, guide_id) if guide_id else None
    if guide is None or guide.store is None:
        return attachments
    code = guide_share_code(guide).code
    out = []
    for item in attachments:
        field = _link_field(item)
        if field is None:
            out.append(item)
            continue
        kind = str(item["msgtype"])
        body = item[kind]
        tagged = with_code(str(body[field]), code)
        limit = ATTACHMENT_LIMITS[(kind, field)][0]
        out.append(item if nbytes(tagged) > limit else {**item, kind: {**body, field: tagged}})
    return out


def _link_field(item) -> str | None:
    """The field of an attachment that holds a link or page to tag, when it has one."""
    kind = str(item.get("msgtype")) if isinstance(item, dict) else ""
    field = FIELDS.get(kind)
    body = item.get(kind) if field else None
    if field is None or not isinstance(body, dict) or not body.get(field):
        return None
    return field
