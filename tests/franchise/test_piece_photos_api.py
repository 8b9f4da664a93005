"""Photos of a customer's piece over the JSON API (issue 19): staff add them to a service
ticket, a consignment or a recorded O2O inspection (multipart, under ``photos``), list
them (type, size, taken at in UTC, who took them) and read their bytes; the customer
reads their own ticket's. JPG / PNG by their first bytes, at most 5 MB and 6 a record,
else 422 naming ``photos`` and nothing kept; another franchise's record, another
record's photo and another customer's ticket are 404."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.extensions import db
from franchise.models import InspectionPhoto, ServiceTicketPhoto
from franchise.services.ticket_photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from tests.fixtures.auth import api_token, bearer
from tests.fixtures.media import tiny_png
from tests.fixtures.randomness import db_examples
from tests.franchise.factories_commerce import customer_headers

PNG = tiny_png()
JPG = b"\xff\xd8\xff\xe0" + b"clasp" * 40


@pytest.fixture
def owner_b(client, shop):
    return bearer(api_token(client, "owner-b"))


def _upload(client, url, headers, *files: tuple[bytes, str]):
    body = {"photos": [(BytesIO(data), name) for data, name in files]}
    return client.post(url, data=body, headers=headers, content_type="multipart/form-data")


def _ticket(client, headers, customer_id) -> int:
    body = {"customer_id": customer_id, "kind": "repair", "condition_notes": "扣环松动"}
    answer = client.post("/api/v1/service-tickets", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _kept(app, model=ServiceTicketPhoto) -> int:
    with app.app_context():
        return db.session.query(model).count()


def test_staff_add_list_and_read_a_tickets_photos(client, app, shop, guide_a, as_owner_a):
    url = f"/api/v1/service-tickets/{_ticket(client, guide_a, shop.ca)}/photos"
    added = _upload(client, url, guide_a, (PNG, "front.png"), (JPG, "clasp.jpg"))
    assert added.status_code == 201, added.get_json()
    items = client.get(url, headers=as_owner_a).get_json()["items"]
    assert items == added.get_json()["items"]
    assert [(p["filename"], p["content_type"], p["size"]) for p in items] == [
        ("front.png", "image/png", len(PNG)),
        ("clasp.jpg", "image/jpeg", len(JPG)),
    ]
    assert {p["taken_by"] for p in items} == {"guide-a"}  # a name, not an id
    taken = datetime.fromisoformat(items[0]["taken_at"])
    assert taken.utcoffset() == timedelta(0)
    for photo, data in zip(items, (PNG, JPG), strict=True):
        answer = client.get(f"{url}/{photo['id']}", headers=as_owner_a)
        assert answer.status_code == 200 and answer.data == data
        assert answer.mimetype == photo["content_type"]
        assert "private" in answer.headers["Cache-Control"]
    detail = client.get(url.removesuffix("/photos"), headers=guide_a).get_json()
    assert detail["photo_count"] == 2


@pytest.mark.parametrize(
    "files",
    [
        [(b"GIF89a not a jpg", "a.gif")],
        [(b"", "empty.png")],
        [(PNG, "ok.png"), (b"%PDF-1.4", "b.pdf")],  # one bad file: none kept
        [(PNG, f"{n}.png") for n in range(7)],
        [(b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_PHOTO_BYTES, "huge.png")],
    ],
    ids=["gif", "empty", "one-bad-of-two", "seven", "over-5mb"],
)
def test_bad_uploads_are_422_on_photos_and_keep_nothing(client, app, shop, guide_a, files):
    url = f"/api/v1/service-tickets/{_ticket(client, guide_a, shop.ca)}/photos"
    refused = _upload(client, url, guide_a, *files)
    assert refused.status_code == 422, refused.get_json()
    assert "photos" in refused.get_json()["errors"]
    assert _kept(app) == 0


def test_no_file_and_the_sixth_photo_rule_across_uploads(client, app, shop, guide_a):
    url = f"/api/v1/service-tickets/{_ticket(client, guide_a, shop.ca)}/photos"
    empty = client.post(url, data={}, headers=guide_a, content_type="multipart/form-data")
    assert empty.status_code == 422 and "photos" in empty.get_json()["errors"]
    assert _upload(client, url, guide_a, *[(PNG, "p.png")] * 5).status_code == 201
    too_many = _upload(client, url, guide_a, (PNG, "6.png"), (JPG, "7.jpg"))
    assert too_many.status_code == 422 and "photos" in too_many.get_json()["errors"]
    assert _kept(app) == 5
    assert _upload(client, url, guide_a, (JPG, "6.jpg")).status_code == 201
    assert _kept(app) == 6


# a file is a PNG, a JPG, or bytes that are neither (perhaps nearly one)
files = st.one_of(
    st.just((PNG, "p.png")),
    st.just((JPG, "j.jpg")),
    st.binary(max_size=12).filter(lambda b: not b.startswith((b"\xff\xd8\xff", b"\x89PNG")))
    .map(lambda b: (b, "x.bin")),
)  # fmt: skip


@pytest.mark.slow
@db_examples(20)
@given(batches=st.lists(st.lists(files, min_size=1, max_size=4), min_size=1, max_size=4))
def test_uploads_keep_whole_batches_of_images_up_to_six(client, shop, guide_a, batches):
    """Whatever is sent, a ticket holds exactly the batches whose every file was a JPG or
    PNG and that fitted under six in all, in the order sent."""
    url = f"/api/v1/service-tickets/{_ticket(client, guide_a, shop.ca)}/photos"
    expected: list[int] = []
    for batch in batches:
        fits = all(name != "x.bin" for _data, name in batch)
        fits = fits and len(expected) + len(batch) <= MAX_PHOTOS
        answer = _upload(client, url, guide_a, *batch)
        assert answer.status_code == (201 if fits else 422), answer.get_json()
        expected += [len(data) for data, _name in batch] if fits else []
    listed = client.get(url, headers=guide_a).get_json()["items"]
    assert [p["size"] for p in listed] == expected


def test_phone_sized_photos_go_in_past_the_json_body_limit(client, app, shop, guide_a):
    assert app.config["MAX_CONTENT_LENGTH"] < 2 * 4 * 1024 * 1024  # the app's JSON bodies
    url = f"/api/v1/service-tickets/{_ticket(client, guide_a, shop.ca)}/photos"
    big = JPG + b"\0" * (4 * 1024 * 1024)
    added = _upload(client, url, guide_a, (big, "a.jpg"), (big, "b.jpg"))
    assert added.status_code == 201, added.status_code
    assert [p["size"] for p in added.get_json()["items"]] == [len(big)] * 2


def test_another_franchise_and_another_tickets_photo_are_404(client, app, shop, guide_a, owner_b):
    first = f"/api/v1/service-tickets/{_ticket(client, guide_a, shop.ca)}/photos"
    second = f"/api/v1/service-tickets/{_ticket(client, guide_a, shop.ca)}/photos"
    photo = _upload(client, first, guide_a, (PNG, "a.png")).get_json()["items"][0]["id"]
    assert client.get(f"{second}/{photo}", headers=guide_a).status_code == 404
    for missing in (photo + 1, 2**63):
        assert client.get(f"{first}/{missing}", headers=guide_a).status_code == 404
    assert client.get(first, headers=owner_b).status_code == 404
    assert client.get(f"{first}/{photo}", headers=owner_b).status_code == 404
    assert _upload(client, first, owner_b, (PNG, "b.png")).status_code == 404
    assert _kept(app) == 1


def test_the_customer_sees_their_own_tickets_photos_only(client, app, shop, guide_a, as_ca):
    ticket = _ticket(client, guide_a, shop.ca)
    photo = _upload(client, f"/api/v1/service-tickets/{ticket}/photos", guide_a, (JPG, "c.jpg"))
    photo_id = photo.get_json()["items"][0]["id"]
    mine = f"/api/v1/mp/service-tickets/{ticket}/photos"
    listing = client.get(mine, headers=as_ca)
    assert listing.status_code == 200
    assert [p["id"] for p in listing.get_json()["items"]] == [photo_id]
    assert client.get(f"{mine}/{photo_id}", headers=as_ca).data == JPG
    with app.app_context():
        other = customer_headers(shop.cb)
    assert client.get(mine, headers=other).status_code == 404
    assert client.get(f"{mine}/{photo_id}", headers=other).status_code == 404
    assert _upload(client, mine, as_ca, (PNG, "x.png")).status_code == 405  # read-only
    assert client.get(mine, headers=guide_a).status_code == 403  # the customer's API


def test_consignment_photos(client, app, shop, guide_a, owner_b):
    body = {"customer_id": shop.ca, "description": "卡地亚 LOVE 手镯"}
    row = client.post("/api/v1/consignments", json=body, headers=guide_a).get_json()
    url = f"/api/v1/consignments/{row['id']}/photos"
    assert _upload(client, url, guide_a, (PNG, "bangle.png")).status_code == 201
    assert _upload(client, url, guide_a, (b"nope", "x.txt")).status_code == 422
    items = client.get(url, headers=guide_a).get_json()["items"]
    assert [p["filename"] for p in items] == ["bangle.png"]
    assert client.get(f"{url}/{items[0]['id']}", headers=guide_a).data == PNG
    assert client.get(url, headers=owner_b).status_code == 404


def test_inspection_photos_once_the_outcome_is_recorded(client, app, inspected, as_owner_a):
    _order, visit = inspected
    guide = bearer(api_token(client, "guide-a"))
    url = f"/api/v1/appointments/{visit}/outcome/photos"
    assert _upload(client, url, guide, (PNG, "d.png")).status_code == 404  # nothing recorded
    outcome = {"outcome": "attended", "inspection_result": "accepted"}
    recorded = client.post(f"/api/v1/appointments/{visit}/outcome", json=outcome, headers=guide)
    assert recorded.status_code == 201, recorded.get_json()
    assert _upload(client, url, guide, (PNG, "d.png"), (JPG, "e.jpg")).status_code == 201
    items = client.get(url, headers=as_owner_a).get_json()["items"]
    assert [p["content_type"] for p in items] == ["image/png", "image/jpeg"]
    assert client.get(f"{url}/{items[1]['id']}", headers=as_owner_a).data == JPG
    assert _kept(app, InspectionPhoto) == 2
    owner_b = bearer(api_token(client, "owner-b"))
    assert client.get(url, headers=owner_b).status_code == 404


def test_the_pages_serve_what_the_api_added(client, app, shop, guide_a):
    """The owner's ticket page and the guide's phone page open the API's photos (and
    another ticket's photo id there is 404), through the same ``photo_of`` rule."""
    from tests.fixtures.auth import login

    first, second = (_ticket(client, guide_a, shop.ca) for _ in range(2))
    added = _upload(client, f"/api/v1/service-tickets/{first}/photos", guide_a, (PNG, "a.png"))
    photo = added.get_json()["items"][0]["id"]
    owner, guide = app.test_client(), app.test_client()
    login(owner, "owner-a")
    login(guide, "guide-a", path="/m/login")
    for browser, base in ((owner, "/admin/service-tickets"), (guide, "/m/service-tickets")):
        assert browser.get(f"{base}/{first}/photos/{photo}").data == PNG
        assert browser.get(f"{base}/{second}/photos/{photo}").status_code == 404


def test_a_visit_that_is_not_an_inspection_has_no_photos(client, app, org, shop, guide_a):
    from tests.franchise.factories_jewellery import maintenance_visit

    visit = maintenance_visit(app, org, shop)
    outcome = client.post(
        f"/api/v1/appointments/{visit}/outcome", json={"outcome": "no_show"}, headers=guide_a
    )
    assert outcome.status_code == 201, outcome.get_json()
    url = f"/api/v1/appointments/{visit}/outcome/photos"
    assert _upload(client, url, guide_a, (PNG, "p.png")).status_code == 404
    assert client.get(url, headers=guide_a).status_code == 404
