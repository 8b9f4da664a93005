"""Marshmallow schemas of members and points (the mini-program contract, HQ's member
settings, the statements' points line)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.money import Yuan
from app.schemas import PageQuerySchema, Text, page_schema
from franchise.models import LEVELS, PAID_BY
from franchise.services import member_settings
from franchise.services.points_book import POSTINGS

POSTING_KINDS = tuple(POSTINGS)


class ExpiringSchema(Schema):
    points = fields.Integer()
    on = fields.Date()


class MemberSchema(Schema):
    """CONTRACT ``{"number", "level", "points", "points_expiring": [{"points", "on"}]}``."""

    number = fields.String()
    level = fields.String()
    level_label = fields.String()
    points = fields.Integer()
    points_expiring = fields.List(fields.Nested(ExpiringSchema))
    debt_points = fields.Integer()
    benefits = fields.Dict()


class PointsHistoryItemSchema(Schema):
    """CONTRACT ``{"points", "kind", "order_id"?, "at"}`` (points: + added, − taken)."""

    points = fields.Integer(attribute="member_points")
    kind = fields.String()
    order_id = fields.Integer(allow_none=True)
    at = fields.DateTime(attribute="created_at")


PointsHistoryPageSchema = page_schema(PointsHistoryItemSchema, "PointsHistoryPage")


class PointsLineSchema(Schema):
    """A franchisee's points line: points it paid for (earned) and gave away (redeemed),
    the net points and ``fen`` HQ owes it (negative: it owes HQ)."""

    points = fields.Integer()
    fen = fields.Integer()
    earned = fields.Integer()
    redeemed = fields.Integer()


class PointItemSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    points = fields.Integer()
    stock = fields.Integer()


class PointsRedeemSchema(Schema):
    item_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))


class LevelRuleSchema(Schema):
    code = fields.String(required=True, validate=validate.OneOf(LEVELS))
    threshold_fen: fields.Field = fields.Integer(
        strict=True, required=True, validate=validate.Range(0, 10**12)
    )
    earn_pct = fields.Integer(strict=True, required=True, validate=validate.Range(0, 10_000))
    discount_pct = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 50))
    free_cleanings = fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 52))
    priority_slots = fields.Boolean(load_default=False)
    event_invitations = fields.Boolean(load_default=False)
    birthday_coupon_template_id = fields.Integer(strict=True, allow_none=True, load_default=None)
    upgrade_coupon_template_id = fields.Integer(strict=True, allow_none=True, load_default=None)


class MemberConfigSchema(Schema):
    """HQ's member settings (every field optional: what is given replaces the stored)."""

    levels = fields.List(
        fields.Nested(LevelRuleSchema), validate=validate.Length(equal=len(LEVELS))
    )
    point_value_fen: fields.Field = fields.Integer(strict=True, validate=validate.Range(1, 10_000))
    carrier = fields.String(validate=validate.OneOf(member_settings.CARRIERS))
    franchisee_share_pct = fields.Integer(strict=True, validate=validate.Range(0, 100))
    burn_cap_pct = fields.Integer(strict=True, validate=validate.Range(0, 99))
    expiry = fields.String(validate=validate.OneOf(member_settings.EXPIRY_RULES))
    expiry_days = fields.Integer(strict=True, validate=validate.Range(1, 3650))
    reminder_days = fields.Integer(strict=True, validate=validate.Range(1, 365))
    signup_points = fields.Integer(strict=True, validate=validate.Range(0, 100_000))
    birthday_points = fields.Integer(strict=True, validate=validate.Range(0, 100_000))
    profile_points = fields.Integer(strict=True, validate=validate.Range(0, 100_000))
    refund_shortfall = fields.String(validate=validate.OneOf(member_settings.SHORTFALL_RULES))
    discount_categories = fields.List(
        Text(validate=validate.Length(1, 32)), validate=validate.Length(max=50)
    )


class LevelRulePageSchema(LevelRuleSchema):
    """A level row as HQ's settings page posts it: the spend threshold in yuan."""

    threshold_fen = Yuan(data_key="threshold_yuan", required=True, hi=10**12)


class MemberConfigPageSchema(MemberConfigSchema):
    """The settings page's form: money in yuan (a point's value too), the rest as the API."""

    levels = fields.List(
        fields.Nested(LevelRulePageSchema), validate=validate.Length(equal=len(LEVELS))
    )
    point_value_fen = Yuan(data_key="point_value_yuan", lo=1, hi=10_000)


class PointsHistoryFilters(Schema):
    """A member's points statement narrowed to one kind of posting and a span of Shanghai
    days (either end open)."""

    kind = fields.String(validate=validate.OneOf(POSTING_KINDS))
    date_from = fields.Date()
    date_to = fields.Date()


class PointsHistoryQuerySchema(PointsHistoryFilters, PageQuerySchema):
    pass


class MemberListQuerySchema(PageQuerySchema):
    level = fields.String(validate=validate.OneOf(LEVELS))


class MemberRowSchema(Schema):
    number = fields.String()
    customer_id = fields.Integer()
    nickname = fields.Function(lambda m: m.customer.nickname if m.customer else "")
    level = fields.String()
    points = fields.Integer()
    spend_12m_fen = fields.Integer()


MemberPageSchema = page_schema(MemberRowSchema, "MemberPage")


class SaleItemSchema(Schema):
    product_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    quantity = fields.Integer(strict=True, required=True, validate=validate.Range(1, 99))
    # issue 19: the registered piece sold, priced by its own weight
    piece_serial = Text(load_default="", validate=validate.Length(max=32))


class StoreSaleSchema(Schema):
    """A guide's in-store sale: the member, the products, the amount paid (yuan) and how."""

    customer_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    items = fields.List(
        fields.Nested(SaleItemSchema), required=True, validate=validate.Length(1, 20)
    )
    amount = Yuan(required=True, lo=1)
    paid_by = fields.String(required=True, validate=validate.OneOf(PAID_BY))
    coupon_code = Text(allow_none=True, validate=validate.Length(max=20))
    note = Text(load_default="", validate=validate.Length(max=255))


class StoreSaleAnswerSchema(Schema):
    id = fields.Integer()
    order_no = fields.String()
    channel = fields.String()
    status = fields.String()
    total_fen = fields.Integer()
    paid_fen = fields.Integer()
    customer_id = fields.Integer()
    guide_id = fields.Integer()


class PointItemCreateSchema(Schema):
    """HQ adds a point item: a name, its price in points, the stock."""

    name = Text(required=True, validate=validate.Length(1, 64))
    points = fields.Integer(strict=True, required=True, validate=validate.Range(1, 10**9))
    stock = fields.Integer(strict=True, required=True, validate=validate.Range(0, 10**6))
