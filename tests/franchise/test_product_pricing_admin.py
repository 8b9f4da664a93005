"""HQ's product pricing page (issue 19): by weight in grams and yuan, today's price at
once, sizes with their own weights, field errors on the form (422), HQ only."""

from __future__ import annotations

from app.extensions import db
from franchise.models import Product, ProductVariant
from franchise.services.pricing import unit_price
from tests.fixtures.auth import csrf_token_from, login
from tests.franchise.factories_jewellery import enter_price


def _post(client, path, **data):
    page = client.get(path.replace("/variants", "/pricing"))
    return client.post(
        path, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
    )


def _by_weight(client, path, **data):
    """Post the pricing form by weight in gold, no labour, with ``data`` over that."""
    body = {"pricing": "by_weight", "metal": "gold", "labour_gram_yuan": "0"}
    return _post(client, path, **{**body, "labour_piece_yuan": "0", **data})


def test_hq_prices_a_bracelet_by_weight_and_adds_sizes(client, app, shop, as_hq):
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    login(client, "hq")
    path = f"/admin/products/{shop.pearl}/pricing"
    saved = _post(
        client,
        path,
        pricing="by_weight",
        metal="gold",
        weight_mg="12.345",
        labour_gram_yuan="15",
        labour_piece_yuan="80",
        purity="足金999",
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    with app.app_context():
        assert db.session.get(Product, shop.pearl).price_fen == unit_price(
            12_345, 600_00, 15_00, 80_00
        )
    added = _post(
        client,
        f"/admin/products/{shop.pearl}/variants",
        kind="chain_length",
        label="45cm",
        weight_mg="13.1",
    )
    assert added.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "45cm" in page and "13.100" in page
    with app.app_context():
        variant = db.session.query(ProductVariant).one()
        assert variant.price_fen == unit_price(13_100, 600_00, 15_00, 80_00)
    listing = client.get("/admin/products").get_data(as_text=True)
    assert f"/admin/products/{shop.pearl}/pricing" in listing


def test_bad_weight_and_missing_metal_show_on_the_form(client, app, shop, as_hq):
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    login(client, "hq")
    path = f"/admin/products/{shop.ring}/pricing"
    bad = _by_weight(client, path, weight_mg="12,5")
    assert bad.status_code == 422
    no_metal = _by_weight(client, path, metal="", weight_mg="3")
    assert no_metal.status_code == 422
    with app.app_context():
        assert db.session.get(Product, shop.ring).price_fen == 1000_00


def test_pricing_page_is_hq_only(client, shop):
    login(client, "owner-a")
    assert client.get(f"/admin/products/{shop.ring}/pricing").status_code == 403


def test_grams_and_yuan_load_through_the_api_schema_with_errors_on_their_boxes(
    client, app, shop, as_hq
):
    """The page's schema is the API's with grams and yuan: a weight not in grams and
    labour not in yuan are refused on their own boxes, the variant's weight too."""
    login(client, "hq")
    path = f"/admin/products/{shop.ring}/pricing"
    bad = _by_weight(client, path, weight_mg="12.3456", labour_gram_yuan="abc")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'value="12.3456"' in html and 'value="abc"' in html
    assert html.count('class="field-errors"') == 2
    variant = _post(client, f"/admin/products/{shop.ring}/variants", kind="ring_size", label="")
    assert variant.status_code == 422
    with app.app_context():
        assert db.session.query(ProductVariant).count() == 0
