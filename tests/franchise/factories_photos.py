"""Factories for the piece-photo page tests: a piece taken in with a photo on the intake
form of the guide (service ticket) or the owner (consignment)."""

from __future__ import annotations

from io import BytesIO

from tests.fixtures.auth import csrf_token_from, login

# who takes a piece in where: (login, login page, form, the form's other fields)
INTAKES = {
    "ticket": (
        "guide-a",
        "/m/login",
        "/m/service-tickets/new",
        {"kind": "polishing", "condition_notes": "划痕"},
    ),
    "consignment": (
        "owner-a",
        "/admin/login",
        "/admin/consignments/new",
        {"description": "卡地亚 LOVE 手镯"},
    ),
}


def _post(client, path: str, **fields):
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    body = {"csrf_token": token, **fields}
    return client.post(path, data=body, content_type="multipart/form-data")


def take_in(client, customer_id: int, intake: str, photo: bytes, name: str = "photo.png"):
    """Sign in as ``INTAKES[intake]``'s taker and take customer ``customer_id``'s piece in
    on its form with ``photo``; the form's answer."""
    username, login_page, form, fields = INTAKES[intake]
    login(client, username, path=login_page)
    return _post(
        client, form, customer_id=str(customer_id), photos=(BytesIO(photo), name), **fields
    )
