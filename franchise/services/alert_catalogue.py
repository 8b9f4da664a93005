"""The alert catalogue: for each alert code its level, cause, sentence and link.

An ``Alert`` row stores a code and its parameters, never a sentence; the sentence is
the code's ``template`` (an English msgid with ``%(name)s`` parameters) translated at
display time, so the same row reads in Chinese by default and in English with
``?lang=en``. ``key`` names the parameters that identify the cause: every occurrence with
the same code and the same key values is the same alert (a notify WeChat re-sends is
one alert with a count, not one per retry). ``link`` says which admin page shows the
object the alert is about (``order``, ``refund``, ``run``, ``owner_reconciliation``,
``franchisee``, ``guide``).

A code not listed here (rows written before the catalogue) shows its stored
``message`` parameter.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.web.i18n import N_  # msgids translated when the alert is shown

CRITICAL, WARNING, INFO = "critical", "warning", "info"
LEVELS = (CRITICAL, WARNING, INFO)
LEVEL_LABELS = {CRITICAL: _l("Critical"), WARNING: _l("Warning"), INFO: _l("Notice")}


@dataclass(frozen=True)
class AlertType:
    """What the catalogue knows of one code."""

    code: str
    label: object  # the type's short name (lazy), for the filter and the list
    template: str  # msgid with %(param)s placeholders
    level: str = WARNING
    key: tuple[str, ...] = ()
    # order | refund | run | owner_reconciliation | franchisee | guide | customer
    link: str | None = None


_TYPES = (
    AlertType(
        "notify_failed",
        _l("Paid result not posted"),
        N_("The paid result of %(out_trade_no)s could not be posted; WeChat will send it again."),
        CRITICAL,
        ("out_trade_no",),
        "order",
    ),
    AlertType(
        "pay_amount_mismatch",
        _l("Paid amount differs"),
        N_(
            "The paid amount %(total_fee)s of %(out_trade_no)s is not the order's "
            "%(payable_fen)s; nothing was posted."
        ),
        CRITICAL,
        ("out_trade_no",),
        "order",
    ),
    AlertType(
        "pay_sub_mch_mismatch",
        _l("Paid to another sub-merchant"),
        N_(
            "The paid result of %(out_trade_no)s names another sub-merchant "
            "(%(sub_mch_id)s); nothing was posted."
        ),
        CRITICAL,
        ("out_trade_no",),
        "order",
    ),
    AlertType(
        "pay_unknown_order",
        _l("Paid result for no order"),
        N_("A paid result for %(out_trade_no)s matches no order of ours."),
        CRITICAL,
        ("out_trade_no",),
    ),
    AlertType(
        "pay_notify_refused",
        _l("Pay notify refused"),
        N_("A pay notify was refused before any order was looked at: %(reason)s."),
        CRITICAL,
        ("reason",),
    ),
    AlertType(
        "pay_after_close",
        _l("Paid after closing"),
        N_("Order %(order_no)s was paid after it was %(status)s; the money was kept."),
        WARNING,
        ("order_id",),
        "order",
    ),
    AlertType(
        "pay_duplicate_payment",
        _l("Paid twice"),
        N_(
            "Order %(order_no)s was paid more than once (transaction %(transaction_id)s); "
            "the money was kept."
        ),
        WARNING,
        ("order_id",),
        "order",
    ),
    AlertType(
        "refund_failed",
        _l("Refund refused"),
        N_("WeChat Pay refused refund %(out_refund_no)s (%(errcode)s)."),
        WARNING,
        ("refund_id",),
        "refund",
    ),
    AlertType(
        "profit_share_failed",
        _l("HQ share refused"),
        N_("WeChat Pay refused the HQ share %(out_order_no)s (%(errcode)s)."),
        WARNING,
        ("profit_share_id",),
        "order",
    ),
    AlertType(
        "reconciliation",
        _l("Bill differs from the ledger"),
        N_("WeChat's bill of %(date)s differs from the ledger in %(count)s place(s)."),
        CRITICAL,
        ("date",),
        "run",
    ),
    AlertType(
        "owner_reconciliation",
        _l("Your reconciliation differs"),
        N_(
            "Your reconciliation of %(date)s has %(count)s difference(s) between the "
            "statement and WeChat's bills (%(kinds)s)."
        ),
        CRITICAL,
        ("franchisee_id", "date"),
        "owner_reconciliation",
    ),
    AlertType(
        "reconciliation_error",
        _l("Bill not downloaded"),
        N_("WeChat's bill of %(date)s could not be downloaded."),
        WARNING,
        ("date",),
        "run",
    ),
    AlertType(
        "guide_wecom_left",
        _l("Guide's WeCom account deleted"),
        N_(
            "%(member)s, the WeCom account of guide %(guide)s, was deleted from WeCom: hand "
            "their customers over and mark the guide departed."
        ),
        WARNING,
        ("guide_id",),
        "guide",
    ),
    AlertType(
        "welcome_failed",
        _l("Welcome not given"),
        N_(
            "%(customer)s logged in for the first time but their welcome (member, sign-up "
            "points, new-customer coupon) was not given: %(reason)s. It is tried again "
            "automatically."
        ),
        WARNING,
        ("customer_id",),
        "customer",
    ),
    AlertType(
        "metal_feed_failed",
        _l("Metal price feed refused"),
        N_(
            "The metal price feed %(url)s could not be used (%(reason)s); the price board "
            "was not changed."
        ),
        WARNING,
        ("url",),
        None,
    ),
)

# The reasons ``app.wechat.pay_notify`` refuses a notify with (``pay_notify_refused``'s
# ``reason``), listed so they are extracted and shown translated.
REFUSED_REASONS = (
    N_("invalid XML"),
    N_("invalid signature"),
    N_("empty or oversized body"),
    N_("XML declarations are not accepted"),
    N_("return_code is not SUCCESS"),
    N_("appid mismatch"),
    N_("mch_id mismatch"),
    N_("refused"),
    N_("missing signature headers"),
    N_("unknown serial"),
    N_("stale timestamp"),
    N_("resource does not decrypt"),
    N_("invalid JSON"),
)

CATALOGUE: dict[str, AlertType] = {t.code: t for t in _TYPES}
LEGACY = AlertType("", _l("Other"), "%(message)s", WARNING)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def alert_type(code: str) -> AlertType:
    """The catalogue entry of ``code`` (an unlisted code reads its stored message)."""
    return CATALOGUE.get(code) or LEGACY


def type_label(code: str):
    """The type's short name; an unlisted code is shown as itself."""
    entry = CATALOGUE.get(code)
    return entry.label if entry else code


def level_label(level: str):
    return LEVEL_LABELS.get(level, level)


def cause_key(code: str, params: dict, key: str | None = None) -> str:
    """The cause of an occurrence: ``key`` when the caller names one, else the values of
    the code's key parameters, else a digest of all parameters (at most 128 characters)."""
    if key is None:
        fields = alert_type(code).key
        values = [params.get(name) for name in fields]
        if fields and any(v not in (None, "") for v in values):
            key = "|".join("" if v is None else str(v) for v in values)
        else:
            blob = json.dumps(params, sort_keys=True, default=str, ensure_ascii=False)
            key = "#" + hashlib.sha256(blob.encode()).hexdigest()[:32]
    key = str(key)
    if len(key) > 128:
        key = key[:95] + "#" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return key


def placeholders(template: str) -> list[str]:
    """The ``%(name)s`` parameters a template reads."""
    return _PLACEHOLDER.findall(template)
