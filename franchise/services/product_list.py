"""The mini-program's product list in memory: ``GET /api/v1/mp/products`` without the database.

The list is the same for every caller (active products with their pricing, variants and
today's price range) and changes when HQ edits the catalogue, the day's metal board moves
or stock is sold, so each process keeps one snapshot: every active product already dumped
by ``JewelleryProductSchema`` (the route's own schema, run once per snapshot), in the
listing's order (category, id). A page is sliced from it and written to JSON once per
snapshot and (category, page, per_page); a search (``q``) still goes to the database.

Kept current by ``app.snapshots`` (``PRODUCT_LIST`` watches every table the answer reads:
products, their pricing and variants, the registered pieces and the metal board): a
commit that touches them (an order taking stock, a price change repricing the by-weight
products, an HQ edit) is seen by the next request in this process and within
``app.snapshots.CHECK_SECONDS`` in the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from app.extensions import db
from app.snapshots import SnapshotKind
from franchise.models import MetalPrice, Piece, Product, ProductPricing, ProductVariant
from franchise.schemas_jewellery import JewelleryProductSchema
from franchise.services import catalog, piece_pricing, pricing

MAX_PAGES = 512  # distinct (category, page, per_page) bodies kept per snapshot


@dataclass(frozen=True)
class ProductList:
    """Every active product as the listing dumps it, and the pages written so far."""

    items: list[dict]
    by_category: dict[str, list[dict]]
    pages: dict[tuple[str, int, int], bytes] = field(default_factory=dict)

    def page_json(self, category: str, page: int, per_page: int) -> bytes:
        """The ``{"items", "total", "page", "per_page"}`` body of one page, as bytes."""
        key = (category, page, per_page)
        body = self.pages.get(key)
        if body is None:
            rows = self.by_category.get(category, []) if category else self.items
            start = (page - 1) * per_page
            envelope = {
                "items": rows[start : start + per_page],
                "total": len(rows),
                "page": page,
                "per_page": per_page,
            }
            body = json.dumps(envelope, ensure_ascii=False).encode()
            if len(self.pages) < MAX_PAGES:
                self.pages[key] = body
        return body


def _build() -> ProductList:
    products = list(db.session.scalars(catalog.product_stmt({}, active_only=True)))
    pricing.decorate(products)
    piece_pricing.decorate(products)
    items = JewelleryProductSchema(many=True).dump(products)
    by_category: dict[str, list[dict]] = {}
    for item in items:
        by_category.setdefault(item["category"], []).append(item)
    return ProductList(items, by_category)


PRODUCT_LIST = SnapshotKind(
    "product-list", _build, (Product, ProductPricing, ProductVariant, Piece, MetalPrice)
)


def page_json(args: dict) -> bytes:
    """One page of the active products for ``args`` (``category``, ``page``,
    ``per_page``; no ``q``), from the snapshot."""
    return PRODUCT_LIST.value().page_json(
        args.get("category") or "", args["page"], args["per_page"]
    )
