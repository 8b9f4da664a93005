"""Marshmallow schemas several livestream API modules share.

``TargetProgressSchema`` is one unit's targets against actuals as ``services.progress`` gives
them (``target`` per metric, ``actual`` = ``Figures.as_dict()``, ``pct`` per metric or
null); ``TargetProgressRowSchema`` adds the unit (level, id, name). The targets editor, the live
dashboard and the review all answer with them. Campaign ids in URLs need no schema:
``services.access.campaign_or_404`` treats an id past the column's range as missing.
"""

from __future__ import annotations

from marshmallow import Schema, fields


class TargetProgressSchema(Schema):
    target = fields.Dict(keys=fields.String(), values=fields.Integer())
    actual = fields.Dict(keys=fields.String(), values=fields.Raw())
    pct = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))


class TargetProgressRowSchema(TargetProgressSchema):
    level = fields.String()
    ref_id = fields.Integer()
    name = fields.String()
