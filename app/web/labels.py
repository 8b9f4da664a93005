"""The label catalogue: every code a page shows, as a word in the viewer's language.

Statuses, reasons, segments, stages, roles, actors and rules are stored as codes
(``active``, ``purchased``, ``cold_start_to_seeding``); pages show them through
``label(kind, code)`` (a Jinja filter and global: ``{{ plan.status|label("plan_status") }}``
or ``{{ label("stage", g.stage) }}``). The words are English msgids translated at display
time, so both languages come from the ordinary catalogues. An unknown code is shown as it
is, so the browser tour (which fails on any code listed in ``RAW_CODES``) finds it.

The catalogue is plain data and imports no domain; a domain that gains a code adds its
word here, in the kind it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

DASH = "—"

_ACTIVE = _l("Active")
_PAUSED = _l("Paused")
_ENDED = _l("Ended")
_PENDING = _l("Pending")
_FAILED = _l("Failed")
_DONE = _l("Done")
_CANCELLED = _l("Cancelled")

CATALOGUE: dict[str, dict[str, LazyString]] = {
    "inspection_result": {  # issue 19: the O2O inspection
        "accepted": _l("Accepted at inspection"),
        "defect": _l("Defect found"),
    },
    "inspection_remedy": {"exchange": _l("Exchange"), "refund": _l("Refund")},
    "wecom_member_status": {  # WeCom user/list ``status``
        "1": _l("Activated"),
        "2": _l("Disabled"),
        "4": _l("Not activated"),
        "5": _l("Left the corp"),
    },
    "order_status": {
        "created": _l("Created"),
        "paid": _l("Paid"),
        "shipped": _l("Shipped"),
        "received": _l("Received by store"),
        "delivered": _l("Delivered"),
        "picked_up": _l("Picked up"),
        "completed": _l("Completed"),
        "cancelled": _CANCELLED,
        "refunded": _l("Refunded"),
        "closed": _l("Closed"),
    },
    "welcome_retry": {  # the outbox status of a first login's deferred welcome
        "pending": _l("Not given yet: tried again automatically"),
        "in_flight": _l("Not given yet: tried again automatically"),
        "dead": _l("Not given: the retries are used up"),
        "done": _l("Given after the first login"),
    },
    "refund_status": {
        "requested": _l("Refund requested"),
        "succeeded": _l("Refund succeeded"),
        "failed": _l("Refund failed"),
    },
    "profit_share_status": {"pending": _PENDING, "done": _l("Shared"), "failed": _FAILED},
    "reconciliation_status": {
        "running": _l("Running"),
        "ok": _l("Matches"),
        "differences": _l("Differences"),
        "error": _l("Error"),
    },
    "appointment_status": {
        "booked": _l("Booked"),
        "cancelled": _CANCELLED,
    },
    "plan_status": {"active": _ACTIVE, "paused": _PAUSED, "ended": _ENDED},
    "content_status": {"active": _l("In use"), "archived": _l("Archived")},
    "campaign_status": {
        "draft": _l("draft"),
        "scheduled": _l("scheduled"),
        "live": _l("live"),
        "ended": _l("ended"),
        "reviewed": _l("reviewed"),
        "cancelled": _l("cancelled"),
    },
    "franchisee_status": {"active": _ACTIVE, "suspended": _l("Suspended")},
    "guide_status": {"active": _ACTIVE, "left": _l("Left")},
    "group_status": {"active": _ACTIVE, "dismissed": _l("Dismissed")},
    "coupon_status": {
        "issued": _l("Issued"),
        "redeemed": _l("Redeemed"),
        "void": _l("Void"),
        "expired": _l("Expired"),
    },
    "batch_status": {
        "pending": _l("Waiting to send"),
        "created": _l("To confirm"),
        "sent": _l("Sent"),
        "failed": _FAILED,
    },
    "delivery_status": {
        "pending": _l("Not sent yet"),
        "sent": _l("Sent"),
        "not_friend": _l("Not a friend"),
        "quota_used": _l("Quota used"),
        "failed": _FAILED,
    },
    "allocation_status": {"allocated": _l("allocated"), "waiting": _l("waiting")},
    "care_status": {
        "open": _l("To do"),
        "sent": _l("Sent"),
        "done": _DONE,
        "manual": _l("Send by hand"),
    },
    "reward_status": {"pending": _PENDING, "issued": _l("Issued"), "failed": _FAILED},
    "alert_level": {"critical": _l("Critical"), "warning": _l("Warning"), "info": _l("Info")},
    "stage": {
        "cold_start": _l("Cold start"),
        "seeding": _l("Seeding"),
        "benchmark": _l("Benchmark"),
        "lifecycle": _l("Lifecycle"),
    },
    "segment": {"purchased": _l("Purchased"), "prospect": _l("Prospect")},
    "points_account": {
        "member": _l("Members' points"),
        "debt": _l("Members' points debt"),
        "carrier": _l("Points given (who pays)"),
        "redeemed": _l("Points taken in payment"),
        "expired": _l("Expired points"),
    },
    "points_event": {
        "signup": _l("Signing up"),
        "birthday": _l("Birthday"),
        "profile": _l("Completing the profile"),
    },
    "value_tier": {"high": _l("High value"), "mid": _l("Mid value"), "low": _l("Low value")},
    "stage_rule": {
        "cold_start_to_seeding": _l("Cold start → seeding rule"),
        "seeding_to_benchmark": _l("Seeding → benchmark rule"),
        "benchmark_to_lifecycle": _l("Benchmark → lifecycle rule"),
        "manual": _l("Set by HQ"),
        "override": _l("Set by HQ"),
        "release": _l("Released by HQ"),
    },
    "role": {
        "hq_admin": _l("HQ admin"),
        "hq_operator": _l("HQ operator"),
        "franchise_owner": _l("Franchise owner"),
        "guide": _l("Guide"),
        "customer": _l("Customer"),
    },
    "actor": {
        "hq_admin": _l("HQ admin"),
        "hq_operator": _l("HQ operator"),
        "franchise_owner": _l("Franchise owner"),
        "guide": _l("Guide"),
        "customer": _l("Customer"),
        "system": _l("System"),
        "wechat": _l("WeChat Pay"),
    },
    "assignment_rule": {
        "share_code": _l("Share code"),
        "binding": _l("Binding protection"),
        "nearest_store": _l("Nearest store"),
        "region_default": _l("Region default"),
        "hq_pool": _l("HQ pool"),
        "manual": _l("Reassigned by HQ"),
        "store_closed": _l("Store closed"),
        "guide_left": _l("Guide left"),
    },
    "assignment_reason": {"mini-program login": _l("Mini-program login")},
    "payment_source": {
        "notify": _l("payment notice"),
        "query": _l("order query"),
        "demo": _l("demo data"),
        "reconciliation": _l("reconciliation"),
    },
    "campaign_mode": {"hq": _l("HQ live"), "store": _l("Store live")},
    # issue 19: service tickets' kinds (a piece's care kind) and consignments' steps
    "service_kind": {
        "cleaning": _l("Cleaning"),
        "polishing": _l("Polishing"),
        "resizing": _l("Resizing"),
        "replating": _l("Re-plating"),
        "repair": _l("Repair"),
    },
    "consignment_status": {
        "received": _l("Received"),
        "appraised": _l("Appraised"),
        "agreed": _l("Price agreed"),
        "listed": _l("Listed"),
        "sold": _l("Sold"),
        "paid_out": _l("Paid out"),
        "returned": _l("Returned to the consignor"),
    },
    "step_state": {
        "done": _DONE,
        "late": _l("Late"),
        "due": _l("Due"),
        "upcoming": _l("Upcoming"),
    },
    "invitation_status": {
        "invited": _l("Invited"),
        "accepted": _l("Accepted"),
        "declined": _l("Declined"),
        "cancelled": _l("Cancelled"),
    },
    "event_status": {
        "upcoming": _l("Upcoming"),
        "started": _l("Started"),
        "cancelled": _l("Cancelled"),
    },
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
