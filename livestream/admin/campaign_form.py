"""The campaign wizard's form plumbing: choices, form ↔ service values, error → step.

Line-up rows arrive as parallel lists (``lineup_product_id``, ``lineup_live_price``
in yuan, ``lineup_stock_cap``, ``lineup_coupon_template_id``); rows without a product are
dropped. ``to_service`` loads the form's other fields the way every page does
(``app.web.form_input.form_values`` by ``CampaignInputSchema``) and the line-up's yuan
through ``app.money.parse_yuan`` (an amount it refuses fails the price rule).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.clock import SHANGHAI, as_utc, shanghai_day
from app.extensions import db
from app.money import YuanError, format_yuan, parse_yuan
from app.web.form_input import form_values
from community.models import ContentPost
from franchise.models import CouponTemplate, Franchisee, Product, Region, Store
from livestream.models import Campaign
from livestream.schemas import CampaignInputSchema, LineupInSchema

STEP_FIELDS = {
    1: ("name", "mode", "live_at", "live_date", "live_time", "duration_minutes", "description"),
    2: ("region_ids", "franchisee_ids", "store_ids", "stores"),
    3: ("lineup",),
}
ID_LISTS = ("region_ids", "franchisee_ids", "store_ids")


def choices() -> dict:
    """Everything the wizard's selects and checkbox lists offer."""

    def all_of(stmt):
        return db.session.scalars(stmt).all()

    return {
        "regions": all_of(select(Region).order_by(Region.id)),
        "franchisees": all_of(select(Franchisee).order_by(Franchisee.region_id, Franchisee.id)),
        "stores": all_of(select(Store).order_by(Store.region_id, Store.franchisee_id, Store.id)),
        "products": all_of(select(Product).where(Product.is_active.is_(True)).order_by(Product.id)),
        "coupons": all_of(
            select(CouponTemplate)
            .where(CouponTemplate.is_active.is_(True))
            .order_by(CouponTemplate.id)
        ),
        "posts": all_of(
            select(ContentPost).where(ContentPost.status == "active").order_by(ContentPost.id)
        ),
    }


def form_data(form) -> dict:
    """The posted wizard as a dict of strings / lists of strings (for re-rendering)."""
    rows = zip(
        form.getlist("lineup_product_id"),
        form.getlist("lineup_live_price"),
        form.getlist("lineup_stock_cap"),
        form.getlist("lineup_coupon_template_id"),
        strict=False,
    )
    return {
        "name": form.get("name", "").strip(),
        "mode": form.get("mode", ""),
        "live_date": form.get("live_date", ""),
        "live_time": form.get("live_time", ""),
        "duration_minutes": form.get("duration_minutes", ""),
        "description": form.get("description", ""),
        **{key: [v for v in form.getlist(key) if v] for key in ID_LISTS},
        "lineup": [
            {"product_id": p, "live_price": price, "stock_cap": cap, "coupon_template_id": c}
            for p, price, cap, c in rows
            if p
        ],
        "warmup_post_id": form.get("warmup_post_id", ""),
        "gate_threshold_pct": form.get("gate_threshold_pct", ""),
        "gate_requires_link_check": bool(form.get("gate_requires_link_check")),
        "confirm_low_prices": bool(form.get("confirm_low_prices")),
    }


def _row(row: dict) -> dict:
    """One line-up row of the form as ``LineupInSchema``'s input (yuan → fen)."""
    ids = form_values(
        LineupInSchema(),
        MultiDict(
            {
                "product_id": row["product_id"],
                "stock_cap": row["stock_cap"] or "0",
                "coupon_template_id": row["coupon_template_id"],
            }
        ),
    )
    try:
        ids["live_price_fen"] = parse_yuan(row["live_price"], lo=1)
    except YuanError:
        ids["live_price_fen"] = -1  # refused by the schema's range, on this row's field
    return ids


def to_service(form, data: dict) -> dict:
    """The posted wizard (``form``, and its rows in ``data``) as ``save_campaign`` input."""
    out = form_values(CampaignInputSchema(), form)
    if not out.get("live_date"):
        out["live_at"] = None  # reported on the date field
        out.pop("live_date", None)
    out["gate_requires_link_check"] = bool(data["gate_requires_link_check"])
    out["confirm_low_prices"] = bool(data.get("confirm_low_prices"))
    out["lineup"] = [_row(row) for row in data["lineup"]]
    return out


def campaign_data(campaign: Campaign | None) -> dict:
    """The wizard's values for a campaign (defaults for a new one)."""
    if campaign is None:
        return {
            "mode": "hq",
            "live_time": "20:00",
            "duration_minutes": "120",
            "gate_threshold_pct": "90",
            "gate_requires_link_check": True,
            "lineup": [],
            **{key: [] for key in ID_LISTS},
        }
    local = as_utc(campaign.live_at).astimezone(SHANGHAI)
    return {
        "name": campaign.name,
        "mode": campaign.mode,
        "live_date": local.date().isoformat(),
        "live_time": local.strftime("%H:%M"),
        "duration_minutes": str(campaign.duration_minutes),
        "description": campaign.description or "",
        **{key: [str(i) for i in getattr(campaign, key) or []] for key in ID_LISTS},
        "lineup": [
            {
                "product_id": str(item.product_id),
                "live_price": format_yuan(item.live_price_fen),
                "stock_cap": str(item.stock_cap),
                "coupon_template_id": str(item.coupon_template_id or ""),
            }
            for item in campaign.lineup
        ],
        "warmup_post_id": str(campaign.warmup_post_id or ""),
        "gate_threshold_pct": str(campaign.gate_threshold_pct),
        "gate_requires_link_check": campaign.gate_requires_link_check,
    }


def first_error_step(errors: dict) -> int:
    """The wizard step (1..4) holding the first field in error (1 when none)."""
    if not errors:
        return 1
    for step, fields in STEP_FIELDS.items():
        for key in errors:
            if key.split(".")[0] in fields:
                return step
    return 4


def floor_day(campaign: Campaign | None) -> date:
    """No step starts before this day: the creation day (today for a new campaign)."""
    if campaign is None or campaign.created_at is None:
        return shanghai_day()
    return shanghai_day(campaign.created_at)


def stores_by_region(campaign: Campaign) -> list[dict]:
    """Participating stores grouped by region: ``[{"region", "stores": [Store]}]``."""
    groups: dict[int, dict] = {}
    for row in campaign.stores:
        group = groups.setdefault(
            row.region_id, {"region": db.session.get(Region, row.region_id), "stores": []}
        )
        group["stores"].append(row.store)
    return list(groups.values())
