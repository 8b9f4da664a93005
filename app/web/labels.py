"""The label catalogue: every code a page shows, as a word in the viewer's language.

Statuses, reasons, segments, stages, roles, actors and rules are stored as codes
(``active``, ``purchased``, ``cold_start_to_seeding``); pages show them through
``label(kind, code)`` (a Jinja filter and global: ``{{ plan.status|label("plan_status") }}``
or ``{{ label("stage", g.stage) }}``). The words are English msgids translated at display
time, so both languages come from the ordinary catalogues. An unknown code is shown as it
is, so the browser tour (which fails on any code listed in ``RAW_CODES``) finds it.

The catalogue is plain data and imports no domain; a domain that gains a code adds its
word here, in the kind it belongs to. ``MSGIDS`` holds the English words, ``CATALOGUE``
the same as lazy strings; services, which may run outside a request (a job, a stored
order line name), take a word through ``word(kind, code)``, English outside a request.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.i18n import tr
from app.web.i18n import N_

DASH = "—"

_ACTIVE = N_("Active")
_PAUSED = N_("Paused")
_ENDED = N_("Ended")
_PENDING = N_("Pending")
_FAILED = N_("Failed")
_DONE = N_("Done")
_CANCELLED = N_("Cancelled")

MSGIDS: dict[str, dict[str, str]] = {
    "inspection_result": {  # issue 19: the O2O inspection
        "accepted": N_("Accepted at inspection"),
        "defect": N_("Defect found"),
    },
    "inspection_remedy": {"exchange": N_("Exchange"), "refund": N_("Refund")},
    "wecom_member_status": {  # WeCom user/list ``status``
        "1": N_("Activated"),
        "2": N_("Disabled"),
        "4": N_("Not activated"),
        "5": N_("Left the corp"),
    },
    "order_status": {
        "created": N_("Created"),
        "paid": N_("Paid"),
        "shipped": N_("Shipped"),
        "received": N_("Received by store"),
        "delivered": N_("Delivered"),
        "picked_up": N_("Picked up"),
        "completed": N_("Completed"),
        "cancelled": _CANCELLED,
        "refunded": N_("Refunded"),
        "closed": N_("Closed"),
    },
    "welcome_retry": {  # the outbox status of a first login's deferred welcome
        "pending": N_("Not given yet: tried again automatically"),
        "in_flight": N_("Not given yet: tried again automatically"),
        "dead": N_("Not given: the retries are used up"),
        "done": N_("Given after the first login"),
    },
    "refund_status": {
        "requested": N_("Refund requested"),
        "succeeded": N_("Refund succeeded"),
        "failed": N_("Refund failed"),
    },
    "profit_share_status": {"pending": _PENDING, "done": N_("Shared"), "failed": _FAILED},
    "reconciliation_status": {
        "running": N_("Running"),
        "ok": N_("Matches"),
        "differences": N_("Differences"),
        "error": N_("Error"),
    },
    "appointment_status": {
        "booked": N_("Booked"),
        "cancelled": _CANCELLED,
    },
    "plan_status": {"active": _ACTIVE, "paused": _PAUSED, "ended": _ENDED},
    "content_status": {"active": N_("In use"), "archived": N_("Archived")},
    "campaign_status": {
        "draft": N_("draft"),
        "scheduled": N_("scheduled"),
        "live": N_("live"),
        "ended": N_("ended"),
        "reviewed": N_("reviewed"),
        "cancelled": N_("cancelled"),
    },
    "franchisee_status": {"active": _ACTIVE, "suspended": N_("Suspended")},
    "guide_status": {"active": _ACTIVE, "left": N_("Left")},
    "group_status": {"active": _ACTIVE, "dismissed": N_("Dismissed")},
    "coupon_status": {
        "issued": N_("Issued"),
        "redeemed": N_("Redeemed"),
        "void": N_("Void"),
        "expired": N_("Expired"),
    },
    "batch_status": {
        "pending": N_("Waiting to send"),
        "created": N_("To confirm"),
        "sent": N_("Sent"),
        "failed": _FAILED,
    },
    "delivery_status": {
        "pending": N_("Not sent yet"),
        "sent": N_("Sent"),
        "not_friend": N_("Not a friend"),
        "quota_used": N_("Quota used"),
        "failed": _FAILED,
    },
    "allocation_status": {"allocated": N_("allocated"), "waiting": N_("waiting")},
    "care_status": {
        "open": N_("To do"),
        "sent": N_("Sent"),
        "done": _DONE,
        "manual": N_("Send by hand"),
    },
    "reward_status": {"pending": _PENDING, "issued": N_("Issued"), "failed": _FAILED},
    "alert_level": {"critical": N_("Critical"), "warning": N_("Warning"), "info": N_("Info")},
    "stage": {
        "cold_start": N_("Cold start"),
        "seeding": N_("Seeding"),
        "benchmark": N_("Benchmark"),
        "lifecycle": N_("Lifecycle"),
    },
    "segment": {"purchased": N_("Purchased"), "prospect": N_("Prospect")},
    "points_account": {
        "member": N_("Members' points"),
        "debt": N_("Members' points debt"),
        "carrier": N_("Points given (who pays)"),
        "redeemed": N_("Points taken in payment"),
        "expired": N_("Expired points"),
    },
    "points_event": {
        "signup": N_("Signing up"),
        "birthday": N_("Birthday"),
        "profile": N_("Completing the profile"),
    },
    "value_tier": {"high": N_("High value"), "mid": N_("Mid value"), "low": N_("Low value")},
    "stage_rule": {
        "cold_start_to_seeding": N_("Cold start → seeding rule"),
        "seeding_to_benchmark": N_("Seeding → benchmark rule"),
        "benchmark_to_lifecycle": N_("Benchmark → lifecycle rule"),
        "manual": N_("Set by HQ"),
        "override": N_("Set by HQ"),
        "release": N_("Released by HQ"),
    },
    "role": {
        "hq_admin": N_("HQ admin"),
        "hq_operator": N_("HQ operator"),
        "franchise_owner": N_("Franchise owner"),
        "guide": N_("Guide"),
        "customer": N_("Customer"),
    },
    "assignment_rule": {
        "share_code": N_("Share code"),
        "binding": N_("Binding protection"),
        "nearest_store": N_("Nearest store"),
        "region_default": N_("Region default"),
        "hq_pool": N_("HQ pool"),
        "manual": N_("Reassigned by HQ"),
        "store_closed": N_("Store closed"),
        "guide_left": N_("Guide left"),
    },
    "assignment_reason": {"mini-program login": N_("Mini-program login")},
    "payment_source": {
        "notify": N_("payment notice"),
        "query": N_("order query"),
        "demo": N_("demo data"),
        "reconciliation": N_("reconciliation"),
    },
    "campaign_mode": {"hq": N_("HQ live"), "store": N_("Store live")},
    # issue 19: service tickets' kinds (a piece's care kind) and consignments' steps
    "service_kind": {
        "cleaning": N_("Cleaning"),
        "polishing": N_("Polishing"),
        "resizing": N_("Resizing"),
        "replating": N_("Re-plating"),
        "repair": N_("Repair"),
    },
    "piece_state": {  # franchise.services.pieces.piece_state
        "in_stock": N_("In stock"),
        "held": N_("Held by an unpaid order"),
        "sold": N_("Sold"),
        "defective": N_("Defective, not for sale"),
    },
    "consignment_status": {
        "received": N_("Received"),
        "appraised": N_("Appraised"),
        "agreed": N_("Price agreed"),
        "listed": N_("Listed"),
        "sold": N_("Sold"),
        "paid_out": N_("Paid out"),
        "returned": N_("Returned to the consignor"),
    },
    "step_state": {
        "done": _DONE,
        "late": N_("Late"),
        "due": N_("Due"),
        "upcoming": N_("Upcoming"),
    },
    "invitation_status": {
        "invited": N_("Invited"),
        "accepted": N_("Accepted"),
        "declined": N_("Declined"),
        "cancelled": N_("Cancelled"),
    },
    "event_status": {
        "upcoming": N_("Upcoming"),
        "started": N_("Started"),
        "cancelled": N_("Cancelled"),
    },
}
# who moved a row: a role, the system or WeChat Pay
MSGIDS["actor"] = {**MSGIDS["role"], "system": N_("System"), "wechat": N_("WeChat Pay")}
# the same words as lazy strings (translated when shown), for templates and Python tables
CATALOGUE: dict[str, dict[str, LazyString]] = {
    kind: {code: _l(msgid) for code, msgid in codes.items()} for kind, codes in MSGIDS.items()
}

# Codes that must never reach a page as they are: the browser tour fails on any of them
# as a whole word in a page's visible text. ``RAW_CODES`` (codes with an underscore, the
# region codes) are checked in both languages; ``CODE_WORDS`` (codes that are also English
# words, "active", "booked") only on Chinese pages, where no English word belongs.
RAW_CODES: frozenset[str] = frozenset(
    code for kind in CATALOGUE.values() for code in kind if "_" in code
) | frozenset({"EAST", "NORTH", "SOUTH", "WEST", "CENTRAL"})
CODE_WORDS: frozenset[str] = frozenset(
    code for kind in CATALOGUE.values() for code in kind if code.isalpha()
) | frozenset({"fen", "state"})


def label(code: object, kind: str) -> str:
    """The viewer's word for ``code`` of ``kind``; a dash for none, the code if unknown.

    Written value-first so that it reads as a filter: ``{{ status|label("plan_status") }}``.
    """
    if code is None or code == "":
        return DASH
    word = CATALOGUE.get(kind, {}).get(str(code))
    return str(word) if word is not None else str(code)


def word(kind: str, code: str) -> str:
    """The word for ``code`` of ``kind`` wherever it is needed: the viewer's inside a
    request, English outside one (jobs, the CLI, text stored in rows); an unknown code as
    it is. For services, which may run outside a request (``label`` is for pages)."""
    msgid = MSGIDS.get(kind, {}).get(code)
    return tr(msgid) if msgid else code


def label_of(kind: str, code: object) -> str:
    """``label`` with the kind first, for templates that call it as a function."""
    return label(code, kind)


def options(kind: str, codes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """``(code, word)`` pairs of a kind (or of the given codes) for selects and filters."""
    words = CATALOGUE[kind]
    return [(code, str(words.get(code, code))) for code in (codes or words)]


def words(kind: str) -> dict[str, LazyString]:
    """The kind's code → lazy word mapping (for tables and charts built in Python)."""
    return CATALOGUE[kind]


def customer_name(customer) -> str:
    """A readable name for a customer: the nickname, else the phone's last four digits,
    else "WeChat customer" with the number the mini-program shows them."""
    if customer is None:
        return DASH
    nickname = getattr(customer, "nickname", None)
    if nickname:
        return str(nickname)
    phone = getattr(customer, "phone", None)
    if phone:
        return str(_l("Customer ending %(tail)s", tail=str(phone)[-4:]))
    return str(_l("WeChat customer %(n)s", n=getattr(customer, "id", "")))
