"""Campaign input: the checks ``save_campaign`` runs before it touches anything.

``validate(data, campaign)`` returns the clean values of the keys present (every key on
create) or raises ``Invalid`` naming every bad field at once (line-up rows as
``lineup.<i>.<field>``). Also the small converter the pages share:
``yuan_to_fen``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from sqlalchemy import select

from app.clock import SHANGHAI, as_utc, utcnow
from app.extensions import db
from app.i18n import tr
from community.models import ContentPost
from franchise.models import CouponTemplate, Franchisee, Product, Region, Store
from franchise.services.base import Invalid
from franchise.services.catalog import MAX_PRICE_FEN
from livestream.models.campaigns import MODES, Campaign

MAX_IDS, MAX_LINEUP, MAX_ID = 500, 100, 2**31 - 1


def yuan_to_fen(text) -> int | None:
    """``"1999.5"`` → 199950; None when it is not an amount with at most 2 decimals."""
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or cast(int, value.as_tuple().exponent) < -2 or abs(value) > 10**9:
        return None
    return int(value * 100)


def strict_int(value, lo: int = 1, hi: int = MAX_ID) -> int | None:
    """An int (or digit text) within ``lo..hi``; None for anything else (bools too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and lo <= value <= hi else None


def _id_list(value, field: str, model, errors: dict) -> list[int]:
    """Sorted unique ids that exist in ``model``'s table; errors on ``field`` otherwise."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or len(value) > MAX_IDS:
        errors[field] = [tr("A list of ids.")]
        return []
    ids: list[Any] = [strict_int(v) for v in value if v not in ("", None)]
    if any(i is None for i in ids):
        errors[field] = [tr("Whole numbers only.")]
        return []
    ids = sorted(set(ids))
    found = set(db.session.scalars(select(model.id).where(model.id.in_(ids)))) if ids else set()
    if set(ids) - found:
        unknown = ", ".join(str(i) for i in sorted(set(ids) - found))
        errors[field] = [tr("Unknown id: %(ids)s.", ids=unknown)]
    return ids


def _live_at(data: dict, errors: dict) -> datetime | None:
    """``live_at`` (aware datetime or ISO text) or ``live_date`` + ``live_time`` (Shanghai)."""
    value = data.get("live_at")
    if value in (None, "") and data.get("live_date"):
        try:
            day = date.fromisoformat(str(data["live_date"]))
            at = time.fromisoformat(str(data.get("live_time") or "20:00")[:5])
        except ValueError:
            errors["live_date"] = [tr("A date and a time (HH:MM).")]
            return None
        return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        errors["live_at" if "live_at" in data else "live_date"] = [
            tr("The live date and time are required.")
        ]
        return None
    return value.astimezone(UTC).replace(microsecond=0)


def _lineup(rows, errors: dict) -> list[dict]:
    """Validated line-up rows ``{product_id, live_price_fen, stock_cap, coupon_template_id}``."""
    if not isinstance(rows, list | tuple) or len(rows) > MAX_LINEUP:
        errors["lineup"] = [tr("At most 100 products.")]
        return []
    out, seen = [], set()
    for i, row in enumerate(rows):
        row = row if isinstance(row, dict) else {}
        key = f"lineup.{i}."
        product_id = strict_int(row.get("product_id"))
        product = db.session.get(Product, product_id) if product_id else None
        if product is None:
            errors[key + "product_id"] = [tr("Choose a product.")]
        elif product_id in seen:
            errors[key + "product_id"] = [tr("This product is already in the line-up.")]
        seen.add(product_id)
        price = strict_int(row.get("live_price_fen"), 1, MAX_PRICE_FEN)
        if price is None or (product is not None and price > product.price_fen):
            errors[key + "live_price_fen"] = [
                tr("The live price must be above 0 and at most the list price.")
            ]
        cap = strict_int(row.get("stock_cap", 0) or 0, 0, 10**6)
        if cap is None:
            errors[key + "stock_cap"] = [tr("A stock cap from 0 to 1000000.")]
        coupon_id = row.get("coupon_template_id")
        if coupon_id in ("", None):
            coupon_id = None
        else:
            coupon_id = strict_int(coupon_id)
            if coupon_id is None or db.session.get(CouponTemplate, coupon_id) is None:
                errors[key + "coupon_template_id"] = [tr("Unknown coupon template.")]
        out.append(
            {
                "product_id": product_id,
                "live_price_fen": price,
                "stock_cap": cap,
                "coupon_template_id": coupon_id,
            }
        )
    return out


def validate(data: dict, campaign: Campaign | None) -> dict:
    """The clean values of the keys present (all required on create); raises ``Invalid``."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    creating = campaign is None

    def has(key: str) -> bool:
        return creating or key in data

    if has("name"):
        name = data.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name or len(name) > 64:
            errors["name"] = [tr("A name of 1 to 64 characters.")]
        clean["name"] = name
    if has("mode"):
        if data.get("mode") not in MODES:
            errors["mode"] = [tr("Choose hq or store.")]
        clean["mode"] = data.get("mode")
    if creating or "live_at" in data or "live_date" in data:
        live_at = _live_at(data, errors)
        if (
            live_at is not None
            and live_at <= utcnow()
            and (campaign is None or live_at != as_utc(campaign.live_at))
        ):
            errors["live_at" if "live_at" in data else "live_date"] = [
                tr("The live must be in the future.")
            ]
        clean["live_at"] = live_at
    if has("duration_minutes") and data.get("duration_minutes") not in (None, ""):
        minutes = strict_int(data.get("duration_minutes"), 15, 720)
        if minutes is None:
            errors["duration_minutes"] = [tr("From 15 to 720 minutes.")]
        clean["duration_minutes"] = minutes
    if "description" in data:
        text = data.get("description") or ""
        if not isinstance(text, str) or len(text) > 2000:
            errors["description"] = [tr("At most 2000 characters.")]
        clean["description"] = text if isinstance(text, str) else ""
    for key, model in (
        ("region_ids", Region),
        ("franchisee_ids", Franchisee),
        ("store_ids", Store),
    ):
        if has(key):
            clean[key] = _id_list(data.get(key), key, model, errors)
    if "gate_threshold_pct" in data:
        pct = strict_int(data.get("gate_threshold_pct"), 0, 100)
        if pct is None:
            errors["gate_threshold_pct"] = [tr("A percentage from 0 to 100.")]
        clean["gate_threshold_pct"] = pct
    if "gate_requires_link_check" in data:
        clean["gate_requires_link_check"] = bool(data.get("gate_requires_link_check"))
    if "warmup_post_id" in data:
        post_id = data.get("warmup_post_id")
        if post_id in ("", None):
            clean["warmup_post_id"] = None
        else:
            post_id = strict_int(post_id)
            if post_id is None or db.session.get(ContentPost, post_id) is None:
                errors["warmup_post_id"] = [tr("Unknown post.")]
            clean["warmup_post_id"] = post_id
    if "lineup" in data:
        clean["lineup"] = _lineup(data.get("lineup"), errors)
    if errors:
        raise Invalid(tr("The request has invalid fields."), errors=errors)
    return clean
