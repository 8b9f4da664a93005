"""Campaign input: the checks ``save_campaign`` runs before it touches anything.

``validate(data, campaign)`` loads ``data`` through ``livestream.schemas.CampaignInputSchema``
(every field's type and bounds: the schema the API's body is loaded with), then checks
what no schema can see (the ids and the products exist, a live price is at most the
list price, the live is in the future, a product is in the line-up once). It returns the
clean values of the keys present (every key on create) or raises ``Invalid`` naming every
bad field at once (line-up rows as ``lineup.<i>.<field>``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from marshmallow import ValidationError
from sqlalchemy import select

from app.clock import SHANGHAI, as_utc, utcnow
from app.extensions import db
from app.i18n import tr
from app.validation_messages import flat_errors
from community.models import ContentPost
from franchise.models import CouponTemplate, Franchisee, Product, Region, Store
from franchise.services.base import Invalid
from franchise.services.settings import live_price_floor_pct
from livestream.models.campaigns import Campaign
from livestream.schemas import CampaignInputSchema

ID_LISTS = {"region_ids": Region, "franchisee_ids": Franchisee, "store_ids": Store}


def _loaded(data: dict, creating: bool) -> tuple[dict, dict[str, list[str]]]:
    """``data`` through the schema: the valid values and the messages per field."""
    schema = CampaignInputSchema()
    # on change every top-level key is optional; a line-up row is whole either way
    partial = () if creating else tuple(schema.load_fields)
    try:
        return schema.load(data, partial=partial), {}
    except ValidationError as exc:
        return dict(exc.valid_data or {}), flat_errors(exc.messages)


def _live_at(data: dict, clean: dict, errors: dict, campaign, fail) -> None:
    """``clean["live_at"]`` from ``live_at`` or ``live_date`` + ``live_time`` (Shanghai,
    20:00 when no time), required on create and in the future unless unchanged."""
    day, at = clean.pop("live_date", None), clean.pop("live_time", None)
    creating = campaign is None
    if not (creating or "live_at" in data or "live_date" in data):
        return
    field = "live_at" if "live_at" in data else "live_date"
    value = clean.get("live_at")
    if value is None and day is not None:
        value = datetime.combine(day, time.fromisoformat(at or "20:00"), tzinfo=SHANGHAI)
    if value is None:
        if not {"live_at", "live_date", "live_time"} & set(errors):
            fail(field, tr("The live date and time are required."))
        clean["live_at"] = None
        return
    value = value.astimezone(UTC).replace(microsecond=0)
    if value <= utcnow() and (creating or value != as_utc(campaign.live_at)):
        fail(field, tr("The live must be in the future."))
    clean["live_at"] = value


def _ids(clean: dict, key: str, model, fail) -> None:
    """Sorted unique ids that exist in ``model``'s table."""
    ids = sorted(set(clean.get(key) or []))
    found = set(db.session.scalars(select(model.id).where(model.id.in_(ids)))) if ids else set()
    if set(ids) - found:
        unknown = ", ".join(str(i) for i in sorted(set(ids) - found))
        fail(key, tr("Unknown id: %(ids)s.", ids=unknown))
    clean[key] = ids


def below_floor(live_price_fen: int, list_price_fen: int, floor_pct: int) -> bool:
    """Whether a live price is under ``floor_pct`` % of the list price (integer fen math)."""
    return live_price_fen * 100 < list_price_fen * floor_pct


def _lineup(rows: list[dict], errors: dict, fail, confirmed: bool = False) -> None:
    """The rows' products exist, once each, at most at their list price and, unless
    ``confirmed``, not under HQ's floor; coupons exist."""
    seen = set()
    floor_pct = live_price_floor_pct()
    for i, row in enumerate(rows):
        key = f"lineup.{i}."
        product_id = row.get("product_id")
        product = db.session.get(Product, product_id) if product_id else None
        if key + "product_id" in errors:
            continue  # the schema's message stands; nothing more to check on this row
        if product is None:
            fail(key + "product_id", tr("Choose a product."))
        elif product_id in seen:
            fail(key + "product_id", tr("This product is already in the line-up."))
        seen.add(product_id)
        price = row.get("live_price_fen")
        if price is not None and product is not None and price > product.price_fen:
            message = tr("The live price must be above 0 and at most the list price.")
            fail(key + "live_price_fen", message)
        elif (
            price is not None
            and product is not None
            and not confirmed
            and below_floor(price, product.price_fen, floor_pct)
        ):
            message = tr(
                "Under %(pct)s%% of the list price: confirm the low prices to keep it.",
                pct=floor_pct,
            )
            fail(key + "live_price_fen", message)
        coupon_id = row.get("coupon_template_id")
        if coupon_id is not None and db.session.get(CouponTemplate, coupon_id) is None:
            fail(key + "coupon_template_id", tr("Unknown coupon template."))


def validate(data: dict, campaign: Campaign | None) -> dict:
    """The clean values of the keys present (all required on create); raises ``Invalid``."""
    creating = campaign is None
    clean, errors = _loaded(data, creating)

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if "name" in clean:
        clean["name"] = clean["name"].strip()
        if not clean["name"]:
            fail("name", tr("A name of 1 to 64 characters."))
    _live_at(data, clean, errors, campaign, fail)
    for key, model in ID_LISTS.items():
        if creating or key in clean:
            _ids(clean, key, model, fail)
    post_id = clean.get("warmup_post_id")
    if post_id is not None and db.session.get(ContentPost, post_id) is None:
        fail("warmup_post_id", tr("Unknown post."))
    confirmed = bool(clean.pop("confirm_low_prices", False))
    if "lineup" in clean:
        _lineup(clean["lineup"], errors, fail, confirmed)
    if errors:
        raise Invalid(tr("The request has invalid fields."), errors=errors)
    return clean
