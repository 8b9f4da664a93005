"""An inspection's refund is linked when it is issued, never guessed: the order page's
refund form offers the inspection awaiting its refund (chosen by default) and the refunds
API takes ``inspection_id``; a refund for another reason on the same order leaves the
inspection awaiting; an inspection is settled by one refund (a second is 409, no money
reserved); a wrong inspection is 422 naming ``inspection_id``; an owner's defect with
the refund remedy is written with its refund in one transaction."""

from __future__ import annotations

from app.extensions import db
from franchise.models import Appointment, AppointmentOutcome, Order, Refund
from tests.fixtures.auth import api_token, bearer, csrf_token_from, login
from tests.franchise.factories_jewellery import bought_ring

DEFECT = {"outcome": "attended", "inspection_result": "defect", "remedy": "refund"}


def _guide_records_refund_defect(client, visit: int) -> None:
    """guide-a records a defect with the refund remedy: it waits for the owner."""
    guide = bearer(api_token(client, "guide-a"))
    body = {**DEFECT, "note": "表面划痕"}
    answer = client.post(f"/api/v1/appointments/{visit}/outcome", json=body, headers=guide)
    assert answer.status_code == 201 and answer.get_json()["refund_id"] is None


def _state(app, order_id: int, visit: int) -> tuple[int | None, list[int], int]:
    """(the outcome's refund id, the order's refund ids, the order's reserved fen)."""
    with app.app_context():
        outcome = db.session.get(AppointmentOutcome, visit)
        refunds = db.session.scalars(db.select(Refund.id).where(Refund.order_id == order_id))
        reserved = db.session.get(Order, order_id).refund_reserved_fen
        return (outcome.refund_id if outcome else None), list(refunds), reserved


def test_the_order_pages_refund_form_settles_the_inspection_it_names(client, app, inspected):
    order, visit = inspected
    _guide_records_refund_defect(client, visit)
    owner = app.test_client()
    login(owner, "owner-a")
    url = f"/admin/orders/{order['id']}"
    page = owner.get(url).get_data(as_text=True)
    assert 'name="inspection_id"' in page and f'<option value="{visit}" selected>' in page
    token = csrf_token_from(page)
    # a refund for something else on the same order does not settle the inspection
    other = {"csrf_token": token, "amount": "10.00", "reason": "运费补偿", "inspection_id": ""}
    assert owner.post(f"{url}/refund", data=other).status_code == 303
    (first,) = _state(app, order["id"], visit)[1]
    assert _state(app, order["id"], visit)[0] is None
    page = owner.get(url).get_data(as_text=True)
    assert 'data-remedy="refund-awaiting"' in page and f'href="#refund-{first}"' not in page
    # the refund naming the inspection settles it, and the page links that refund
    form = {"csrf_token": token, "amount": "50.00", "reason": "瑕疵退款", "inspection_id": visit}
    assert owner.post(f"{url}/refund", data=form).status_code == 303
    linked, ids, reserved = _state(app, order["id"], visit)
    assert linked == max(ids) != first and reserved == 60_00
    page = owner.get(url).get_data(as_text=True)
    assert f'href="#refund-{linked}"' in page and 'data-remedy="refund-awaiting"' not in page
    assert 'name="inspection_id"' not in page  # nothing is awaiting any more
    # a second refund naming it: refused in words, nothing written or reserved
    again = owner.post(f"{url}/refund", data=form, follow_redirects=True)
    assert "该验收的退款已经发起" in again.get_data(as_text=True)
    assert _state(app, order["id"], visit) == (linked, ids, 60_00)


def test_the_refunds_api_links_the_inspection_once(client, app, org, inspected, as_hq):
    order, visit = inspected
    _guide_records_refund_defect(client, visit)
    owner = bearer(api_token(client, "owner-a"))
    url = f"/api/v1/orders/{order['id']}/refunds"
    for wrong in (999_999, "x", 0):
        answer = client.post(url, json={"amount_fen": 10_00, "inspection_id": wrong}, headers=owner)
        assert answer.status_code == 422 and "inspection_id" in answer.get_json()["errors"]
    assert _state(app, order["id"], visit) == (None, [], 0)  # nothing reserved meanwhile
    body = {"amount_fen": 30_00, "reason": "瑕疵", "inspection_id": visit}
    done = client.post(url, json=body, headers=owner)
    assert done.status_code == 202
    refund_id = done.get_json()["id"]
    assert _state(app, order["id"], visit) == (refund_id, [refund_id], 30_00)
    twice = client.post(url, json=body, headers=as_hq)
    assert twice.status_code == 409 and "inspection_id" in twice.get_json()["errors"]
    assert _state(app, order["id"], visit)[1:] == ([refund_id], 30_00)
    # another franchise's owner: the order is 404, whatever inspection it names
    stranger = bearer(api_token(client, "owner-b"))
    assert client.post(url, json=body, headers=stranger).status_code == 404


def test_a_refund_of_another_order_cannot_settle_the_inspection(
    client, app, shop, as_ca, ring, inspected
):
    order, visit = inspected
    _guide_records_refund_defect(client, visit)
    second = bought_ring(client, app, shop, as_ca, ring)  # the same customer's other ring
    owner = bearer(api_token(client, "owner-a"))
    body = {"amount_fen": 1_00, "inspection_id": visit}
    answer = client.post(f"/api/v1/orders/{second['id']}/refunds", json=body, headers=owner)
    assert answer.status_code == 422 and "inspection_id" in answer.get_json()["errors"]
    assert _state(app, second["id"], visit)[1:] == ([], 0)
    assert _state(app, order["id"], visit)[0] is None


def test_an_owners_defect_is_written_with_its_refund_or_not_at_all(client, app, inspected):
    order, visit = inspected
    owner = bearer(api_token(client, "owner-a"))
    url = f"/api/v1/appointments/{visit}/outcome"
    too_much = client.post(url, json={**DEFECT, "refund_fen": 10**9}, headers=owner)
    assert too_much.status_code == 409
    with app.app_context():  # the refund failed: the outcome is not recorded either
        assert db.session.get(AppointmentOutcome, visit) is None
        assert db.session.get(Appointment, visit).status == "booked"
    answer = client.post(url, json=DEFECT, headers=owner)
    assert answer.status_code == 201
    linked, ids, reserved = _state(app, order["id"], visit)
    assert answer.get_json()["refund_id"] == linked == ids[0] and len(ids) == 1
    assert reserved == order["payable_fen"]


def test_an_outcome_recorded_meanwhile_leaves_no_refund_behind(client, app, inspected, monkeypatch):
    """Two owners record the same inspection: the one whose claim loses moves no money
    (the refund is written in the outcome's transaction, after the claim)."""
    from franchise.services import appointment_outcomes

    order, visit = inspected
    claim = appointment_outcomes._claim

    def other_owner_first(appointment, status):
        db.session.execute(
            db.update(Appointment).where(Appointment.id == visit).values(status="attended")
        )
        db.session.commit()  # the other request's outcome committed between check and claim
        return claim(appointment, status)

    monkeypatch.setattr(appointment_outcomes, "_claim", other_owner_first)
    owner = bearer(api_token(client, "owner-a"))
    answer = client.post(f"/api/v1/appointments/{visit}/outcome", json=DEFECT, headers=owner)
    assert answer.status_code == 409
    assert _state(app, order["id"], visit) == (None, [], 0)


def _backfill() -> str:
    """The migration's statement linking outcomes recorded before the link existed."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "migrations/versions"
    spec = importlib.util.spec_from_file_location(
        "backfill", path / "b8d3e5f7a9c1_inspection_refund_link_and_photos.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BACKFILL


def test_the_migration_links_outcomes_recorded_before_the_link(client, app, inspected):
    """An outcome awaiting its refund, and a refund issued the old way (naming no
    inspection): the backfill links them as the pages used to show them; an outcome with
    no refund after it stays awaiting; running it again changes nothing."""
    order, visit = inspected
    _guide_records_refund_defect(client, visit)
    with app.app_context():
        db.session.execute(db.text(_backfill()))
        db.session.commit()
    assert _state(app, order["id"], visit)[0] is None  # no refund yet: still awaiting
    owner = bearer(api_token(client, "owner-a"))
    url = f"/api/v1/orders/{order['id']}/refunds"
    old_way = client.post(url, json={"amount_fen": 20_00}, headers=owner).get_json()["id"]
    assert _state(app, order["id"], visit)[0] is None
    for _ in range(2):
        with app.app_context():
            db.session.execute(db.text(_backfill()))
            db.session.commit()
        assert _state(app, order["id"], visit)[0] == old_way


def test_concurrent_refunds_naming_one_inspection_settle_it_once(client, app, inspected):
    """Six owners' refunds for the same inspection at the same moment: one is issued and
    linked, five are 409 with their reservations rolled back (row locks on PostgreSQL,
    the write lock on SQLite)."""
    from tests.fixtures.concurrency import status_codes, storm

    order, visit = inspected
    _guide_records_refund_defect(client, visit)
    headers = bearer(api_token(client, "owner-a"))
    body = {"amount_fen": 10_00, "inspection_id": visit}

    def refund(own):
        return own.post(f"/api/v1/orders/{order['id']}/refunds", json=body, headers=headers)

    answers = storm(app, [refund] * 6)
    assert status_codes(answers) == [202] + [409] * 5
    (issued,) = [a.get_json()["id"] for a in answers if a.status_code == 202]
    assert _state(app, order["id"], visit) == (issued, [issued], 10_00)
