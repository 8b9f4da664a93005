"""The organisation: HQ → region → franchisee → store → guide.

Owns the tables ``regions``, ``region_cities``, ``franchisees``, ``stores`` and ``guides``.
Each model names its tenant scope columns in ``__scope__`` so ``app.auth.scope.scoped``
can filter it; regions carry no scope keys and are visible to HQ only (views show a
franchise owner the name of their own region through their franchisee).

Never write these rows from views: ``franchise.services`` keeps the denormalised
``Guide.franchisee_id`` and the users' scope keys consistent.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, and_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.extensions import Model

if TYPE_CHECKING:
    from franchise.models.wecom_members import WecomMember

ACTIVE = "active"
SUSPENDED = "suspended"
FRANCHISEE_STATUSES = (ACTIVE, SUSPENDED)
LEFT = "left"
GUIDE_STATUSES = (ACTIVE, LEFT)
MAX_PROFIT_SHARE_BPS = 3000  # WeChat Pay's default profit-sharing cap: 30 % of an order


class Region(Model):
    """A sales region (大区) with its cities and an optional default franchisee."""

    __tablename__ = "regions"
    __scope__: dict[str, str] = {}  # HQ only

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    # A franchisee that takes the region's customers no store claims (assignment rule 4).
    default_franchisee_id: Mapped[int | None] = mapped_column(
        ForeignKey("franchisees.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cities: Mapped[list[RegionCity]] = relationship(
        back_populates="region", cascade="all, delete-orphan", order_by="RegionCity.id"
    )
    default_franchisee: Mapped[Franchisee | None] = relationship(
        foreign_keys=[default_franchisee_id], post_update=True
    )

    @property
    def city_names(self) -> list[str]:
        return [c.city for c in self.cities]

    def __repr__(self) -> str:
        return f"<Region {self.code}>"


class RegionCity(Model):
    """A city of a region; a city belongs to at most one region."""

    __tablename__ = "region_cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    city: Mapped[str] = mapped_column(String(32), unique=True)

    region: Mapped[Region] = relationship(back_populates="cities")


class Franchisee(Model):
    """A franchise business (加盟商), paid directly as a WeChat Pay sub-merchant."""

    __tablename__ = "franchisees"
    __scope__ = {"franchisee": "id"}
    __table_args__ = (
        CheckConstraint(
            f"profit_share_bps >= 0 AND profit_share_bps <= {MAX_PROFIT_SHARE_BPS}",
            name="profit_share_bps_range",
        ),
        Index("ix_franchisees_region_id_status", "region_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    contact_name: Mapped[str] = mapped_column(String(32), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    sub_mch_id: Mapped[str] = mapped_column(String(12), unique=True)
    # HQ's share of each order in basis points (1000 = 10 %), paid by profit sharing.
    profit_share_bps: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12), default=ACTIVE, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    stores: Mapped[list[Store]] = relationship(back_populates="franchisee", order_by="Store.id")

    @property
    def region_name(self) -> str:
        return self.region.name if self.region else ""

    def __repr__(self) -> str:
        return f"<Franchisee {self.id} {self.name}>"


class Store(Model):
    """A shop of a franchisee, with the coordinates used to assign nearby customers."""

    __tablename__ = "stores"
    __scope__ = {"franchisee": "franchisee_id", "store": "id"}
    __table_args__ = (
        CheckConstraint("latitude >= -90 AND latitude <= 90", name="latitude_range"),
        CheckConstraint("longitude >= -180 AND longitude <= 180", name="longitude_range"),
        Index("ix_stores_franchisee_id_is_open", "franchisee_id", "is_open"),
        Index("ix_stores_latitude_longitude", "latitude", "longitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    city: Mapped[str] = mapped_column(String(32), index=True)
    address: Mapped[str] = mapped_column(String(255), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    business_hours: Mapped[str] = mapped_column(String(64), default="")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    is_open: Mapped[bool] = mapped_column(default=True, index=True)
    # How many customers the store can look after; used to balance the HQ pool.
    customer_capacity: Mapped[int | None]
    # Appointments one store accepts per one-hour slot (try-on, maintenance, inspection).
    appointment_capacity: Mapped[int] = mapped_column(default=2, server_default="2")
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    franchisee: Mapped[Franchisee] = relationship(back_populates="stores")
    region: Mapped[Region] = relationship()
    guides: Mapped[list[Guide]] = relationship(back_populates="store", order_by="Guide.id")

    @property
    def franchisee_name(self) -> str:
        return self.franchisee.name if self.franchisee else ""

    @property
    def region_name(self) -> str:
        return self.region.name if self.region else ""

    def __repr__(self) -> str:
        return f"<Store {self.code}>"


def open_store_clause():
    """SQL: the store is open and its franchisee active (where customers may be sent)."""
    return and_(
        Store.is_open.is_(True),
        Store.franchisee_id.in_(select(Franchisee.id).where(Franchisee.status == ACTIVE)),
    )


class Guide(Model):
    """A store guide (导购) with their WeCom userid and, optionally, a mobile login."""

    __tablename__ = "guides"
    __scope__ = {"franchisee": "franchisee_id", "store": "store_id", "guide": "id"}
    __table_args__ = (Index("ix_guides_store_id_status", "store_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    # Denormalised from the store so tenant filters need no join; services keep it equal.
    franchisee_id: Mapped[int] = mapped_column(ForeignKey("franchisees.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20), default="")
    wecom_userid: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(8), default=ACTIVE, index=True)
    left_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    store: Mapped[Store] = relationship(back_populates="guides")
    franchisee: Mapped[Franchisee] = relationship()
    # the directory member the guide is linked to (franchise.models.wecom_members)
    wecom_member: Mapped[WecomMember | None] = relationship(
        primaryjoin="foreign(Guide.wecom_userid) == WecomMember.userid", viewonly=True
    )

    @property
    def wecom_name(self) -> str:
        """The linked WeCom member's name and department, as people read it."""
        return self.wecom_member.label if self.wecom_member is not None else ""

    @property
    def store_name(self) -> str:
        return self.store.name if self.store else ""

    @property
    def franchisee_name(self) -> str:
        return self.franchisee.name if self.franchisee else ""

    def __repr__(self) -> str:
        return f"<Guide {self.wecom_userid}>"
