"""Photos of the piece at an O2O inspection: the guide adds them on the phone's
inspection form (JPG / PNG, at most 6, 5 MB each: else 422 under ``photos`` and nothing
recorded); the guide's result page and the order page's inspection card show them, each
served only to its store's guide and its franchise's owner or HQ (else 404)."""

from __future__ import annotations

from io import BytesIO

from app.extensions import db
from franchise.models import AppointmentOutcome, InspectionPhoto
from tests.fixtures.auth import csrf_token_from, login
from tests.franchise.factories import gen_user
from tests.franchise.factories_jewellery import guide_inspection_page, inspection_form

PNG = b"\x89PNG\r\n\x1a\n" + b"scratch" * 20
JPG = b"\xff\xd8\xff" + b"clasp" * 20


def _files(*pieces: tuple[bytes, str]) -> list[tuple[BytesIO, str]]:
    return [(BytesIO(data), name) for data, name in pieces]


def _photo_ids(app, visit: int) -> list[int]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(InspectionPhoto.id).where(InspectionPhoto.appointment_id == visit)
        )
        return list(rows)


def test_bad_photos_are_refused_under_the_field_and_nothing_is_recorded(client, app, inspected):
    _order, visit = inspected
    url, token = guide_inspection_page(client, app, visit)
    assert 'name="photos"' in client.get(url).get_data(as_text=True)
    for files in (_files((b"not an image", "a.txt")), _files(*[(PNG, "p.png")] * 7)):
        body = {**inspection_form(token, inspection_result="accepted"), "photos": files}
        answer = client.post(url, data=body, content_type="multipart/form-data")
        assert answer.status_code == 422
        assert 'data-error-for="photos"' in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AppointmentOutcome, visit) is None


def test_the_guides_photos_show_on_the_result_and_the_order_page(client, app, org, inspected):
    order, visit = inspected
    url, token = guide_inspection_page(client, app, visit)
    fields = inspection_form(token, inspection_result="defect", remedy="exchange", note="扣松")
    body = {**fields, "photos": _files((PNG, "defect.png"), (JPG, "clasp.jpg"))}
    done = client.post(url, data=body, content_type="multipart/form-data")
    assert done.status_code == 303
    ids = _photo_ids(app, visit)
    assert len(ids) == 2
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    guide_urls = [f"/m/appointments/{visit}/photos/{i}" for i in ids]
    assert all(u in result for u in guide_urls)
    first = client.get(guide_urls[0])
    assert first.status_code == 200 and first.mimetype == "image/png" and first.data == PNG
    assert client.get(guide_urls[1]).mimetype == "image/jpeg"
    assert client.get(f"/m/appointments/{visit}/photos/{max(ids) + 1}").status_code == 404
    # the order page: the owner sees the thumbnails and opens them
    owner = app.test_client()
    login(owner, "owner-a")
    page = owner.get(f"/admin/orders/{order['id']}").get_data(as_text=True)
    admin_urls = [f"/admin/orders/{order['id']}/inspection-photos/{i}" for i in ids]
    assert "data-inspection-photos" in page and all(u in page for u in admin_urls)
    assert owner.get(admin_urls[1]).data == JPG
    # another franchise's owner and another store's guide: 404
    stranger = app.test_client()
    login(stranger, "owner-b")
    assert stranger.get(admin_urls[0]).status_code == 404
    with app.app_context():
        gen_user("guide-b", "guide", franchisee_id=org.fb, store_id=org.sb, guide_id=org.gb)
    guide_b = app.test_client()
    login(guide_b, "guide-b", path="/m/login")
    assert guide_b.get(guide_urls[0]).status_code == 404


def test_an_inspection_without_photos_shows_none(client, app, inspected):
    order, visit = inspected
    url, token = guide_inspection_page(client, app, visit)
    done = client.post(url, data=inspection_form(token, inspection_result="accepted"))
    assert done.status_code == 303 and _photo_ids(app, visit) == []
    assert "data-inspection-photos" not in client.get(done.headers["Location"]).get_data(
        as_text=True
    )


def test_the_owner_adds_photos_on_the_order_page_up_to_six(client, app, org, inspected):
    order, visit = inspected
    url, token = guide_inspection_page(client, app, visit)
    body = {**inspection_form(token, inspection_result="accepted"), "photos": _files((PNG, "a"))}
    assert client.post(url, data=body, content_type="multipart/form-data").status_code == 303
    owner = app.test_client()
    login(owner, "owner-a")
    page_url = f"/admin/orders/{order['id']}"
    page = owner.get(page_url).get_data(as_text=True)
    add = f"{page_url}/inspections/{visit}/photos"
    assert f'action="{add}"' in page
    form = {"csrf_token": csrf_token_from(page)}

    def post(files, who=owner):
        body = {**form, "photos": files}
        return who.post(add, data=body, content_type="multipart/form-data", follow_redirects=True)

    assert "照片已添加" in post(_files(*[(JPG, "j.jpg")] * 4)).get_data(as_text=True)
    assert len(_photo_ids(app, visit)) == 5
    too_many = post(_files((PNG, "x.png"), (PNG, "y.png"))).get_data(as_text=True)
    assert "最多 6 张照片" in too_many and len(_photo_ids(app, visit)) == 5  # nothing kept
    assert "JPG" in post(_files((b"%PDF-1.4", "doc.pdf"))).get_data(as_text=True)
    assert "请至少选择一张照片" in post([]).get_data(as_text=True)
    assert len(_photo_ids(app, visit)) == 5
    page = owner.get(page_url).get_data(as_text=True)
    assert all(f"/inspection-photos/{i}" in page for i in _photo_ids(app, visit))
    # another franchise's owner: 404, nothing kept; an appointment not of this order: 404
    stranger = app.test_client()
    login(stranger, "owner-b")
    token_b = csrf_token_from(stranger.get("/admin/orders").get_data(as_text=True))
    foreign = {"csrf_token": token_b, "photos": _files((PNG, "p"))}
    assert stranger.post(add, data=foreign, content_type="multipart/form-data").status_code == 404
    assert owner.post(f"{page_url}/inspections/{visit + 999}/photos", data=form).status_code == 404
    assert len(_photo_ids(app, visit)) == 5
