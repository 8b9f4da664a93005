"""Photos taken of a customer's piece (issue 19): taken in for service or on
consignment, or looked at in an O2O inspection. JPG or PNG, at most 5 MB each and 6 a
record, kept in the database with the ticket, the consignment or the inspection's
outcome; ``photo_response`` serves one to a page that already checked its scope."""

from __future__ import annotations

from flask import Response

from app.db import committing
from app.extensions import db
from app.i18n import tr
from franchise.models import ServiceTicketPhoto
from franchise.models.aftersales import IntakePhoto
from franchise.services.base import invalid

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def photo_type(data: bytes) -> str | None:
    """``image/jpeg`` or ``image/png`` from the file's first bytes, else None."""
    return next((kind for magic, kind in PHOTO_TYPES.items() if data.startswith(magic)), None)


def check_photos(files: list[tuple[str, bytes]], already: int) -> None:
    """422 on ``photos`` when a file is not a JPG / PNG, is too big, or there would be
    more than ``MAX_PHOTOS`` on the record (a ticket, a consignment, an inspection)."""
    if already + len(files) > MAX_PHOTOS:
        raise invalid("photos", tr("At most %(n)s photos in all.", n=MAX_PHOTOS))
    for _filename, data in files:
        if photo_type(data) is None:
            raise invalid("photos", "A photo must be a JPG or PNG file.")
        if len(data) > MAX_PHOTO_BYTES:
            raise invalid("photos", "A photo may be at most 5 MB.")


def uploaded(files, field: str = "photos") -> list[tuple[str, bytes]]:
    """The photos a page's form sent under ``field`` (``request.files``), checked by
    ``check_photos`` (empty file boxes skipped)."""
    read = [(f.filename or "photo", f.read()) for f in files.getlist(field) if f]
    photos = [(name, data) for name, data in read if data]
    check_photos(photos, already=0)
    return photos


def add_photos(owner, files: list[tuple[str, bytes]], photo_model=ServiceTicketPhoto):
    """Keep intake photos (checked by ``check_photos``) on ``owner``'s ``photos`` (a
    ticket, or a consignment with ``photo_model=ConsignmentPhoto``); commits. Nothing is
    kept when one is refused."""
    with committing(db.session):
        check_photos(files, len(owner.photos))
        for filename, data in files:
            name = (filename or "photo")[:128]
            kind = photo_type(data) or "image/png"
            owner.photos.append(photo_model(filename=name, content_type=kind, data=data))
    return owner


def photo_response(photo: IntakePhoto) -> Response:
    """One kept photo as the HTTP answer (the caller checked it is the viewer's to see):
    its bytes and type, cached privately for an hour."""
    return Response(
        photo.data, mimetype=photo.content_type, headers={"Cache-Control": "private, max-age=3600"}
    )
