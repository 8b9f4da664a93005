"""Schemas of WeCom's member directory (``/api/v1/wecom/members``), HQ only."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas import PageQuerySchema, Text, page_schema
from app.web.labels import label


class WecomMemberSchema(Schema):
    """A member as the picker shows it: the name and department first, the userid last."""

    userid = fields.String(metadata={"description": "the value a guide is linked by"})
    name = fields.String()
    department_id = fields.Integer()
    department_name = fields.String()
    label = fields.String(metadata={"description": "name · department"})
    status = fields.Integer(
        metadata={"description": "1 activated, 2 disabled, 4 not activated, 5 left"}
    )
    status_label = fields.Function(lambda m: label(m.status, "wecom_member_status"))
    guide_id = fields.Integer(allow_none=True, metadata={"description": "the linked guide"})
    guide_name = fields.String()
    synced_at = fields.DateTime()


WecomMemberPageSchema = page_schema(WecomMemberSchema, "WecomMemberPage")


class WecomMemberQuerySchema(PageQuerySchema):
    """``?q=`` (name, department or userid), ``linked=yes|no``, ``for_guide`` (a guide
    whose own member stays offered when ``linked=no``)."""

    linked = Text(validate=validate.OneOf(("yes", "no")))
    for_guide = fields.Integer(validate=validate.Range(min=1))


class WecomSyncSchema(Schema):
    departments = fields.Integer()
    members = fields.Integer()
    gone = fields.Integer(metadata={"description": "members WeCom no longer lists"})
