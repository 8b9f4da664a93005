"""Order create's one read (issue 20): the customer, the share code they came with, the
products of the order with their pricing rows and on-sale variants, and the day's board
entry of each by-weight product's metal — one statement on either database, where it was
five (the customer, the code, the products, then the board once per by-weight line).

The customer is the statement's first table and everything else is outer-joined to it,
so a customer is found even when no product or code is (a row of NULLs for those); no
customer, no row. A metal's price now is its latest board entry (``pricing.latest_price``:
the highest id of the metal, read through ``ix_metal_prices_metal_id``). Built once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from franchise.models import (
    BY_WEIGHT,
    Customer,
    MetalPrice,
    Product,
    ProductPricing,
    ProductVariant,
    ShareCode,
)


@dataclass
class OrderRead:
    """What ``read_for_order`` found (ORM objects, in the session as if loaded one by one)."""

    customer: Customer | None = None
    code: ShareCode | None = None
    products: dict[int, Product] = field(default_factory=dict)
    rows: dict[int, ProductPricing] = field(default_factory=dict)  # pricing rows by product
    variants: dict[int, list[ProductVariant]] = field(default_factory=dict)  # on sale, by kind
    boards: dict[str, MetalPrice] = field(default_factory=dict)  # each metal's price now


_EARLIER = aliased(MetalPrice)
_LATEST_OF_METAL = (
    select(func.max(_EARLIER.id))
    .where(_EARLIER.metal == ProductPricing.metal)
    .correlate(ProductPricing)
    .scalar_subquery()
)
_READ = (
    select(Customer, ShareCode, Product, ProductPricing, ProductVariant, MetalPrice)
    .select_from(Customer)
    .outerjoin(ShareCode, ShareCode.code == bindparam("code"))
    .outerjoin(Product, Product.id.in_(bindparam("ids", expanding=True)))
    .outerjoin(ProductPricing, ProductPricing.product_id == Product.id)
    .outerjoin(
        ProductVariant,
        and_(ProductVariant.product_id == Product.id, ProductVariant.is_active.is_(True)),
    )
    .outerjoin(
        MetalPrice, and_(ProductPricing.pricing == BY_WEIGHT, MetalPrice.id == _LATEST_OF_METAL)
    )
    .where(Customer.id == bindparam("customer_id"))
    .order_by(Product.id, ProductVariant.kind, ProductVariant.id)
)


def read_for_order(customer_id: int, share_code: str | None, product_ids: list[int]) -> OrderRead:
    """The customer ``customer_id`` (None when there is none), the share code
    ``share_code`` (None without one or when unknown) and ``product_ids``' products found,
    pricing rows, on-sale variants and metal prices, in one statement."""
    read = OrderRead()
    params = {"customer_id": customer_id, "code": share_code or None, "ids": product_ids}
    for customer, code, product, row, variant, board in db.session.execute(_READ, params):
        read.customer, read.code = customer, code
        if product is None:
            continue
        read.products[product.id] = product
        if row is not None:
            read.rows[product.id] = row
        if variant is not None:
            read.variants.setdefault(product.id, []).append(variant)
        if board is not None:
            read.boards[board.metal] = board
    return read
