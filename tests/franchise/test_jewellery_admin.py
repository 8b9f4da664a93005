"""The jewellery admin pages (issue 19): HQ's metal price board (today, the SVG chart,
entry in yuan that reprices by-weight products, history with filters and CSV) and the
piece registry list (tenant scope, CSV, registration form)."""

from __future__ import annotations

from app.extensions import db
from franchise.models import Product
from franchise.services.pricing import unit_price
from tests.fixtures.auth import csrf_token_from, login, post_form
from tests.franchise.factories_jewellery import by_weight, enter_price, register_piece

BOARD = "/admin/metal-prices"


def _post_price(client, **form):
    return post_form(client, BOARD, form)


def test_board_enters_a_price_in_yuan_and_reprices(client, app, shop, as_hq):
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(client, as_hq, shop.pearl, weight_mg=5_000, labour_g=12_00, labour_piece=50_00)
    login(client, "hq")
    answer = _post_price(
        client, metal="gold", sell_yuan="612.50", buyback_yuan="570", note="上海金交所早盘"
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    with app.app_context():
        assert db.session.get(Product, shop.pearl).price_fen == unit_price(
            5_000, 612_50, 12_00, 50_00
        )
    page = client.get(BOARD).get_data(as_text=True)
    assert "<svg" in page and "chart-line" in page
    assert "612.50" in page and "上海金交所早盘" in page
    csv = client.get(BOARD + "?format=csv&metal=gold").get_data(as_text=True)
    assert "612.50" in csv and "600.00" in csv


def test_board_refuses_bad_prices_naming_the_field(client, app, org):
    login(client, "hq")
    answer = _post_price(client, metal="gold", sell_yuan="500", buyback_yuan="600")
    assert answer.status_code == 422
    assert client.get("/api/v1/metal-prices/today").get_json()["gold_fen_per_gram"] is None
    assert _post_price(client, metal="gold", sell_yuan="0", buyback_yuan="0").status_code == 422


def test_board_is_hq_only(client, org):
    login(client, "owner-a")
    assert client.get(BOARD).status_code == 403


def test_pieces_list_is_scoped_and_exports(client, app, org, shop, as_hq):
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(
        client, as_hq, shop.ring, weight_mg=3_000, labour_g=0, labour_piece=0, tracks_pieces=True
    )
    register_piece(client, as_hq, shop.ring, org.sa, serial="A-PIECE")
    register_piece(client, as_hq, shop.ring, org.sb, serial="B-PIECE")
    login(client, "owner-a")
    page = client.get("/admin/pieces").get_data(as_text=True)
    assert "A-PIECE" in page and "B-PIECE" not in page
    csv = client.get("/admin/pieces?format=csv").get_data(as_text=True)
    assert "A-PIECE" in csv and "B-PIECE" not in csv


def test_hq_registers_a_piece_on_the_page(client, app, org, shop, as_hq):
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(
        client, as_hq, shop.ring, weight_mg=3_000, labour_g=0, labour_piece=0, tracks_pieces=True
    )
    login(client, "hq")
    form = client.get("/admin/pieces/new").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(form),
        "serial": "PAGE-1",
        "product_id": shop.ring,
        "store_id": org.sa,
        "certificate_no": "GIA-1",
        "certificate_lab": "GIA",
        "weight_mg": "3050",
        "purity": "Au750",
    }
    assert client.post("/admin/pieces/new", data=data).status_code == 302
    assert "PAGE-1" in client.get("/admin/pieces?q=PAGE").get_data(as_text=True)
    again = client.post("/admin/pieces/new", data=data)
    assert again.status_code == 409


def test_chart_starts_at_the_first_priced_day(client, app, org, as_hq):
    from datetime import timedelta

    from app.clock import shanghai_day
    from franchise.models import MetalPrice
    from franchise.services import metal_prices

    enter_price(client, as_hq, "gold", 600_00, 550_00)
    with app.app_context():
        labels, series = metal_prices.daily_series(30)
        assert len(labels) == 1 and series == {"gold": [600_00]}
        db.session.add(
            MetalPrice(
                metal="gold",
                day=shanghai_day() - timedelta(days=3),
                sell_fen_per_gram=590_00,
                buyback_fen_per_gram=540_00,
            )
        )
        db.session.commit()
        labels, series = metal_prices.daily_series(30)
        assert series == {"gold": [590_00, 590_00, 590_00, 600_00]}  # carried forward
