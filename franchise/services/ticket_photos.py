"""Photos taken of a customer's piece (issue 19): taken in for service or on
consignment, or looked at in an O2O inspection. JPG or PNG, at most 5 MB each and 6 a
record, kept in the database with the ticket, the consignment or the inspection's
outcome; ``photo_response`` serves one to a page that already checked its scope;
``listed`` and ``photo_of`` read a record's photos for the JSON API
(``franchise.api.piece_photos``); ``photo_credit`` is the line the pages show under each
photo (who took it and when)."""

from __future__ import annotations

from flask import Response
from sqlalchemy import func, select

from app.auth.models import User
from app.auth.scope import not_found
from app.db import committing
from app.extensions import db
from app.i18n import tr
from app.schemas import MAX_ID
from app.web.formatting import shanghai
from franchise.models import ConsignmentPhoto, InspectionPhoto, ServiceTicketPhoto
from franchise.models.aftersales import IntakePhoto
from franchise.services.base import invalid
from franchise.services.case_history import user_name

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# the body a form or an API call adding a record's photos may send (the rest of the form
# is small); beyond it HTTP 413, within it the rules above answer 422 on ``photos``
PHOTO_BODY_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 256 * 1024
# each photo table's column naming its record (a ticket, a consignment, an inspection)
OWNER_COLUMN = {
    ServiceTicketPhoto: ServiceTicketPhoto.ticket_id,
    ConsignmentPhoto: ConsignmentPhoto.consignment_id,
    InspectionPhoto: InspectionPhoto.appointment_id,
}
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


def add_photos(
    owner, files: list[tuple[str, bytes]], photo_model=ServiceTicketPhoto, taken_by=None
):
    """Keep intake photos (checked by ``check_photos``) on ``owner``'s ``photos`` (a
    ticket, or a consignment with ``photo_model=ConsignmentPhoto``), taken by the user id
    ``taken_by``; commits. Nothing is kept when one is refused."""
    with committing(db.session):
        check_photos(files, len(owner.photos))
        for filename, data in files:
            name = (filename or "photo")[:128]
            kind = photo_type(data) or "image/png"
            owner.photos.append(
                photo_model(filename=name, content_type=kind, data=data, taken_by_user_id=taken_by)
            )
    return owner


def photo_response(photo: IntakePhoto) -> Response:
    """One kept photo as the HTTP answer (the caller checked it is the viewer's to see):
    its bytes and type, cached privately for an hour."""
    return Response(
        photo.data, mimetype=photo.content_type, headers={"Cache-Control": "private, max-age=3600"}
    )


def listed(photo_model, owner_id: int) -> list[dict]:
    """The photos of record ``owner_id`` (its scope checked by the caller), oldest first:
    id, file name, type, size in bytes, when taken and who took them (a name; None when
    nobody is recorded). The bytes stay in the database."""
    taker = User.display_name, User.username
    rows = db.session.execute(
        select(
            photo_model.id,
            photo_model.filename,
            photo_model.content_type,
            func.length(photo_model.data).label("size"),
            photo_model.created_at,
            *taker,
        )
        .outerjoin(User, User.id == photo_model.taken_by_user_id)
        .where(OWNER_COLUMN[photo_model] == owner_id)
        .order_by(photo_model.id)
    )
    return [
        {
            "id": r.id,
            "filename": r.filename,
            "content_type": r.content_type,
            "size": r.size,
            "taken_at": r.created_at,
            "taken_by": (r.display_name or r.username) if r.username else None,
        }
        for r in rows
    ]


def photo_credit(photo: IntakePhoto) -> str:
    """Who took ``photo`` (a name) and when (Asia/Shanghai), in the viewer's language: the
    line under each photo on the pages (``franchise/_piece_photos.html``). A photo kept
    before the taker was recorded says only when."""
    when = shanghai(photo.created_at)
    if photo.taken_by_user_id is None:
        return tr("Taken at %(when)s", when=when)
    return tr("Taken by %(who)s at %(when)s", who=user_name(photo.taken_by_user_id), when=when)


def photo_of(photo_model, owner_id: int, photo_id: int) -> IntakePhoto:
    """Photo ``photo_id`` of record ``owner_id`` (its scope checked by the caller), else
    ``NotFound``: another record's photo does not exist here."""
    photo = None
    if 1 <= photo_id <= MAX_ID:
        photo = db.session.scalars(
            select(photo_model).where(
                photo_model.id == photo_id, OWNER_COLUMN[photo_model] == owner_id
            )
        ).first()
    if photo is None:
        raise not_found(photo_model)
    return photo
