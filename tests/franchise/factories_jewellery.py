"""Helpers for the jewellery tests (issue 19): enter a metal price, price a product by
weight, register pieces, read a product as the mini-program does."""

from __future__ import annotations

from itertools import count

_serials = count(1)


def enter_price(client, headers, metal: str, sell: int, buyback: int) -> dict:
    body = {"metal": metal, "sell_fen_per_gram": sell, "buyback_fen_per_gram": buyback}
    answer = client.post("/api/v1/metal-prices", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def by_weight(
    client,
    headers,
    product_id: int,
    *,
    weight_mg: int,
    labour_g: int,
    labour_piece: int,
    metal: str = "gold",
    tracks_pieces: bool = False,
) -> dict:
    body = {
        "pricing": "by_weight",
        "metal": metal,
        "weight_mg": weight_mg,
        "purity": "足金999",
        "labour_fen_per_gram": labour_g,
        "labour_fen_per_piece": labour_piece,
        "tracks_pieces": tracks_pieces,
    }
    answer = client.put(f"/api/v1/products/{product_id}/pricing", json=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def mp_product(client, product_id: int) -> dict:
    answer = client.get(f"/api/v1/mp/products/{product_id}")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def register_piece(client, headers, product_id: int, store_id: int, **kw) -> dict:
    body = {
        "serial": kw.pop("serial", f"SN{next(_serials):08d}"),
        "product_id": product_id,
        "store_id": store_id,
        "certificate_no": kw.pop("certificate_no", f"NGTC{next(_serials):06d}"),
        "certificate_lab": kw.pop("certificate_lab", "NGTC"),
        "weight_mg": kw.pop("weight_mg", 3_100),
        "purity": kw.pop("purity", "足金999"),
        **kw,
    }
    answer = client.post("/api/v1/pieces", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def gen_sold_piece(order, product, serial: str | None = None):
    """A piece of ``product`` sold on the paid ``order`` (with a line of its own), written
    straight to the database (inside an app context)."""
    from app.extensions import db
    from franchise.models import OrderLine, Piece

    line = OrderLine(
        order_id=order.id,
        product_id=product.id,
        sku=product.sku,
        name=product.name,
        unit_price_fen=product.price_fen,
        quantity=1,
        line_total_fen=product.price_fen,
    )
    db.session.add(line)
    db.session.flush()
    piece = Piece(
        serial=serial or f"SN{next(_serials):08d}",
        product_id=product.id,
        franchisee_id=order.franchisee_id,
        store_id=order.store_id,
        weight_mg=3_000,
        status="held",
        order_id=order.id,
        order_line_id=line.id,
        customer_id=order.customer_id,
    )
    db.session.add(piece)
    db.session.commit()
    return piece


def maintenance_visit(app, org, shop, note: str = "") -> int:
    """The shop customer's cleaning / maintenance visit at Ann's store in an hour; its id."""
    from datetime import timedelta

    from app.clock import utcnow
    from app.extensions import db
    from franchise.models import Appointment

    with app.app_context():
        visit = Appointment(
            customer_id=shop.ca,
            franchisee_id=org.fa,
            store_id=org.sa,
            guide_id=org.ga,
            kind="maintenance",
            slot_start=utcnow() + timedelta(hours=1),
            note=note,
        )
        db.session.add(visit)
        db.session.commit()
        return visit.id


ADDRESS = {"recipient": "小美", "phone": "13800138000", "city": "上海", "address": "南京西路1号"}


def bought_ring(client, app, shop, as_ca, ring) -> dict:
    """The shop customer's paid home delivery of one ``ring`` (the real payment path)."""
    from tests.franchise.factories_payments import pay_and_succeed

    body = {"items": [{"product_id": ring, "quantity": 1}]}
    body["fulfilment"] = {"mode": "delivery", "address": ADDRESS}
    order = client.post("/api/v1/mp/orders", json=body, headers=as_ca).get_json()
    pay_and_succeed(client, order["id"], shop.ca, app)  # the real payment path
    return order


def inspection_visit(app, org, shop, order_id: int) -> int:
    """The O2O inspection of ``order_id`` booked at store A tomorrow; its id."""
    from datetime import timedelta

    from app.clock import shanghai_day
    from app.extensions import db
    from franchise.models import Appointment
    from franchise.services.appointments import slot_starts

    with app.app_context():
        visit = Appointment(
            customer_id=shop.ca, franchisee_id=org.fa, store_id=org.sa, guide_id=org.ga,
            kind="inspection", order_id=order_id,
            slot_start=slot_starts(shanghai_day() + timedelta(days=1))[2],
        )  # fmt: skip
        db.session.add(visit)
        db.session.commit()
        return visit.id


def guide_inspection_page(client, app, visit_id: int):
    """guide-a (named 王导购) signed in on the phone, on the inspection's form; (url,
    token)."""
    from app.auth.models import User
    from app.extensions import db
    from tests.fixtures.auth import csrf_token_from, login

    with app.app_context():
        db.session.scalars(
            db.select(User).filter_by(username="guide-a")
        ).one().display_name = "王导购"
        db.session.commit()
    login(client, "guide-a", path="/m/login")
    listing = client.get("/m/appointments").get_data(as_text=True)
    url = f"/m/appointments/{visit_id}/inspection"
    assert url in listing
    page = client.get(url)
    assert page.status_code == 200
    return url, csrf_token_from(page.get_data(as_text=True))


def inspection_form(token: str, **fields: str) -> dict:
    """The inspection form as the page posts it."""
    return {"csrf_token": token, "outcome": "attended", **fields}
