"""The pages that take photos of a piece take phone-sized ones (issue 19): a form with a
3 MB photo is over the app's 2 MB body limit, which the CSRF check met first (413 before
the view ran); those views are marked ``accepts_upload`` and the photo rules answer
instead. Every other page keeps the app's limit."""

from __future__ import annotations

from app.extensions import db
from franchise.models import ConsignmentPhoto, ServiceTicketPhoto
from tests.fixtures.auth import csrf_token_from, login
from tests.fixtures.media import tiny_png
from tests.franchise.factories_photos import take_in

PHONE_PHOTO = tiny_png() + b"\0" * (3 * 1024 * 1024)


def test_the_guides_intake_form_takes_a_phone_photo(client, app, shop):
    assert app.config["MAX_CONTENT_LENGTH"] < len(PHONE_PHOTO)
    done = take_in(client, shop.ca, "ticket", PHONE_PHOTO, "phone.png")
    assert done.status_code == 303
    with app.app_context():
        assert [len(p.data) for p in db.session.query(ServiceTicketPhoto)] == [len(PHONE_PHOTO)]


def test_the_consignment_intake_takes_a_phone_photo(client, app, shop):
    done = take_in(client, shop.ca, "consignment", PHONE_PHOTO, "phone.png")
    assert done.status_code == 303, done.status_code
    with app.app_context():
        assert db.session.query(ConsignmentPhoto).count() == 1


def test_other_pages_keep_the_apps_body_limit(client, app, shop):
    login(client, "owner-a")
    token = csrf_token_from(client.get("/admin/consignments/new").get_data(as_text=True))
    body = {"csrf_token": token, "note": "x" * (3 * 1024 * 1024)}
    assert client.post("/admin/consignments/1/move", data=body).status_code == 413
