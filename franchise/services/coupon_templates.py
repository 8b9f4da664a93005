"""Coupon templates (HQ): creating and changing them, with their budgets per region.

A template is an amount off above a threshold, valid for a period (``valid_from`` /
``valid_until``, or ``valid_days`` from issue), of kind ``new_customer`` or ``campaign``,
with a budget per region (``CouponBudget``). A budget may not drop below the coupons its
region already issued. Issuing and redeeming coupons live in ``coupons``.

A template's ``campaign_id`` names a livestream campaign, which franchise cannot import:
the hook ``CAMPAIGN_EXISTS`` asks the domain that keeps campaigns whether one exists (no
listener, no campaigns: any id is unknown).
"""

from __future__ import annotations

from app.extensions import db, hooks
from franchise.models import CouponBudget, CouponTemplate, Region
from franchise.services.base import committed, invalid

CAMPAIGN_EXISTS = "franchise.campaign_exists"  # listener(campaign_id) -> bool

TEMPLATE_FIELDS = (
    "name",
    "kind",
    "amount_off_fen",
    "threshold_fen",
    "valid_from",
    "valid_until",
    "valid_days",
    "campaign_id",
    "is_active",
)


def _check_template(data: dict, template: CouponTemplate | None = None) -> None:
    """422 unless amount, threshold and validity make sense (missing keys: ``template``'s)."""
    amount = data.get("amount_off_fen", template.amount_off_fen if template else None)
    threshold = data.get("threshold_fen", template.threshold_fen if template else 0)
    if amount is None or amount <= 0:
        raise invalid("amount_off_fen", "The amount off must be more than zero.")
    if threshold is None or threshold < 0:
        raise invalid("threshold_fen", "The threshold cannot be negative.")
    start = data.get("valid_from", template.valid_from if template else None)
    end = data.get("valid_until", template.valid_until if template else None)
    days = data.get("valid_days", template.valid_days if template else None)
    if start and end and end <= start:
        raise invalid("valid_until", "The end must be after the start.")
    if days is not None and not 1 <= days <= 3650:
        raise invalid("valid_days", "Between 1 and 3650 days.")
    if end is None and days is None:
        raise invalid("valid_days", "Give an end date or a number of valid days.")
    campaign_id = data.get("campaign_id")
    if campaign_id is not None and not any(
        listener(campaign_id) for listener in hooks(CAMPAIGN_EXISTS)
    ):
        raise invalid("campaign_id", "No such campaign.")


def _set_budgets(template: CouponTemplate, budgets: list[dict]) -> None:
    """Replace the template's budgets; a budget may not drop below what was issued."""
    current = {b.region_id: b for b in template.budgets}
    wanted = {}
    for item in budgets:
        if db.session.get(Region, item["region_id"]) is None:
            raise invalid("budgets", "No such region.")
        if item["budget_count"] < 0:
            raise invalid("budgets", "A budget cannot be negative.")
        wanted[item["region_id"]] = item["budget_count"]
    for region_id, budget in list(current.items()):
        if region_id not in wanted:
            if budget.issued_count:
                raise invalid("budgets", "A region that already issued coupons keeps its budget.")
            template.budgets.remove(budget)
    for region_id, count in wanted.items():
        budget = current.get(region_id)
        if budget is None:
            template.budgets.append(CouponBudget(region_id=region_id, budget_count=count))
        elif count < budget.issued_count:
            raise invalid("budgets", "A budget cannot drop below the coupons already issued.")
        else:
            budget.budget_count = count


def create_template(data: dict) -> CouponTemplate:
    """Create a coupon template with its budgets per region (HQ)."""
    with committed():
        _check_template(data)
        template = CouponTemplate(**{k: v for k, v in data.items() if k in TEMPLATE_FIELDS})
        db.session.add(template)
        _set_budgets(template, data.get("budgets") or [])
    return template


def update_template(template: CouponTemplate, data: dict) -> CouponTemplate:
    """Change a template; issued coupons keep their own expiry."""
    with committed():
        _check_template(data, template)
        for key, value in data.items():
            if key in TEMPLATE_FIELDS:
                setattr(template, key, value)
        if "budgets" in data:
            _set_budgets(template, data["budgets"])
    return template
