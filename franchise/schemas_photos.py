"""Marshmallow schemas of the photos of a customer's piece (issue 19): the multipart
upload (one or more files under ``photos``) and the list a record's photos answer with
(``franchise.api.piece_photos``; the rules in ``franchise.services.ticket_photos``)."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate


class PhotoUploadSchema(Schema):
    """``multipart/form-data``: JPG or PNG files under ``photos`` (at most 6 a record,
    5 MB each)."""

    photos = fields.List(Upload(), required=True, validate=validate.Length(min=1))


class PhotoSchema(Schema):
    """One kept photo: its bytes are at ``…/photos/{photo_id}``."""

    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True, metadata={"enum": ["image/jpeg", "image/png"]})
    size = fields.Integer(required=True, metadata={"description": "bytes"})
    taken_at = fields.DateTime(required=True, metadata={"description": "UTC"})
    taken_by = fields.String(
        allow_none=True, required=True, metadata={"description": "the staff member's name"}
    )


class PhotoListSchema(Schema):
    """A record's photos, oldest first."""

    items = fields.List(fields.Nested(PhotoSchema), required=True)
