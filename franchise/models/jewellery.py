"""Jewellery as jewellers sell it: the day's metal prices, how a product is priced (fixed
or by weight), its variants (ring size, chain length, purity), the price components each
order line was sold at, and the registry of physical pieces (一物一码).

Weights are integer milligrams (``weight_mg``), prices integer fen. A by-weight price is
``weight × metal price per gram + labour`` rounded once to fen
(``franchise.services.pricing.unit_price``); ``products.price_fen`` (and each variant's
``price_fen``) hold it for today's metal price and are rewritten in the transaction that
enters a new price (``franchise.services.metal_prices.record``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model, Money

GOLD, PLATINUM, SILVER = "gold", "platinum", "silver"
METALS = (GOLD, PLATINUM, SILVER)
FIXED, BY_WEIGHT = "fixed", "by_weight"
PRICING_MODES = (FIXED, BY_WEIGHT)
VARIANT_KINDS = ("ring_size", "chain_length", "purity")
# a piece is in the store, or held by an order (sold once that order is paid), or back
# in the store found defective (never sold again; ``order_id`` keeps the order it left)
PIECE_IN_STOCK, PIECE_HELD, PIECE_DEFECTIVE = "in_stock", "held", "defective"
PIECE_STATUSES = (PIECE_IN_STOCK, PIECE_HELD, PIECE_DEFECTIVE)


class MetalPrice(Model):
    """One entry on HQ's metal price board: the price per gram a metal sells at and the
    price HQ buys old metal back at. Entries are never changed; the latest one of a metal
    is its price now, and the board's history is every entry."""

    __tablename__ = "metal_prices"
    __table_args__ = (
        CheckConstraint("sell_fen_per_gram > 0", name="sell_positive"),
        CheckConstraint("buyback_fen_per_gram > 0", name="buyback_positive"),
        CheckConstraint("buyback_fen_per_gram <= sell_fen_per_gram", name="buyback_not_above"),
        Index("ix_metal_prices_metal_id", "metal", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    metal: Mapped[str] = mapped_column(String(10))
    day: Mapped[date] = mapped_column(Date, index=True)  # the Shanghai day it was entered
    sell_fen_per_gram: Mapped[int] = mapped_column(Money)
    buyback_fen_per_gram: Mapped[int] = mapped_column(Money)
    entered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entered_by = relationship("User")


class ProductPricing(Model):
    """How a product is priced; a product without a row is ``fixed`` at ``price_fen``."""

    __tablename__ = "product_pricing"
    __table_args__ = (
        CheckConstraint(
            "pricing = 'fixed' OR (metal IS NOT NULL AND weight_mg > 0)",
            name="by_weight_has_metal_and_weight",
        ),
        CheckConstraint("labour_fen_per_gram >= 0", name="labour_gram_nonnegative"),
        CheckConstraint("labour_fen_per_piece >= 0", name="labour_piece_nonnegative"),
        Index("ix_product_pricing_pricing_metal", "pricing", "metal"),
    )

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    pricing: Mapped[str] = mapped_column(String(10), default=FIXED)
    metal: Mapped[str | None] = mapped_column(String(10))
    weight_mg: Mapped[int | None]
    purity: Mapped[str] = mapped_column(String(16), default="")
    labour_fen_per_gram: Mapped[int] = mapped_column(Money, default=0)
    labour_fen_per_piece: Mapped[int] = mapped_column(Money, default=0)
    # stock is the registered pieces (``pieces``), not a number typed in
    tracks_pieces: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product = relationship("Product")


class ProductVariant(Model):
    """A size or length a product is sold in; its own weight (a bigger ring weighs more)
    and, for a by-weight product, its own price for today (repriced with the product)."""

    __tablename__ = "product_variants"
    __table_args__ = (
        UniqueConstraint("product_id", "kind", "label"),
        CheckConstraint("weight_mg IS NULL OR weight_mg > 0", name="weight_positive"),
        CheckConstraint("price_fen >= 0", name="price_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(16))
    weight_mg: Mapped[int | None]
    price_fen: Mapped[int] = mapped_column(Money)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderLinePricing(Model):
    """Every component an order line was priced from, as it was at order time."""

    __tablename__ = "order_line_pricing"

    line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), primary_key=True
    )
    pricing: Mapped[str] = mapped_column(String(10))
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("product_variants.id"))
    variant_label: Mapped[str] = mapped_column(String(16), default="")
    metal: Mapped[str | None] = mapped_column(String(10))
    purity: Mapped[str] = mapped_column(String(16), default="")
    weight_mg: Mapped[int | None]
    metal_price_id: Mapped[int | None] = mapped_column(ForeignKey("metal_prices.id"))
    metal_fen_per_gram: Mapped[int | None] = mapped_column(Money)
    labour_fen_per_gram: Mapped[int] = mapped_column(Money, default=0)
    labour_fen_per_piece: Mapped[int] = mapped_column(Money, default=0)
    list_unit_fen: Mapped[int] = mapped_column(Money)  # before a live price replaced it
    live_price: Mapped[bool] = mapped_column(default=False)
    # the registered piece the line sold, priced by its own weight (kept after a cancel)
    piece_id: Mapped[int | None] = mapped_column(ForeignKey("pieces.id"))
    piece_serial: Mapped[str] = mapped_column(String(32), default="")

    # saved with its line (order → lines → snapshot), never ahead of it
    line = relationship(
        "OrderLine", backref=backref("price_snapshot", uselist=False, cascade="all, delete-orphan")
    )


class Piece(Model):
    """One physical piece (一物一码): serial, certificate, weight, purity, the store
    holding it, and the order line that sold it."""

    __tablename__ = "pieces"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "customer": "customer_id"}
    __table_args__ = (
        CheckConstraint("weight_mg > 0", name="weight_positive"),
        CheckConstraint(
            "(status = 'held') = (order_line_id IS NOT NULL)", name="held_iff_order_line"
        ),
        Index("ix_pieces_product_id_status", "product_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("product_variants.id"))
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    certificate_no: Mapped[str] = mapped_column(String(32), default="")
    certificate_lab: Mapped[str] = mapped_column(String(32), default="")
    weight_mg: Mapped[int]
    purity: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(10), default=PIECE_IN_STOCK)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product = relationship("Product")
    variant = relationship("ProductVariant")
    store = relationship("Store")
    order = relationship("Order")


__all__ = [
    "BY_WEIGHT",
    "FIXED",
    "GOLD",
    "METALS",
    "PIECE_DEFECTIVE",
    "PIECE_HELD",
    "PIECE_IN_STOCK",
    "PIECE_STATUSES",
    "PLATINUM",
    "PRICING_MODES",
    "SILVER",
    "VARIANT_KINDS",
    "MetalPrice",
    "OrderLinePricing",
    "Piece",
    "ProductPricing",
    "ProductVariant",
]
