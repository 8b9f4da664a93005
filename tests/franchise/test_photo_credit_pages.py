"""Who took each photo of a piece and when, on the pages that show the photos (issue 19;
the JSON API already says it): under every photo of a service ticket (the guide's ticket
page and the admin's), a consignment (its admin page) and an O2O inspection (the guide's
result page and the order page), the taker's name (never an id) and the time in
Asia/Shanghai, in Chinese and in English; a photo kept before the taker was recorded
says only when."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import BytesIO

from app.auth.models import User
from app.extensions import db
from franchise.models import ConsignmentPhoto, InspectionPhoto, ServiceTicketPhoto
from franchise.models.aftersales import IntakePhoto
from tests.fixtures.auth import login
from tests.fixtures.media import tiny_png
from tests.franchise.factories_jewellery import guide_inspection_page, inspection_form
from tests.franchise.factories_photos import INTAKES, take_in

# 16:30 UTC on 1 March is half past midnight on 2 March in Shanghai
TAKEN_UTC = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
TAKEN_SHANGHAI = "2026-03-02 00:30"


def _name_and_date(app, photo_model: type[IntakePhoto], username: str, name: str) -> None:
    """Name ``username`` ``name`` and date every photo of ``photo_model`` (all taken by
    them) at ``TAKEN_UTC``."""
    with app.app_context():
        user = db.session.scalars(db.select(User).filter_by(username=username)).one()
        user.display_name = name
        photos = db.session.scalars(db.select(photo_model)).all()
        assert photos and {p.taken_by_user_id for p in photos} == {user.id}
        for photo in photos:
            photo.created_at = TAKEN_UTC
        db.session.commit()


def _captions(html: str) -> list[str]:
    return re.findall(r"<figcaption[^>]*data-taken>([^<]*)</figcaption>", html)


def _taken_in_and_credited(client, app, customer_id: int, intake: str, name: str) -> str:
    """Take a piece in with a photo (``take_in``), its taker named ``name``; the page it
    lands on credits the photo in Chinese and in English; that page's path."""
    done = take_in(client, customer_id, intake, tiny_png())
    assert done.status_code == 303
    page = done.headers["Location"]
    photo_model = {"ticket": ServiceTicketPhoto, "consignment": ConsignmentPhoto}[intake]
    _name_and_date(app, photo_model, INTAKES[intake][0], name)
    zh = client.get(page).get_data(as_text=True)
    assert _captions(zh) == [f"{name} 拍摄于 {TAKEN_SHANGHAI}"]
    en = client.get(f"{page}?lang=en").get_data(as_text=True)
    assert _captions(en) == [f"Taken by {name} at {TAKEN_SHANGHAI}"]
    return page


def test_a_service_tickets_photo_names_its_taker_on_the_guides_and_the_admins_page(
    client, app, shop
):
    _taken_in_and_credited(client, app, shop.ca, "ticket", "李导购")  # the guide's page
    with app.app_context():
        ticket_id = db.session.scalars(db.select(ServiceTicketPhoto.ticket_id)).one()
    owner = app.test_client()
    login(owner, "owner-a")
    admin = owner.get(f"/admin/service-tickets/{ticket_id}").get_data(as_text=True)
    assert _captions(admin) == [f"李导购 拍摄于 {TAKEN_SHANGHAI}"]
    assert f"/admin/service-tickets/{ticket_id}/photos/" in admin


def test_a_consignments_photo_names_its_taker_and_an_unrecorded_one_says_only_when(
    client, app, shop
):
    detail = _taken_in_and_credited(client, app, shop.ca, "consignment", "张店长")
    with app.app_context():  # a photo kept before its taker was recorded
        db.session.execute(db.update(ConsignmentPhoto).values(taken_by_user_id=None))
        db.session.commit()
    unrecorded = client.get(f"{detail}?lang=zh").get_data(as_text=True)
    assert _captions(unrecorded) == [f"拍摄于 {TAKEN_SHANGHAI}"]


def test_an_inspections_photo_names_its_taker_on_the_result_and_the_order_page(
    client, app, inspected
):
    order, visit = inspected
    url, token = guide_inspection_page(client, app, visit)  # guide-a, named 王导购
    fields = inspection_form(token, inspection_result="accepted")
    body = {**fields, "photos": [(BytesIO(tiny_png()), "ring.png")]}
    done = client.post(url, data=body, content_type="multipart/form-data")
    assert done.status_code == 303
    _name_and_date(app, InspectionPhoto, "guide-a", "王导购")
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert _captions(result) == [f"王导购 拍摄于 {TAKEN_SHANGHAI}"]
    owner = app.test_client()
    login(owner, "owner-a")
    page = owner.get(f"/admin/orders/{order['id']}?lang=en").get_data(as_text=True)
    assert _captions(page) == [f"Taken by 王导购 at {TAKEN_SHANGHAI}"]
