"""Automatic tags: a tag with a ``rule`` is put on exactly the customers the rule picks,
by the nightly job (``apply_rules``) and for one customer when something happens to them
(``apply_rules_for``).

Rules (``RULES``): ``tier:high`` / ``tier:mid`` / ``tier:low`` — the customer's value tier
(RFM, refreshed nightly by franchise); ``category:<name>`` — a paid order with a product
of that category; ``live_buyer`` — a paid order placed through a live campaign. A rule
link (``source`` rule) that no longer applies is removed; a guide's manual tag is never
touched. Changes go through ``tag_links.set_tags``, so WeCom's ``mark_tag`` follows.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from community.models.wecom_customers import TAG_RULE, CustomerTag, CustomerTagLink
from community.services.tag_links import set_tags
from franchise.models import Customer, Order, OrderLine, Product
from franchise.models.commerce import CANCELLED, CLOSED, CREATED, REFUNDED

NOT_BOUGHT = (CREATED, CANCELLED, CLOSED, REFUNDED)
TIERS = ("high", "mid", "low")


def rule_choices(categories: list[str]) -> list[tuple[str, str]]:
    """``(rule, label)`` pairs an HQ page offers."""
    from flask_babel import gettext as _

    from app.web.labels import label

    pairs = [(f"tier:{t}", _("Value tier: %(tier)s", tier=label(t, "value_tier"))) for t in TIERS]
    pairs += [(f"category:{c}", _("Bought: %(category)s", category=c)) for c in categories]
    return pairs + [("live_buyer", _("Bought in a live"))]


def rule_stmt(rule: str):
    """The ids of the customers ``rule`` picks, or None for an unknown rule."""
    kind, _, value = rule.partition(":")
    bought = Order.status.not_in(NOT_BOUGHT)
    if kind == "tier" and value in TIERS:
        return select(Customer.id).where(Customer.value_tier == value)
    if kind == "category" and value:
        return (
            select(Order.customer_id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(bought, Product.category == value)
        )
    if rule == "live_buyer":
        return select(Order.customer_id).where(bought, Order.campaign_id.is_not(None))
    return None


def _apply(tag: CustomerTag, only: int | None = None) -> tuple[int, int]:
    stmt = rule_stmt(tag.rule or "")
    if stmt is None:
        return 0, 0
    if only is not None:
        stmt = stmt.where(stmt.selected_columns[0] == only)
    wanted: set[int] = {i for i in db.session.scalars(stmt.distinct()) if i is not None}
    links = select(CustomerTagLink.customer_id).where(
        CustomerTagLink.tag_id == tag.id, CustomerTagLink.customer_id.is_not(None)
    )
    if only is not None:
        links = links.where(CustomerTagLink.customer_id == only)
    have: set[int] = {i for i in db.session.scalars(links) if i is not None}
    # only the rule's own links may be taken off, never a guide's
    by_rule = {i for i in db.session.scalars(links.where(CustomerTagLink.source == TAG_RULE)) if i}
    added = removed = 0
    tag_id = tag.id
    for customer_id in sorted(wanted - have):
        customer = db.session.get(Customer, customer_id)
        if customer is not None:
            added += set_tags(customer=customer, add=[tag_id], source=TAG_RULE)
    for customer_id in sorted(by_rule - wanted):
        customer = db.session.get(Customer, customer_id)
        if customer is not None:
            removed += set_tags(customer=customer, remove=[tag_id], source=TAG_RULE)
    return added, removed


def _rule_tags() -> list[CustomerTag]:
    return list(
        db.session.scalars(
            select(CustomerTag).where(CustomerTag.rule.is_not(None), CustomerTag.deleted.is_(False))
        )
    )


def apply_rules() -> dict:
    """Every rule tag on exactly its customers (commits per customer); returns counts."""
    added = removed = 0
    for tag in _rule_tags():
        a, r = _apply(tag)
        added, removed = added + a, removed + r
    return {"added": added, "removed": removed}


def apply_rules_for(customer_id: int) -> dict:
    """The rule tags of one customer, at once (after a payment, a tier change ...)."""
    added = removed = 0
    for tag in _rule_tags():
        a, r = _apply(tag, only=customer_id)
        added, removed = added + a, removed + r
    return {"added": added, "removed": removed}


def on_paid(rows) -> None:
    """``ORDER_PAID`` listener: the buyers' rule tags (bought category, live buyer)."""
    for customer_id in sorted({row.customer_id for row in rows}):
        apply_rules_for(customer_id)
