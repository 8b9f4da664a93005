"""Marshmallow schemas for the organisation API: what comes in, what goes out.

Bodies use strict integers and numbers (``"1"`` is refused), bounded strings, and refuse
unknown fields (marshmallow's default). HQ and franchise owners update through separate
schemas, so an owner can never mass-assign ``franchisee_id``, ``sub_mch_id`` or
``profit_share_bps``. Query strings are strings by nature, so their integers are not
strict; their ranges are still bounded.
"""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate

from app.schemas import (
    PageQuerySchema,
    StrictFloat,
    Text,
    all_optional,
    body_id,
    page_schema,
    query_id,
)
from franchise.models import FRANCHISEE_STATUSES, GUIDE_STATUSES, MAX_PROFIT_SHARE_BPS

CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", error="Letters, digits, - and _.")
SUB_MCH_ID = validate.Regexp(r"^\d{8,12}$", error="8 to 12 digits.")
WECOM_USERID = validate.Regexp(r"^[A-Za-z0-9_.@-]{1,64}$", error="Letters, digits, _ . @ -.")
PHONE = validate.Regexp(r"^[0-9+\- ]{0,20}$", error="Digits, +, - and spaces, at most 20.")


def _text(max_len: int, min_len: int = 1, **kw):
    return Text(validate=validate.Length(min=min_len, max=max_len), **kw)


# --- regions ----------------------------------------------------------------------


class RegionSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String()
    name = fields.String()
    cities = fields.List(fields.String(), attribute="city_names")
    default_franchisee_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class RegionCreateSchema(Schema):
    """A new region; its default franchisee is chosen later, among its own franchisees."""

    code = Text(required=True, validate=[validate.Length(max=16), CODE])
    name = _text(64, required=True)
    cities = fields.List(_text(32), load_default=list, validate=validate.Length(max=200))


# the code stays; the default franchisee is chosen among the region's own
RegionUpdateSchema = all_optional(
    RegionCreateSchema,
    "RegionUpdateSchema",
    exclude=("code",),
    default_franchisee_id=body_id(allow_none=True),
)


class RegionQuerySchema(PageQuerySchema):
    pass


# --- franchisees ------------------------------------------------------------------


class FranchiseeSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    contact_name = fields.String()
    phone = fields.String()
    region_id = fields.Integer()
    region_name = fields.String()
    sub_mch_id = fields.String()
    profit_share_bps = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime(dump_only=True)


class FranchiseeCreateSchema(Schema):
    name = _text(64, required=True)
    contact_name = _text(32, min_len=0, load_default="")
    phone = Text(load_default="", validate=PHONE)
    region_id = body_id(required=True)
    sub_mch_id = Text(required=True, validate=SUB_MCH_ID)
    profit_share_bps = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_PROFIT_SHARE_BPS)
    )
    status = Text(load_default="active", validate=validate.OneOf(FRANCHISEE_STATUSES))


# HQ's update: every field, all optional
FranchiseeUpdateSchema = all_optional(FranchiseeCreateSchema, "FranchiseeUpdateSchema")


class FranchiseeQuerySchema(PageQuerySchema):
    region_id = query_id()
    status = Text(validate=validate.OneOf(FRANCHISEE_STATUSES))


# --- stores -----------------------------------------------------------------------


class PublicStoreSchema(Schema):
    """What anyone may read of an open store (the mini-program's store finder)."""

    id = fields.Integer(dump_only=True)
    name = fields.String()
    city = fields.String()
    address = fields.String()
    phone = fields.String()
    business_hours = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()


class StoreSchema(PublicStoreSchema):
    franchisee_id = fields.Integer()
    franchisee_name = fields.String()
    region_id = fields.Integer()
    region_name = fields.String()
    code = fields.String()
    is_open = fields.Boolean()
    customer_capacity = fields.Integer(allow_none=True)
    opened_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class StoreCreateSchema(Schema):
    """HQ's create: the region defaults to the franchisee's."""

    franchisee_id = body_id(required=True)
    region_id = body_id()
    code = Text(required=True, validate=CODE)
    name = _text(64, required=True)
    city = _text(32, required=True)
    address = _text(255, min_len=0)
    phone = Text(validate=PHONE)
    business_hours = _text(64, min_len=0)
    latitude = StrictFloat(required=True, validate=validate.Range(min=-90, max=90), allow_nan=False)
    longitude = StrictFloat(
        required=True, validate=validate.Range(min=-180, max=180), allow_nan=False
    )
    is_open = fields.Boolean()
    customer_capacity = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=10**7)
    )
    opened_at = fields.AwareDateTime(allow_none=True, default_timezone=UTC)


# HQ's update: every field, all optional (``is_open: false`` closes the store)
StoreUpdateSchema = all_optional(StoreCreateSchema, "StoreUpdateSchema")


class OwnerStoreUpdateSchema(Schema):
    """What a franchise owner may change on their own store.

    Only contact details: the address and coordinates decide which customers the store
    is assigned, and the code, franchisee and region are HQ's, so those stay with HQ.
    """

    phone = Text(validate=PHONE)
    business_hours = _text(64, min_len=0)


class StoreQuerySchema(PageQuerySchema):
    region_id = query_id()
    franchisee_id = query_id()
    city = Text(validate=validate.Length(max=32))
    is_open = fields.Boolean()


# --- guides -----------------------------------------------------------------------


class GuideSchema(Schema):
    id = fields.Integer(dump_only=True)
    store_id = fields.Integer()
    store_name = fields.String()
    franchisee_id = fields.Integer()
    franchisee_name = fields.String()
    name = fields.String()
    phone = fields.String()
    wecom_userid = fields.String()
    wecom_name = fields.String(dump_only=True, metadata={"description": "the linked member"})
    status = fields.String()
    left_at = fields.DateTime(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class GuideCreateSchema(Schema):
    """HQ's create: the franchisee is the store's, never given."""

    store_id = body_id(required=True)
    name = _text(32, required=True)
    phone = Text(load_default="", validate=PHONE)
    wecom_userid = Text(required=True, validate=WECOM_USERID)
    user_id = body_id(allow_none=True, load_default=None)


# HQ's update (``status: "left"`` records the guide leaving)
GuideUpdateSchema = all_optional(
    GuideCreateSchema,
    "GuideUpdateSchema",
    status=Text(validate=validate.OneOf(GUIDE_STATUSES)),
)


class GuideQuerySchema(PageQuerySchema):
    store_id = query_id()
    franchisee_id = query_id()
    region_id = query_id()
    status = Text(validate=validate.OneOf(GUIDE_STATUSES))


RegionPageSchema = page_schema(RegionSchema, "RegionPage")
FranchiseePageSchema = page_schema(FranchiseeSchema, "FranchiseePage")
StorePageSchema = page_schema(StoreSchema, "StorePage")
GuidePageSchema = page_schema(GuideSchema, "GuidePage")
